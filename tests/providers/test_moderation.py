"""Moderators review pending revisions: a diff against the published listing, approve to publish, reject with a reason."""

from __future__ import annotations

from typing import Any

from microdir.domain import moderation, provider_profiles, revisions
from microdir.extensions import db
from microdir.models import AuditEvent, ListingStatus, RevisionStatus, Role, VerifiedHow
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.conftest import Inbox
from tests.pages import ClientRequest
from tests.providers.helpers import dbs_check, edit_data, new_listing, pending_change
from tests.providers.test_check_documents import PDF, _upload


def _setup() -> tuple[Any, Any, Any]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization], email="ann@example.org")
    service = factories.create_service(organization, name="Tuesday Tea Club")
    return organization, provider, service


def _ids(text: str) -> list[str]:
    return [hit.service_id for hit in search_services(SearchRequest(text=text)).hits]


def test_queue_lists_new_listings_and_changes_oldest_first_with_counts(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    organization, provider, service = _setup()
    pending_change(service, provider, name="Tuesday Tea and Chat")
    draft, _ = new_listing(organization, provider, name="Knit and Natter")
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.get("/moderation/revisions/")

    assert page.soup.select_one("#count-new").get_text(strip=True) == "1"
    assert page.soup.select_one("#count-changes").get_text(strip=True) == "1"
    names = [row.select("td")[1].get_text(strip=True) for row in page.select("#revisions tbody tr")]
    assert names == ["Tuesday Tea Club", "Knit and Natter"]  # oldest first; the live name until approved


def test_revision_page_shows_field_by_field_diff(app_ctx: Any, client_request: ClientRequest) -> None:
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat", phone="+441214960000",
                              costs=[{"type": "pay_what_you_can", "amount": None}])
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.get(f"/moderation/revisions/{revision.id}")

    rows = [[cell.get_text(" ", strip=True) for cell in row.select("th, td")] for row in page.select("#diff tbody")]
    assert rows == [
        ["Name", "Tuesday Tea Club", "Tuesday Tea and Chat"],
        ["Phone number", "Not given", "0121 496 0000"],
        ["Cost", "Free", "Pay what you can"],
    ]
    assert "3 fields changed" in page.text()


def test_approving_a_change_publishes_it_and_search_finds_it(
    app_ctx: Any, client_request: ClientRequest, search_index: Any, smtpd: Inbox
) -> None:
    _, provider, service = _setup()
    db.session.commit()
    revision = pending_change(service, provider, name="Tuesday Marmalade Morning")
    assert _ids("marmalade") == []  # pending: not live, not searchable
    moderator = factories.create_user(Role.MODERATOR)
    client_request.sign_in(moderator)

    page = client_request.get(f"/moderation/revisions/{revision.id}")
    client_request.post(f"/moderation/revisions/{revision.id}/approve", page.form_data(
        "form[action$='/approve']"), form_url=f"/moderation/revisions/{revision.id}")

    db.session.expire_all()
    assert service.name == "Tuesday Marmalade Morning"
    assert service.verified_how is VerifiedHow.MODERATOR_CHECKED
    assert revision.status is RevisionStatus.APPROVED and revision.decided_by_id == moderator.id
    assert _ids("marmalade") == [service.id]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.revision.approve"))
    assert event is not None and event.actor_id == moderator.id and event.detail["fields"] == ["name"]
    assert [m["Subject"] for m in smtpd.to("ann@example.org")] == ["Your change to Tuesday Marmalade Morning is live"]
    assert "Nothing is waiting for review" in client_request.get("/moderation/revisions/").text()


def test_approving_a_new_listing_publishes_it(app_ctx: Any, client_request: ClientRequest, search_index: Any) -> None:
    organization, provider, _ = _setup()
    service, revision = new_listing(organization, provider, name="Knit and Natter Circle")
    assert _ids("natter") == []
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.get(f"/moderation/revisions/{revision.id}")
    assert "Everything in the new listing" in page.text()
    client_request.post(f"/moderation/revisions/{revision.id}/approve", {"version": str(service.version)},
                        form_url=f"/moderation/revisions/{revision.id}")

    db.session.expire_all()
    assert service.listing_status is ListingStatus.PUBLISHED
    assert service.first_published_at is not None and service.last_verified_at is not None
    assert service.verified_how is VerifiedHow.MODERATOR_CHECKED
    assert _ids("natter") == [service.id]


