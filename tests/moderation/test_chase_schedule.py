"""Chasing listings nobody has confirmed, with the clock frozen at each point of the schedule.

Defaults: a reminder after 6 months, a second after 9, a moderator follows it up after 11, hidden after 12.
Every run of the job at the same point sends nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import AuditEvent, ChaseStage, ListingReminder, Role, User
from tests import factories
from tests.conftest import Inbox
from tests.moderation.helpers import provider_with_listing, search_ids
from tests.pages import ClientRequest

CONFIRMED = datetime(2026, 1, 5, 9, 0)


def _subjects(smtpd: Inbox, address: str) -> list[str]:
    return [m["Subject"] for m in smtpd.to(address)]


def _at(days: int) -> Any:
    return time_machine.travel(CONFIRMED + timedelta(days=days, hours=1), tick=True)


def _stale_rows(client_request: ClientRequest) -> list[str]:
    """The queue's stale rows, signed in afresh (a session from months ago has expired)."""
    client_request.client = client_request.app.test_client()
    client_request.sign_in(db.session.scalars(db.select(User).where(User.role == Role.MODERATOR)).first())
    page = client_request.get("/moderation/")
    return [row.get_text(" ", strip=True) for row in page.select("#queue tr[data-kind=stale]")]


def test_the_whole_schedule_runs_once_per_stage(
    app_ctx: Any, smtpd: Inbox, search_index: Any, client_request: ClientRequest, cli_runner: Any
) -> None:
    _, provider, listing = provider_with_listing(name="Marmalade Morning", last_verified_at=CONFIRMED,
                                                 first_published_at=CONFIRMED - timedelta(days=30))
    colleague = factories.create_user(Role.PROVIDER, organizations=[listing.organization], email="bob@example.org")
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    assert search_ids("marmalade") == [listing.id]

    with _at(150):  # 5 months: nothing yet
        run_due()
        assert smtpd.messages == []

    with _at(183):  # 6 months: the first reminder, to every member, once
        result = cli_runner.invoke(args=["jobs", "run-due"])
        assert "listings.chase_stale: 1 reminded, 0 escalated, 0 hidden" in result.output
        run_due()
        assert _subjects(smtpd, provider.email) == ["Is your listing Marmalade Morning still right?"]
        assert _subjects(smtpd, colleague.email) == ["Is your listing Marmalade Morning still right?"]
        assert "/listing-check/" in smtpd.body(smtpd.to(provider.email)[0])

    with _at(200):  # still within the first period: nothing new
        run_due()
        assert len(smtpd.to(provider.email)) == 1

    with _at(274):  # 9 months: the second reminder, once
        run_due()
        run_due()
        assert len(smtpd.to(provider.email)) == 2
        assert _stale_rows(client_request) == []
        assert search_ids("marmalade") == [listing.id]

    with _at(335):  # 11 months: a moderator is asked to follow it up; no email to the provider
        run_due()
        run_due()
        assert len(smtpd.to(provider.email)) == 2
        [row] = _stale_rows(client_request)
        assert "Follow up Marmalade Morning" in row and "Not confirmed since 5 January 2026" in row
        assert search_ids("marmalade") == [listing.id]

    with _at(366):  # 12 months: hidden from search, and the provider is told how to bring it back
        run_due()
        run_due()
        assert search_ids("marmalade") == []
        assert client_request.get("/search?q=marmalade").soup.select_one("#no-results") is not None
        assert _subjects(smtpd, provider.email)[-1] == "Your listing Marmalade Morning is hidden until you confirm it"
        assert len(smtpd.to(provider.email)) == 3
        assert len(_stale_rows(client_request)) == 1  # still in the queue until someone confirms it

    stages = db.session.scalars(db.select(ListingReminder.stage).order_by(ListingReminder.created_at)).all()
    assert stages == [ChaseStage.FIRST_REMINDER, ChaseStage.SECOND_REMINDER, ChaseStage.ESCALATED, ChaseStage.HIDDEN]
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("listing.chase.%"))).all()
    assert sorted(actions) == sorted(f"listing.chase.{s.value}" for s in stages)


def test_a_listing_found_late_gets_only_the_stage_it_has_reached(app_ctx: Any, smtpd: Inbox) -> None:
    _, provider, listing = provider_with_listing(last_verified_at=CONFIRMED)
    with _at(280):
        run_due()
    assert len(smtpd.to(provider.email)) == 1
    assert db.session.scalars(db.select(ListingReminder.stage)).all() == [ChaseStage.SECOND_REMINDER]


def test_a_phone_check_starts_the_periods_again(app_ctx: Any, smtpd: Inbox, client_request: ClientRequest) -> None:
    _, provider, listing = provider_with_listing(last_verified_at=CONFIRMED)
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    with _at(335):
        run_due()
        assert len(_stale_rows(client_request)) == 1
        client_request.post(f"/moderation/listings/{listing.id}/phoned", form_url=f"/moderation/listings/{listing.id}")
        assert _stale_rows(client_request) == []
        before = len(smtpd.messages)
        run_due()
        assert len(smtpd.messages) == before  # confirmed today: nothing is due
    with _at(335 + 183):  # six months after the phone call: a first reminder for the new period
        run_due()
        assert _subjects(smtpd, provider.email)[-1].startswith("Is your listing")


def test_the_schedule_follows_the_config(app: Any, app_ctx: Any, smtpd: Inbox) -> None:
    _, provider, _ = provider_with_listing(last_verified_at=CONFIRMED)
    app.config["LISTING_FIRST_REMINDER_DAYS"] = 30
    try:
        with _at(31):
            run_due()
    finally:
        app.config["LISTING_FIRST_REMINDER_DAYS"] = 182
    assert len(smtpd.to(provider.email)) == 1


def test_drafts_and_suspended_listings_are_not_chased(app_ctx: Any, smtpd: Inbox) -> None:
    from microdir.models import ListingStatus

    _, provider, _ = provider_with_listing(last_verified_at=CONFIRMED, listing_status=ListingStatus.SUSPENDED)
    with _at(200):
        run_due()
    assert smtpd.to(provider.email) == []
