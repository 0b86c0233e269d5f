"""`make demo` fills referrals in every state, claims, problem reports and chased stale listings (issue 15)."""

from __future__ import annotations

from flask import Flask

from microdir.demo import init_app as demo_init_app
from microdir.demo.content import DEMO_PASSWORD
from microdir.domain import moderation_queue
from microdir.extensions import db
from microdir.models import ListingReminder, Referral, ReferralStatus, WellbeingScore
from tests.pages import ClientRequest


def test_demo_activity_shows_every_role_real_work(app: Flask) -> None:
    if "demo" not in app.cli.commands:
        demo_init_app(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    result = runner.invoke(args=["demo", "accounts"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Demo activity added: 12 referrals" in result.output
    again = runner.invoke(args=["demo", "accounts"])
    assert "Demo activity added" not in again.output  # once only
    with app.app_context():
        statuses = {r.status for r in db.session.scalars(db.select(Referral))}
        assert statuses == set(ReferralStatus)
        assert db.session.scalar(db.select(db.func.count()).select_from(WellbeingScore)) >= 10
        counts = moderation_queue.queue_counts(moderation_queue.build_queue())
        assert counts["claim"] >= 1 and counts["report"] == 3 and counts["new_listing"] >= 10
        assert counts["stale"] >= 1
        assert db.session.scalar(db.select(db.func.count()).select_from(ListingReminder)) >= 15
    pages = {}
    for email, url in [("linkworker@demo.example.org", "/referrals/"), ("provider@demo.example.org", "/inbox/"),
                       ("moderator@demo.example.org", "/moderation/")]:
        client = ClientRequest(app)
        client.post("/sign-in", {"email": email, "password": DEMO_PASSWORD})
        pages[email] = client.get(url)
    assert len(pages["linkworker@demo.example.org"].select("#caseload tbody tr")) >= 8
    assert pages["linkworker@demo.example.org"].select("tr.app-row--overdue")
    assert pages["provider@demo.example.org"].select(".app-nav-count")
    assert pages["moderator@demo.example.org"].select("#queue-claim")
