"""Quality checks expire on their own, and members are emailed 30 days before: once per check and expiry date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import time_machine

from microdir.domain.provider_profiles import record_quality_check, verify_quality_check
from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import AuditEvent, QualityCheckType, Role
from microdir.oruk.serialise import listing_facts
from tests import factories
from tests.conftest import Inbox
from tests.moderation.helpers import provider_with_listing
from tests.pages import ClientRequest

TODAY = datetime(2026, 3, 2, 9, 0)
EXPIRES = date(2026, 3, 31)


def _verified_check(organization: Any, provider: Any, expires_on: date = EXPIRES) -> Any:
    check = record_quality_check(organization, QualityCheckType.PUBLIC_LIABILITY, provider, reference="PL-1",
                                 description=None, cover_amount=None, expires_on=expires_on)
    verify_quality_check(check, factories.create_user(Role.MODERATOR), today=date(2026, 1, 10))
    db.session.commit()
    return check


def _listing_checks(client_request: ClientRequest, listing: Any) -> str:
    found = client_request.get(f"/services/{listing.id}").soup.select_one("#quality-checks")
    return found.get_text(" ", strip=True) if found else ""


def test_members_are_reminded_once_30_days_before_expiry(app_ctx: Any, smtpd: Inbox) -> None:
    organization, provider, _ = provider_with_listing(last_verified_at=TODAY)
    colleague = factories.create_user(Role.PROVIDER, organizations=[organization], email="bob@example.org")
    check = _verified_check(organization, provider)

    with time_machine.travel(datetime(2026, 2, 27, 9), tick=True):  # 32 days before: not yet
        run_due()
    assert smtpd.messages == []
    with time_machine.travel(TODAY, tick=True):  # 29 days before
        run_due()
        run_due()
    for address in (provider.email, colleague.email):
        [message] = smtpd.to(address)
        assert message["Subject"] == "Your public liability insurance expires on 31 March 2026"
        assert "Smethwick Friends" in smtpd.body(message)
    with time_machine.travel(TODAY + timedelta(days=10), tick=True):
        run_due()
    assert len(smtpd.messages) == 2

    # Renewed with a new expiry date: that date gets its own reminder, once.
    check.expires_on = date(2027, 3, 31)
    db.session.commit()
    with time_machine.travel(datetime(2027, 3, 10, 9), tick=True):
        run_due()
        run_due()
    expiry_subjects = [m["Subject"] for m in smtpd.to(provider.email) if "expires on" in m["Subject"]]
    assert expiry_subjects == ["Your public liability insurance expires on 31 March 2026",
                               "Your public liability insurance expires on 31 March 2027"]


def test_a_check_stops_showing_after_its_expiry_date(
    app_ctx: Any, smtpd: Inbox, client_request: ClientRequest
) -> None:
    organization, provider, listing = provider_with_listing(last_verified_at=TODAY)
    check = _verified_check(organization, provider)

    with time_machine.travel(datetime(2026, 3, 31, 12), tick=True):  # the last day it is valid
        run_due()
        assert "Public liability insurance" in _listing_checks(client_request, listing)
        assert any(f["taxonomy_term"]["term"] == "quality-check:public_liability"
                   for f in listing_facts(listing, date(2026, 3, 31)))

    with time_machine.travel(datetime(2026, 4, 1, 9), tick=True):  # the day after: expired
        run_due()
        run_due()
        assert "Public liability insurance" not in _listing_checks(client_request, listing)
        db.session.expire_all()
        assert not any(f["taxonomy_term"]["term"].startswith("quality-check:")
                       for f in listing_facts(listing, date(2026, 4, 1)))
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "quality_check.expire")).all()
    assert [e.object_id for e in events] == [check.id]


def test_lapsed_checks_reach_the_moderation_queue_after_the_provider_s_grace_period(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    """Issue 15: an expiring check is the provider's task (reminded, can renew); moderators see it only once it
    lapsed and QUALITY_CHECK_MODERATOR_GRACE_DAYS (14) passed without the provider acting."""
    organization, provider, _ = provider_with_listing(last_verified_at=TODAY)
    _verified_check(organization, provider)  # expires 31 March 2026
    far = _verified_check(organization, provider, expires_on=date(2026, 9, 1))
    far.check_type = QualityCheckType.DBS
    db.session.commit()
    moderator = factories.create_user(Role.MODERATOR)

    def queue_on(moment: datetime) -> Any:
        with time_machine.travel(moment, tick=True):
            viewer = ClientRequest(client_request.app)
            viewer.sign_in(moderator)
            return viewer.get("/moderation/")

    assert queue_on(TODAY).select("#queue tr[data-kind=quality_check]") == []
    # 14 days after it lapsed: still the provider's to renew
    assert queue_on(datetime(2026, 4, 14, 9)).select("#queue tr[data-kind=quality_check]") == []
    page = queue_on(datetime(2026, 4, 15, 9))
    rows = [r.get_text(" ", strip=True) for r in page.select("#queue tr[data-kind=quality_check]")]
    assert rows == [rows[0]] and "Public liability insurance for Smethwick Friends" in rows[0]
    assert "Expired on 31 March 2026" in rows[0]
    assert page.soup.select_one("#count-quality-check").get_text(strip=True) == "1"