def test_rejecting_needs_a_reason(app_ctx: Any, client_request: ClientRequest, smtpd: Inbox) -> None:
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Bad name")
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.post(f"/moderation/revisions/{revision.id}/reject", {"reason": "   "}, expected_status=200,
                              form_url=f"/moderation/revisions/{revision.id}")

    assert page.error_summary() == ["Enter the reason you are rejecting this change"]
    db.session.expire_all()
    assert revision.status is RevisionStatus.PENDING
    assert smtpd.messages == []


def test_rejecting_tells_the_provider_why_by_email_and_on_their_page(
    app_ctx: Any, client_request: ClientRequest, smtpd: Inbox
) -> None:
    organization, provider, service = _setup()
    colleague = factories.create_user(Role.PROVIDER, organizations=[organization], email="bob@example.org")
    revision = pending_change(service, provider, name="CHEAP PILLS")
    moderator = factories.create_user(Role.MODERATOR)
    client_request.sign_in(moderator)

    client_request.post(f"/moderation/revisions/{revision.id}/reject",
                        {"reason": "The name must say what the service is."},
                        form_url=f"/moderation/revisions/{revision.id}")

    db.session.expire_all()
    assert revision.status is RevisionStatus.REJECTED and service.name == "Tuesday Tea Club"
    for address in ("ann@example.org", colleague.email):
        [message] = smtpd.to(address)
        assert message["Subject"] == "Your change to Tuesday Tea Club was not approved"
        assert "The name must say what the service is." in smtpd.body(message)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.revision.reject"))
    assert event is not None and event.reason == "The name must say what the service is."

    mine = ClientRequest(client_request.app)
    mine.sign_in(provider)
    assert "The name must say what the service is." in mine.get("/provider/").text()


def test_rejecting_a_new_listing_sends_it_back_to_draft(app_ctx: Any, client_request: ClientRequest, smtpd: Inbox) -> None:
    organization, provider, _ = _setup()
    service, revision = new_listing(organization, provider, name="Knit and Natter")
    moderator = factories.create_user(Role.MODERATOR)
    moderation.reject(revision, moderator, "Add when and where it meets.", seen=moderation.listing_seen(revision))
    db.session.commit()
    assert service.listing_status is ListingStatus.DRAFT
    assert "Add when and where it meets." in smtpd.body(smtpd.to("ann@example.org")[0])


