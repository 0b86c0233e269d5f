"""The moderation queue (issue 15): grouped by kind with counts that filter, new listings and changes first,
lapsed quality checks only after the provider's grace period, every item linking to where it is resolved,
"Pending review" listings that never reached the queue, and a moderator's direct correction of a listing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from microdir.domain import listing_edits, moderation, reports, revisions
from microdir.domain.provider_profiles import record_quality_check
from microdir.extensions import db
from microdir.models import AuditEvent, ListingStatus, QualityCheckType, Role, Service, utcnow
from tests import factories
from tests.moderation.helpers import provider_with_listing
from tests.pages import ClientRequest
from tests.providers.helpers import form_fields, new_listing, pending_change


def _moderator(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.MODERATOR)
    client_request.sign_in(user)
    return user


def _kinds(page: Any) -> list[str]:
    return [row["data-kind"] for row in page.select("#queue tbody tr")]


def test_grouped_new_listings_and_changes_first_counts_filter(app_ctx: Any, client_request: ClientRequest) -> None:
    organization, provider, listing = provider_with_listing()
    reports.report_problem(listing, ["wrong_time"], "Wednesdays now")  # the oldest item
    db.session.commit()
    new_listing(organization, provider, name="Brand New Club")
    pending_change(factories.create_service(organization, name="Changed Club"), provider, name="Changed Club Too")
    _moderator(client_request)
    page = client_request.get("/moderation/")
    assert _kinds(page) == ["new_listing", "change", "report"]
    captions = [c.get_text(" ", strip=True) for c in page.select("#queue caption")]
    assert captions[0].startswith("New listings (1)")
    (report_link,) = page.select("#queue-counts a[href='/moderation/?kind=report']")
    only = client_request.get(report_link["href"])
    assert _kinds(only) == ["report"] and only.select("#show-all")
    # every kind and any nonsense filter answers with a page
    for kind in ["new_listing", "change", "claim", "quality_check", "stale", "nonsense"]:
        client_request.get(f"/moderation/?kind={kind}")
    client_request.get("/moderation/?kind=%00", expected_status=400)  # a NUL byte: a clear 400, never a 500
    # the report item links to the moderator's page for that listing, where it can be closed or corrected
    href = only.select("#queue tbody a")[0]["href"]
    assert href.startswith(f"/moderation/listings/{listing.id}#report-")
    target = client_request.get(href.split("#")[0])
    assert target.select(f"#{href.split('#')[1]}") and target.select("#correct-listing")


def test_a_quality_check_reaches_moderators_only_after_it_lapsed_and_the_grace_period(
    app_ctx: Any, client_request: ClientRequest, app: Any
) -> None:
    organization, provider, listing = provider_with_listing()
    today = utcnow().date()
    grace = app.config["QUALITY_CHECK_MODERATOR_GRACE_DAYS"]
    assert grace == 14
    record_quality_check(organization, QualityCheckType.DBS, provider, reference="D1", description=None,
                         cover_amount=None, expires_on=today + timedelta(days=10))  # expiring: provider's task
    record_quality_check(organization, QualityCheckType.PUBLIC_LIABILITY, provider, reference="I1", description=None,
                         cover_amount=None, expires_on=today - timedelta(days=grace))  # lapsed, still in grace
    db.session.commit()
    _moderator(client_request)
    assert "quality_check" not in _kinds(client_request.get("/moderation/"))
    record_quality_check(organization, QualityCheckType.SAFEGUARDING_TRAINING, provider, reference="F1", description=None,
                         cover_amount=None, expires_on=today - timedelta(days=grace + 1))  # lapsed, not acted on
    db.session.commit()
    page = client_request.get("/moderation/")
    assert _kinds(page) == ["quality_check"]
    link = page.select("#queue tbody a")[0]["href"]
    assert link == f"/moderation/listings/{listing.id}#quality-checks"
    assert client_request.get(link.split("#")[0]).select("#quality-checks")


def test_pending_review_listings_set_directly_reach_the_queue(app_ctx: Any, client_request: ClientRequest) -> None:
    """The demo loader and a non-publishing import set PENDING_REVIEW without a revision: the queue, made of
    revisions, never showed them. ``queue_unreviewed_listings`` puts each in the queue once."""
    stranded = factories.create_service(name="Waiting For Ever", listing_status=ListingStatus.PENDING_REVIEW,
                                        first_published_at=None)
    organization, provider, _ = provider_with_listing()
    _, queued = new_listing(organization, provider, name="Queued Properly")
    assert [r.service_id for r in moderation.queue()] == [queued.service_id]  # the bug: stranded is missing
    assert moderation.queue_unreviewed_listings() == 1
    assert moderation.queue_unreviewed_listings() == 0  # once only
    db.session.commit()
    assert {r.service_id for r in moderation.queue()} == {stranded.id, queued.service_id}
    revision = next(r for r in moderation.queue() if r.service_id == stranded.id)
    moderator = _moderator(client_request)
    assert client_request.get(f"/moderation/revisions/{revision.id}").status == 200
    moderation.approve(revision, moderator, seen=moderation.listing_seen(revision))
    db.session.commit()
    assert db.session.get(Service, stranded.id).listing_status is ListingStatus.PUBLISHED


def test_an_import_that_does_not_publish_puts_new_listings_in_the_queue(app_ctx: Any) -> None:
    from microdir.oruk import importer
    from tests.oruk.conftest import PUBLISHED_EXAMPLES, load_example

    record = load_example(PUBLISHED_EXAMPLES / "service_full.json")
    report = importer.import_services([record], publish=False)
    db.session.commit()
    assert report.created == 1
    service = db.session.get(Service, record["id"])
    assert service.listing_status is ListingStatus.PENDING_REVIEW
    assert [r.service_id for r in moderation.queue()] == [service.id]


def test_the_demo_pending_listings_are_all_in_the_queue(app_ctx: Any) -> None:
    """Counted on the demo directory itself (loaded in a few seconds with the real builder)."""
    from microdir.demo.builder import load_demo

    load_demo(seed=1)
    pending = db.session.scalars(db.select(Service.id).where(
        Service.listing_status == ListingStatus.PENDING_REVIEW)).all()
    assert len(pending) == 10
    assert {r.service_id for r in moderation.queue() if r.is_new_listing} >= set(pending)


def test_a_moderator_corrects_a_published_listing_at_once_and_the_provider_is_told(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    organization, provider, listing = provider_with_listing()
    moderator = _moderator(client_request)
    public = client_request.get(f"/services/{listing.id}")
    assert public.select("#moderate a")[0]["href"] == f"/moderation/listings/{listing.id}"
    page = client_request.get(f"/moderation/listings/{listing.id}")
    edit = page.select("#correct-listing")[0]["href"]
    form = client_request.get(edit)
    assert "checked by a moderator before they go live" not in form.text()
    done = client_request.post(edit, form_fields(listing, name="Tuesday Tea Club (Wednesdays)"))
    assert done.response.headers["Location"] == f"/moderation/listings/{listing.id}"
    db.session.expire_all()
    assert db.session.get(Service, listing.id).name == "Tuesday Tea Club (Wednesdays)"  # published at once
    assert revisions.pending_revision(listing) is None  # no review of their own edit
    (event,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "listing.moderator_edit")).all()
    assert event.actor_id == moderator.id and event.detail["fields"] == ["name"]
    (message,) = smtpd.to(provider.email)
    assert message["Subject"] == "A moderator corrected Tuesday Tea Club (Wednesdays)"
    assert "was “Tuesday Tea Club”, now “Tuesday Tea Club (Wednesdays)”" in smtpd.body(message)
    assert listing_edits.snapshot(db.session.get(Service, listing.id))["name"] == "Tuesday Tea Club (Wednesdays)"


def test_a_provider_edit_still_waits_for_review(app_ctx: Any, client_request: ClientRequest) -> None:
    organization, provider, listing = provider_with_listing()
    client_request.sign_in(provider)
    client_request.post(f"/provider/services/{listing.id}/edit", form_fields(listing, name="Changed By Provider"))
    db.session.expire_all()
    assert db.session.get(Service, listing.id).name == "Tuesday Tea Club"
    assert revisions.pending_revision(listing) is not None


