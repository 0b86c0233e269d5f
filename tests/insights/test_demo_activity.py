"""`flask demo insights`: a period of activity that gives every insight page content, in every referral state."""

from __future__ import annotations

from typing import Any

from flask import Flask

from microdir.demo import init_app as demo_init_app
from microdir.extensions import db
from microdir.insights import queries
from microdir.insights.filters import parse_filters
from microdir.models import Referral, ReferralStatus, SearchLog, WellbeingScore


def test_demo_activity_fills_every_page(app: Flask, app_ctx: Any) -> None:
    if "demo" not in app.cli.commands:
        demo_init_app(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load", "--seed", "3"]).exit_code == 0
    result = runner.invoke(args=["demo", "insights", "--days", "120"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["demo", "insights", "--if-empty"])
    assert "already activity" in again.output
    statuses = set(db.session.scalars(db.select(Referral.status).distinct()))
    assert statuses >= {ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED,
                        ReferralStatus.EXPIRED, ReferralStatus.FIRST_CONTACT, ReferralStatus.ENGAGED,
                        ReferralStatus.CLOSED, ReferralStatus.WITHDRAWN}
    assert db.session.scalar(db.select(db.func.count()).select_from(SearchLog).where(SearchLog.result_count == 0)) > 0
    assert db.session.scalar(db.select(db.func.count()).select_from(WellbeingScore)
                             .where(WellbeingScore.stage == "close")) > 0
    filters = parse_filters({"period": "year"})
    for slug, (_title, builder) in queries.PAGES.items():
        page = builder(filters)
        shown = [cell for table in page.tables for row in table.rows for cell in row if cell.kind != "text"
                 and cell.value]
        assert shown, f"{slug} has nothing to show"
    gaps = queries.unmet_need(filters).table("gaps")
    assert gaps is not None and len(gaps.rows) >= 5
    assert queries.unmet_need(filters).table("zero-result-queries").rows  # words searched 8+ times
