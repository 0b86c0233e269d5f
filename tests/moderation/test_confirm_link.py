"""The reminder's one-click link: confirm "still right" without a password, update capacity, once, until it expires."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import AuditEvent, CapacityStatus, ListingReminder, ListingStatus, VerifiedHow
from tests.conftest import Inbox
from tests.moderation.helpers import confirm_path, provider_with_listing
from tests.pages import ClientRequest

CONFIRMED = datetime(2026, 1, 5, 9, 0)
REMINDED = CONFIRMED + timedelta(days=183)


def _reminded(smtpd: Inbox) -> tuple[Any, str]:
    _, provider, listing = provider_with_listing(last_verified_at=CONFIRMED, capacity_places=None)
    with time_machine.travel(REMINDED, tick=True):
        run_due()
    return listing, confirm_path(smtpd, provider.email)


def test_confirming_still_right_needs_no_password_and_updates_capacity(
    app_ctx: Any, smtpd: Inbox, client_request: ClientRequest
) -> None:
    listing, path = _reminded(smtpd)
    with time_machine.travel(REMINDED + timedelta(days=2), tick=True):
        page = client_request.get(path)
        assert page.h1 == "Is Tuesday Tea Club still right?"
        assert "Nobody has confirmed this listing since 5 January 2026" in page.text()
        assert page.soup.select_one("#edit-link")["href"] == f"/provider/services/{listing.id}/edit"
        done = client_request.post(path, {"capacity_status": "waiting_list", "capacity_places": "3"},
                                   expected_status=200)
        assert "Listing confirmed" in done.select(".govuk-panel")[0].get_text()
        assert "Waiting list, 3 places" in done.soup.select_one("#capacity").get_text()

    db.session.expire_all()
    assert abs(listing.last_verified_at - (REMINDED + timedelta(days=2))) < timedelta(minutes=1)
    assert listing.verified_how is VerifiedHow.PROVIDER_CONFIRMED
    assert listing.capacity_status is CapacityStatus.WAITING_LIST and listing.capacity_places == 3
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "listing.confirm")).one()
    assert event.object_id == listing.id and event.detail["via"] == "emailed link"
    assert event.detail["capacity"] == "waiting_list"
    assert db.session.scalars(db.select(ListingReminder)).one().used_at is not None


def test_the_link_works_once(app_ctx: Any, smtpd: Inbox, client_request: ClientRequest) -> None:
    listing, path = _reminded(smtpd)
    with time_machine.travel(REMINDED + timedelta(hours=2), tick=True):
        client_request.post(path, {"capacity_status": "taking_new_people"}, expected_status=200)
        again = client_request.get(path, expected_status=410)
        assert again.h1 == "This link has already been used."
        client_request.client.post(path, data={"capacity_status": "full"})
    db.session.expire_all()
    assert listing.capacity_status is CapacityStatus.TAKING_NEW_PEOPLE
    assert len(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "listing.confirm")).all()) == 1


def test_the_link_expires(app: Any, app_ctx: Any, smtpd: Inbox, client_request: ClientRequest) -> None:
    listing, path = _reminded(smtpd)
    max_age = timedelta(seconds=app.config["LISTING_CONFIRM_LINK_MAX_AGE"])
    with time_machine.travel(REMINDED + max_age + timedelta(hours=1), tick=True):
        page = client_request.get(path, expected_status=410)
        assert page.h1 == "This link has expired."
    db.session.expire_all()
    assert listing.last_verified_at == CONFIRMED


def test_an_altered_link_is_refused(app_ctx: Any, smtpd: Inbox, client_request: ClientRequest) -> None:
    _, path = _reminded(smtpd)
    page = client_request.get(path[:-3] + "abc", expected_status=404)
    assert page.h1 == "This link is not right."


def test_bad_places_are_explained_and_change_nothing(app_ctx: Any, smtpd: Inbox, client_request: ClientRequest) -> None:
    listing, path = _reminded(smtpd)
    with time_machine.travel(REMINDED + timedelta(hours=1), tick=True):
        page = client_request.post(path, {"capacity_status": "full", "capacity_places": "lots"}, expected_status=200)
        assert page.error_summary() == ["Places must be a whole number, like 6"]
    db.session.expire_all()
    assert listing.last_verified_at == CONFIRMED and listing.capacity_status is CapacityStatus.TAKING_NEW_PEOPLE
    assert db.session.scalars(db.select(ListingReminder)).one().used_at is None


def test_a_suspended_listing_cannot_be_confirmed_by_link(
    app_ctx: Any, smtpd: Inbox, client_request: ClientRequest
) -> None:
    listing, path = _reminded(smtpd)
    listing.listing_status = ListingStatus.SUSPENDED
    db.session.commit()
    with time_machine.travel(REMINDED + timedelta(hours=1), tick=True):
        page = client_request.get(path, expected_status=404)
    assert "no longer published" in page.h1


def test_confirming_a_hidden_listing_puts_it_back_in_search(
    app_ctx: Any, smtpd: Inbox, client_request: ClientRequest, search_index: Any
) -> None:
    from tests.moderation.helpers import search_ids

    _, provider, listing = provider_with_listing(name="Marmalade Morning", last_verified_at=CONFIRMED)
    hidden_at = CONFIRMED + timedelta(days=366)
    with time_machine.travel(hidden_at, tick=True):
        run_due()
        assert search_ids("marmalade") == []
        path = confirm_path(smtpd, provider.email)
        client_request.post(path, {"capacity_status": "taking_new_people"}, expected_status=200)
        assert search_ids("marmalade") == [listing.id]
        assert client_request.get(f"/services/{listing.id}").h1 == "Marmalade Morning"
