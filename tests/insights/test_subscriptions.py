"""Summary emails: subscribe on the page, sent by the jobs once per period over real SMTP, audited, nothing personal."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.insights.refresh import refresh_all
from microdir.insights.reports import last_complete_period
from microdir.jobs import run_job
from microdir.models import AuditEvent, InsightReportSent, InsightSubscription, OutboundEmail, Role
from tests import factories
from tests.insights.fixtures import add_searches, build_world
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, PHONE


def test_last_complete_periods_by_hand() -> None:
    # Wednesday 8 April 2026: the last complete week is Mon 30 March to Sun 5 April (ISO week 14), the last
    # complete month is March.
    assert last_complete_period("weekly", date(2026, 4, 8)) == ("2026-W14", date(2026, 3, 30), date(2026, 4, 5))
    assert last_complete_period("monthly", date(2026, 4, 8)) == ("2026-03", date(2026, 3, 1), date(2026, 3, 31))
    assert last_complete_period("monthly", date(2026, 1, 1)) == ("2025-12", date(2025, 12, 1), date(2025, 12, 31))


def test_subscribe_change_and_stop_on_the_page(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.COMMISSIONER)
    client_request.sign_in(user)
    page = client_request.post("/insights/subscription", {}, expected_status=200)
    assert page.error_summary() == ["Select how often you want a summary email"]
    client_request.post("/insights/subscription", {"frequency": "monthly"}, expected_status=302)
    assert db.session.scalar(db.select(InsightSubscription.frequency)) == "monthly"
    client_request.post("/insights/subscription", {"frequency": "none"}, expected_status=302)
    assert db.session.scalar(db.select(InsightSubscription.id)) is None
    actions = db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("insights.")] == ["insights.subscribe", "insights.unsubscribe"]


def test_the_monthly_summary_is_sent_once_with_no_personal_data(app_ctx: Any, client_request: ClientRequest,
                                                                  smtpd: Any) -> None:
    world = build_world()
    add_searches()
    user = factories.create_user(Role.COMMISSIONER)
    client_request.sign_in(user)
    client_request.post("/insights/subscription", {"frequency": "monthly"}, expected_status=302)
    with time_machine.travel(datetime(2026, 4, 1, 7, 0), tick=False):
        assert run_job("insights.refresh").startswith("24 search-log rows")
        assert run_job("insights.send_reports") == "1 queued"
        assert run_job("insights.send_reports") == "0 queued"  # idempotent: March is recorded as sent
        run_job("mail.deliver_pending")
    assert db.session.scalar(db.select(db.func.count()).select_from(InsightReportSent)) == 1
    (delivered,) = smtpd.to(user.email)
    assert delivered["Subject"] == "Directory insight summary: 2026-03"
    body = smtpd.body(delivered)
    # 23 searches → 25; 8 referrals sent → 10; 4 accepted → hidden.
    assert "- Searches: 25" in body and "- Referrals sent: 10" in body
    assert "- Referrals accepted: fewer than 8" in body
    assert "/insights/overview?period=custom&from=2026-03-01&to=2026-03-31" in body
    for personal in (PERSON_NAME, PHONE, world.referrals["r1"].reference, "mrs smiths"):
        assert personal not in body
    # The outbox keeps only the anonymous record that it went (recipient and body erased once sent).
    (record,) = db.session.scalars(db.select(OutboundEmail).where(
        OutboundEmail.subject == "Directory insight summary: 2026-03")).all()
    assert record.sent_at is not None and (record.to, record.body) == (None, None)
    audits = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "insights.report_sent")).all()
    assert [a.detail["period"] for a in audits] == ["2026-03"]


def test_no_summary_for_someone_who_lost_the_role(app_ctx: Any) -> None:
    user = factories.create_user(Role.COMMISSIONER)
    db.session.add(InsightSubscription(user_id=user.id, frequency="weekly"))
    user.role = Role.LINK_WORKER
    db.session.commit()
    with time_machine.travel(datetime(2026, 4, 6, 7, 0), tick=False):
        refresh_all()
        assert run_job("insights.send_reports") == "0 queued"