def test_a_change_made_while_the_moderator_was_looking_is_not_approved_blind(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat")
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    stale = client_request.get(f"/moderation/revisions/{revision.id}").form_data("form[action$='/approve']")

    service.description = "Changed by an import meanwhile."
    db.session.commit()

    client_request.post(f"/moderation/revisions/{revision.id}/approve", stale,
                        form_url=f"/moderation/revisions/{revision.id}")
    db.session.expire_all()
    assert revision.status is RevisionStatus.PENDING and service.name == "Tuesday Tea Club"
    page = client_request.get(f"/moderation/revisions/{revision.id}")
    assert "The listing changed while you were reviewing it" in page.text()
    assert "The published listing has changed since the provider made this change" in page.text()


def test_a_document_uploaded_while_the_moderator_reviews_does_not_refuse_the_approval(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # Uploads move the listing's version (its quality checks show on it) but none of the fields being reviewed: the
    # moderator was told "the listing changed while you were reviewing it" and had to reload the page to approve.
    organization, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat")
    check = dbs_check(organization, provider)
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    review = f"/moderation/revisions/{revision.id}"
    approve = client_request.get(review).form_data("form[action$='/approve']")
    reject = client_request.get(review).form_data("form[action$='/reject']")

    _upload(client_request, check, PDF, "dbs.pdf")  # the moderator, from the listing's checks
    theirs = ClientRequest(client_request.app)
    theirs.sign_in(provider)
    _upload(theirs, check, PDF, "dbs-letter.pdf")  # and the provider, while the moderator looks
    db.session.expire_all()
    assert service.version > revision.base_version + 1

    client_request.post(f"{review}/reject", {**reject, "reason": ""}, expected_status=200, form_url=review)
    done = client_request.post(f"{review}/approve", approve, form_url=review)
    assert done.response.headers["Location"] == "/moderation/revisions/"
    db.session.expire_all()
    assert revision.status is RevisionStatus.APPROVED and service.name == "Tuesday Tea and Chat"


def test_a_decided_revision_cannot_be_decided_again(app_ctx: Any) -> None:
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat")
    moderator = factories.create_user(Role.MODERATOR)
    moderation.approve(revision, moderator, seen=moderation.listing_seen(revision))
    db.session.commit()
    try:
        moderation.reject(revision, moderator, "Too late", seen=moderation.listing_seen(revision))
    except moderation.ModerationError as error:
        assert "already been decided" in str(error)
    else:
        raise AssertionError("a decided revision was rejected")


def _warning(client_request: ClientRequest, revision: Any) -> str:
    page = client_request.get(f"/moderation/revisions/{revision.id}")
    found = page.soup.select_one("#moved-on")
    return found.get_text(" ", strip=True) if found else ""


def test_a_document_upload_or_organisation_edit_after_the_change_does_not_warn_the_moderator(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    organization, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat")
    check = dbs_check(organization, provider)
    provider_profiles.attach_document(check, b"%PDF-1.4\n%%EOF\n", "dbs.pdf", provider)
    organization.description = "Friendly groups in Smethwick."
    db.session.commit()
    assert service.version != revision.base_version  # the listing's version moved on; its fields did not
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    assert _warning(client_request, revision) == ""
    page = client_request.get(f"/moderation/revisions/{revision.id}")
    assert "The published listing has changed" not in page.text()


def test_a_moderators_correction_after_the_change_still_warns_and_names_the_field(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat", description="Tea, cake and a chat.")
    moderator = factories.create_user(Role.MODERATOR)
    assert revisions.save_edit(service, edit_data(service, description="Tea and cake on Tuesdays."), moderator,
                               expected_version=service.version, expected_revision=revision.id) == "published"
    db.session.commit()
    client_request.sign_in(moderator)

    warning = _warning(client_request, revision)
    assert "The published listing has changed since the provider made this change (Description)" in warning

    # A correction the change would undo also warns: approving would put the old phone number back.
    revisions.save_edit(service, edit_data(service, phone="+441214960000"), moderator,
                        expected_version=service.version, expected_revision=revision.id)
    db.session.commit()
    assert "(Description, Phone number)" in _warning(client_request, revision)


def test_the_review_marks_the_words_that_changed_in_a_long_field(app_ctx: Any, client_request: ClientRequest) -> None:
    # A moderator had to compare two whole descriptions by eye to find the one sentence a provider changed.
    _, provider, service = _setup()
    service.description = ("We meet in the church hall for tea and a chat. Everyone is welcome, and carers too. "
                           "Parking is on Brook Street.")
    db.session.commit()
    revision = pending_change(service, provider, description=(
        "We meet in the church hall for tea and a chat. Everyone is welcome, and carers too. "
        "Parking is behind the library."))
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.get(f"/moderation/revisions/{revision.id}")

    row = page.select("#diff tbody")[0]
    before, after = row.select("td")
    assert [d.get_text() for d in before.select("del")] == ["on Brook Street."]
    assert [i.get_text() for i in after.select("ins")] == ["behind the library."]
    assert after.get_text() == ("We meet in the church hall for tea and a chat. Everyone is welcome, and carers too. "
                                "Parking is behind the library.")  # the whole text is still there to read
    assert "Removed words are struck through" in page.text()  # said in words, not only shown


def test_only_words_in_common_make_marks(app_ctx: Any, client_request: ClientRequest) -> None:
    # A name that kept two of its words is marked; a cost with no word in common is not (the columns say it all).
    _, provider, service = _setup()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat",
                              costs=[{"type": "pay_what_you_can", "amount": None}])
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    page = client_request.get(f"/moderation/revisions/{revision.id}")
    name, cost = (row.select("td") for row in page.select("#diff tbody"))
    assert [d.get_text() for d in name[0].select("del")] == ["Club"]
    assert [i.get_text() for i in name[1].select("ins")] == ["and Chat"]
    assert not cost[0].select("del") and not cost[1].select("ins")
    assert [c.get_text() for c in cost] == ["Free", "Pay what you can"]
