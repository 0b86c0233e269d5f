"""Moderators suspend, archive and reinstate listings with a reason, and override the micro-provider verdict.

Search follows through the change log; archived listings are deleted for good by a job, with an audit record kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import AuditEvent, ListingStatus, ProblemReport, Role, Service, utcnow
from microdir.oruk.serialise import listing_facts
from microdir.public.presenters import micro_provider_badge
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.conftest import Inbox
from tests.moderation.helpers import provider_with_listing, search_ids
from tests.pages import ClientRequest


def _moderate(client_request: ClientRequest) -> Any:
    moderator = factories.create_user(Role.MODERATOR, email="mod@example.com")
    client_request.sign_in(moderator)
    return moderator


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_suspending_needs_a_reason(app_ctx: Any, client_request: ClientRequest, search_index: Any) -> None:
    _, _, listing = provider_with_listing(name="Marmalade Morning")
    _moderate(client_request)
    url = f"/moderation/listings/{listing.id}"

    page = client_request.post(f"{url}/suspend", {"suspend-reason": "  "}, expected_status=200, form_url=url)

    assert page.error_summary() == ["Enter why you are suspending this listing"]
    assert page.title.startswith("Error: ")
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.PUBLISHED and _audit("listing.suspend") == []


def test_suspend_hides_from_search_and_reinstate_brings_it_back(
    app_ctx: Any, client_request: ClientRequest, search_index: Any, smtpd: Inbox
) -> None:
    _, provider, listing = provider_with_listing(name="Marmalade Morning")
    moderator = _moderate(client_request)
    url = f"/moderation/listings/{listing.id}"
    assert search_ids("marmalade") == [listing.id]

    client_request.post(f"{url}/suspend", {"suspend-reason": "Reports say it has stopped meeting."}, form_url=url)

    db.session.expire_all()
    assert listing.listing_status is ListingStatus.SUSPENDED
    assert search_ids("marmalade") == []
    client_request.get(f"/services/{listing.id}")  # moderators still see it, as unpublished
    page = client_request.get(url)
    assert "Reports say it has stopped meeting." in page.soup.select_one("#hold-reason").get_text()
    [event] = _audit("listing.suspend")
    assert event.actor_id == moderator.id and event.reason == "Reports say it has stopped meeting."
    [message] = smtpd.to(provider.email)
    assert message["Subject"] == "Your listing Marmalade Morning has been suspended"
    assert "Reports say it has stopped meeting." in smtpd.body(message)

    client_request.post(f"{url}/reinstate", form_url=url)
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.PUBLISHED
    assert search_ids("marmalade") == [listing.id]
    assert [e.actor_id for e in _audit("listing.reinstate")] == [moderator.id]


def test_archived_listings_are_deleted_for_good_after_the_configured_period(
    app: Any, app_ctx: Any, client_request: ClientRequest, search_index: Any
) -> None:
    _, _, listing = provider_with_listing(name="Marmalade Morning")
    kept = factories.create_service(name="Another Club")
    db.session.add(ProblemReport(service=listing, reasons=["closed"]))
    db.session.commit()
    listing_id = listing.id
    _moderate(client_request)
    url = f"/moderation/listings/{listing_id}"
    client_request.post(f"{url}/archive", {"archive-reason": "The group has closed."}, form_url=url)
    assert search_ids("marmalade") == []
    assert app.config["ARCHIVED_LISTING_PURGE_DAYS"] == 90

    with time_machine.travel(utcnow() + timedelta(days=89), tick=True):
        run_due()
    db.session.expire_all()
    assert db.session.get(Service, listing_id) is not None

    with time_machine.travel(utcnow() + timedelta(days=91), tick=True):
        outcomes = run_due()
        run_due()
    assert outcomes["listings.purge_archived"].startswith("1 deleted")
    db.session.expire_all()
    assert db.session.get(Service, listing_id) is None
    assert db.session.get(Service, kept.id) is not None
    [event] = _audit("listing.purge")
    assert event.object_id == listing_id and event.detail["name"] == "Marmalade Morning"
    assert event.actor_label == "system"


def _micro_provider_ids() -> list[str]:
    request = SearchRequest(text="", filters={"verified": ["yes"]})
    return [hit.service_id for hit in search_services(request).hits]


def test_moderator_override_of_the_micro_provider_verdict_reaches_badge_search_and_open_data(
    app_ctx: Any, client_request: ClientRequest, search_index: Any
) -> None:
    organization, _, listing = provider_with_listing()
    assert _micro_provider_ids() == [listing.id]
    moderator = _moderate(client_request)
    url = f"/moderation/listings/{listing.id}"
    assert micro_provider_badge(listing) == "Micro-provider"

    page = client_request.post(f"{url}/micro-provider", {"override-decision": "no"}, expected_status=200,
                               form_url=url)
    assert page.error_summary() == ["Enter why you are overriding the micro-provider check"]

    client_request.post(f"{url}/micro-provider",
                        {"override-decision": "no", "override-reason": "It is a branch of a national charity."},
                        form_url=url)
    db.session.expire_all()
    assert micro_provider_badge(listing) is None
    assert _micro_provider_ids() == []
    assert not any(f["taxonomy_term"]["term"] == "micro-provider-verified" for f in listing_facts(listing, date.today()))
    assert "Micro-provider" not in client_request.get(f"/services/{listing.id}").soup.select_one("main").get_text()
    shown = client_request.get(url).soup.select_one("#verdict-reasons").get_text()
    assert "It is a branch of a national charity." in shown
    [event] = _audit("organization.micro_provider.override")
    assert event.actor_id == moderator.id and event.detail["decision"] is False
    assert event.object_id == organization.id

    client_request.post(f"{url}/micro-provider", {"override-decision": "rule"}, form_url=url)
    db.session.expire_all()
    assert micro_provider_badge(listing) == "Micro-provider"


def test_providers_cannot_use_the_moderators_listing_page(app_ctx: Any, client_request: ClientRequest) -> None:
    _, provider, listing = provider_with_listing()
    client_request.sign_in(provider)
    client_request.get(f"/moderation/listings/{listing.id}", expected_status=403)
    response = client_request.client.post(f"/moderation/listings/{listing.id}/suspend",
                                          data={"suspend-reason": "mine"})
    assert response.status_code in (400, 403)
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.PUBLISHED


def test_every_listing_action_needs_the_csrf_token(app_ctx: Any, client_request: ClientRequest) -> None:
    _, _, listing = provider_with_listing()
    _moderate(client_request)
    for action, data in (("suspend", {"suspend-reason": "x"}), ("archive", {"archive-reason": "x"}),
                         ("phoned", {}), ("micro-provider", {"override-decision": "rule"})):
        response = client_request.client.post(f"/moderation/listings/{listing.id}/{action}", data=data)
        assert response.status_code == 400, action
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.PUBLISHED and _audit("listing.suspend") == []


def test_the_provider_sees_why_their_listing_was_suspended(
    app_ctx: Any, client_request: ClientRequest, search_index: Any, smtpd: Inbox
) -> None:
    _, provider, listing = provider_with_listing(name="Marmalade Morning")
    _moderate(client_request)
    url = f"/moderation/listings/{listing.id}"
    client_request.post(f"{url}/suspend", {"suspend-reason": "The venue has closed."}, form_url=url)
    client_request.sign_out()

    client_request.sign_in(provider)
    page = client_request.get("/provider/")

    assert "Why it is suspended" in page.text()
    assert "The venue has closed." in page.text()
