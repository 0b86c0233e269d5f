"""Providers edit their listings: drafts save at once, published ones wait for a moderator, stale saves lose nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from microdir.domain import listing_edits, revisions
from microdir.extensions import db
from microdir.models import AuditEvent, CapacityStatus, CostType, ListingRevision, ListingStatus, Role, Service
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import form_fields


def _provider_with_service(**overrides: Any) -> tuple[Any, Service]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    return provider, factories.create_service(organization, name="Tuesday Tea Club", **overrides)


def _edit_url(service: Service) -> str:
    return f"/provider/services/{service.id}/edit"


def test_listings_page_shows_status_verdict_and_when_checked(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    factories.create_service(service.organization, name="Knit and Natter", listing_status=ListingStatus.DRAFT)
    other = factories.create_service(name="Someone Else’s Lunch Club")
    client_request.sign_in(provider)

    page = client_request.get("/provider/")

    text = page.text()
    assert "Smethwick Friends" in text and "Tuesday Tea Club" in text and "Knit and Natter" in text
    assert other.name not in text
    assert "Published" in text and "Draft" in text
    assert "This is a micro-provider" in text
    assert "2 full-time equivalent workers" in text  # 0.5 paid + 1.5 unpaid, from the factory's profile
    assert "Checked 10 days ago" in text
    assert page.select(f"a[href='{_edit_url(service)}']")
    assert len(page.select("form[action$='/submit']")) == 1  # only the draft can be sent for review


def test_editing_a_published_listing_makes_a_pending_change_and_leaves_it_live(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    before = listing_edits.snapshot(service)

    page = client_request.get(_edit_url(service))
    assert page.soup.select_one("input[name=name]")["value"] == "Tuesday Tea Club"
    assert "checked by a moderator before they go live" in page.text()
    client_request.post(_edit_url(service), form_fields(
        service, name="Tuesday Tea and Chat", phone="0121 496 0000", email="Tea@Example.ORG", capacity_status="waiting_list",
        capacity_places="4", costs=["pay_what_you_can", "fixed"], fixed_amount="3.50", minimum_age="18",
    ))

    db.session.expire_all()
    assert listing_edits.snapshot(service) == before  # the live listing has not changed
    revision = revisions.pending_revision(service)
    assert revision is not None and not revision.is_new_listing
    assert revision.data["name"] == "Tuesday Tea and Chat"
    assert revision.data["phone"] == "+441214960000"  # stored as E.164
    assert revision.data["email"] == "Tea@example.org"  # the domain is normalised, the local part kept
    assert revision.data["costs"] == [{"type": "fixed", "amount": "3.50"}, {"type": "pay_what_you_can", "amount": None}]
    assert revision.base_version == service.version
    listings = client_request.get("/provider/")
    assert "Change waiting for review" in listings.text()
    assert "has been sent to a moderator" in listings.text()
    # Opening the form again shows the pending change, not the live listing.
    again = client_request.get(_edit_url(service))
    assert again.soup.select_one("input[name=name]")["value"] == "Tuesday Tea and Chat"
    assert again.soup.select_one("input[name=phone]")["value"] == "0121 496 0000"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.revision.submit")) is not None


def test_saving_again_replaces_the_pending_change(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    client_request.post(_edit_url(service), form_fields(service, name="First try"))
    client_request.post(_edit_url(service), form_fields(service, name="Second try"))

    revisions = db.session.scalars(db.select(ListingRevision).order_by(ListingRevision.submitted_at)).all()
    assert [(r.data["name"], r.status.value) for r in revisions] == [("First try", "superseded"), ("Second try", "pending")]


def test_a_draft_saves_directly_and_can_be_sent_for_review(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)

    client_request.post(_edit_url(service), form_fields(service, description="Tea, cake and a chat every Tuesday.",
                                                        capacity_status="full"))
    db.session.expire_all()
    assert service.description == "Tea, cake and a chat every Tuesday."
    assert service.capacity_status is CapacityStatus.FULL
    assert revisions.pending_revision(service) is None

    client_request.post(f"/provider/services/{service.id}/submit", {"version": str(service.version)}, form_url="/provider/")
    db.session.expire_all()
    assert service.listing_status is ListingStatus.DRAFT  # not until the task list's required sections are done
    assert ("Complete these sections before you submit: who it is for, accessibility, how people get in touch."
            in client_request.get("/provider/").text())

    for section, answers in (("who", {"eligibility_description": "Anyone who would like company"}),
                             ("accessibility", {}), ("contact", {"email": "tea@example.org"})):
        client_request.post(f"/provider/services/{service.id}/edit/{section}", answers)
    db.session.expire_all()
    client_request.post(f"/provider/services/{service.id}/submit", {"version": str(service.version)}, form_url="/provider/")
    db.session.expire_all()
    assert service.listing_status is ListingStatus.PENDING_REVIEW
    revision = revisions.pending_revision(service)
    assert revision is not None and revision.is_new_listing
    assert "Pending review" in client_request.get("/provider/").text()


def test_a_save_that_changes_nothing_makes_no_revision(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service()
    client_request.sign_in(provider)
    version = service.version
    client_request.post(_edit_url(service), form_fields(service))
    db.session.expire_all()
    assert revisions.pending_revision(service) is None and service.version == version


def test_bad_input_gets_clear_errors_and_keeps_what_was_typed(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    version = service.version

    page = client_request.post(_edit_url(service), form_fields(
        service, name="   ", phone="123", email="not an email", minimum_age="sixty", maximum_age="",
        capacity_places="-2", costs=["fixed"], fixed_amount="",
    ), expected_status=200)

    assert page.error_summary() == [
        "Enter the name of the service",
        "Youngest age must be a whole number from 0 to 120",
        "Places must be a whole number, like 6",
        "Enter an email address in the correct format, like name@example.com",
        "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
        "Enter the fixed price, like 5 or 12.50",
    ]
    assert page.title.startswith("Error: ")
    assert page.soup.select_one("input[name=minimum_age]")["value"] == "sixty"
    assert page.soup.select_one("input[name=phone]")["value"] == "123"
    db.session.expire_all()
    assert service.version == version and service.name == "Tuesday Tea Club"


def test_age_range_and_costs_must_make_sense(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    page = client_request.post(_edit_url(service), form_fields(
        service, minimum_age="65", maximum_age="18", costs=["free", "time_credits"],
    ), expected_status=200)
    assert page.error_summary() == [
        "Oldest age must be the same as or more than the youngest age",
        "Select Free on its own, or the ways people pay",
    ]
    page = client_request.post(_edit_url(service), form_fields(service, costs=[]), expected_status=200)
    assert page.error_summary() == ["Select what it costs"]


def test_someone_elses_save_in_between_is_caught_and_nothing_typed_is_lost(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    """Two people edit the same draft: the second save is told what the first changed, and keeps their text."""
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    colleague = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    client_request.sign_in(provider)
    form = client_request.get(_edit_url(service)).form_data()  # the first person opens the form

    other = ClientRequest(client_request.app)
    other.sign_in(colleague)
    other.post(_edit_url(service), form_fields(service, name="Tuesday Tea Club (Smethwick)", capacity_status="full"))

    mine = form_fields(service, description="My careful new description, typed over ten minutes.")
    page = client_request.post(_edit_url(service), {**form, **mine, "name": "Tuesday Tea Club"}, expected_status=409)

    assert "This listing was changed by someone else while you were editing" in page.text()
    changed = [row.select_one("th").get_text(strip=True) for row in page.select("#conflict-changes tbody")]
    assert changed == ["Name", "Taking new people"]
    assert "Tuesday Tea Club (Smethwick)" in page.soup.select_one("#conflict-changes").get_text()
    assert page.soup.select_one("textarea[name=description]").get_text() == mine["description"]
    db.session.expire_all()
    assert service.name == "Tuesday Tea Club (Smethwick)" and service.description != mine["description"]

    # The page now carries the new version: saving again goes through, on purpose.
    resubmit = {**page.form_data(), **form_fields(service, description=mine["description"])}
    client_request.client.post(_edit_url(service), data=resubmit)
    db.session.expire_all()
    assert service.description == mine["description"] and service.name == "Tuesday Tea Club (Smethwick)"


def test_two_providers_changing_a_published_listing_do_not_overwrite_each_other(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, service = _provider_with_service()
    colleague = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    client_request.sign_in(provider)
    form = client_request.get(_edit_url(service)).form_data()

    other = ClientRequest(client_request.app)
    other.sign_in(colleague)
    other.post(_edit_url(service), form_fields(service, name="Colleague’s name"))

    page = client_request.post(_edit_url(service), {**form, **form_fields(service, name="My name")}, expected_status=409)
    assert [r.select_one("th").get_text(strip=True) for r in page.select("#conflict-changes tbody")] == ["Name"]
    assert page.soup.select_one("input[name=name]")["value"] == "My name"
    assert revisions.pending_revision(service).data["name"] == "Colleague’s name"


def test_a_provider_cannot_see_or_change_another_organisations_listing(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, mine = _provider_with_service()
    theirs = factories.create_service(name="Not Yours", listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    version = theirs.version

    client_request.get(_edit_url(theirs), expected_status=403)
    for url, data in [
        (_edit_url(theirs), form_fields(theirs, name="Hijacked")),
        (f"/provider/services/{theirs.id}/submit", {"version": str(version)}),
        (f"/provider/organisations/{theirs.organization_id}/workers", {"legal_form": "company"}),
        (f"/provider/organisations/{theirs.organization_id}/checks/new", {"check_type": "dbs", "reference": "X"}),
    ]:
        client_request.post(url, data, expected_status=403, form_url=_edit_url(mine))
    client_request.get(f"/provider/organisations/{theirs.organization_id}/workers", expected_status=403)
    db.session.expire_all()
    assert theirs.name == "Not Yours" and theirs.version == version
    assert theirs.listing_status is ListingStatus.DRAFT
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingRevision)) == 0
    assert theirs.organization.quality_checks == []


def test_an_archived_listing_cannot_be_edited(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.ARCHIVED)
    client_request.sign_in(provider)
    client_request.get(_edit_url(service), expected_status=404)
    assert "Tuesday Tea Club" not in client_request.get("/provider/").text()


def test_cost_options_are_written_as_the_provider_chose(app_ctx: Any) -> None:
    provider, service = _provider_with_service(listing_status=ListingStatus.DRAFT)
    data = {**listing_edits.snapshot(service), "costs": [{"type": "fixed", "amount": "12.50"}, {"type": "time_credits"}]}
    assert revisions.save_edit(service, data, provider, expected_version=service.version) == "saved"
    db.session.commit()
    db.session.expire_all()
    options = {c.cost_type: c.amount for c in service.cost_options}
    assert options == {CostType.FIXED: Decimal("12.50"), CostType.TIME_CREDITS: None}
