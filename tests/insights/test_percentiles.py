"""Medians and 90th percentiles by provider: PostgreSQL works them out in SQL (percentile_cont / percentile_disc),
SQLite from a histogram in Python. Both must give ``stats``'s definitions — the median is the mean of the two middle
values, the 90th percentile the nearest rank — on even counts and ties, where the other SQL choices differ
(percentile_disc(0.5) takes the lower middle value, percentile_cont(0.9) interpolates). Run on both databases.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from microdir.extensions import db
from microdir.insights import queries
from microdir.insights.filters import Filters
from microdir.insights.queries import DaysTaken
from microdir.models import InsightReferralFact
from tests import factories

MARCH = Filters("custom", date(2026, 3, 1), date(2026, 3, 31))

# Provider → working days each referral took to be answered (None: not answered yet), and what they give, by hand:
# (answered, median, 90th percentile = the ⌈0.9 n⌉-th smallest).
CASES: dict[str, tuple[list[int | None], DaysTaken]] = {
    # Even count with ties: middle values 2 and 3 → 2.5 (percentile_disc(0.5) would say 2); ⌈5.4⌉ = 6th → 7
    # (percentile_cont(0.9) would say 6.0).
    "Even with ties": ([1, 1, 2, 3, 5, 7], DaysTaken(6, 2.5, 7.0)),
    # Middle values 4 and 4 → 4; ⌈3.6⌉ = 4th → 9 (interpolating would give 7.5).
    "Tied middle": ([4, 9, 4, 4], DaysTaken(4, 4.0, 9.0)),
    # Two far apart: 5.0; ⌈1.8⌉ = 2nd → 10.
    "Two far apart": ([10, 0], DaysTaken(2, 5.0, 10.0)),
    # 1 to 10: 5.5; 0.9 × 10 is exactly 9, so the 9th → 9 (one rank off would give 10; interpolating 9.1).
    "One to ten": ([7, 3, 10, 1, 9, 2, 8, 5, 4, 6], DaysTaken(10, 5.5, 9.0)),
    # Twenty: seventeen 0s, then 2, 3, 30: median 0; the 18th → 2 (interpolating 2.1).
    "Twenty": ([0] * 17 + [30, 2, 3], DaysTaken(20, 0.0, 2.0)),
    "Just one": ([6], DaysTaken(1, 6.0, 6.0)),
    # Unanswered referrals count as received, not in the days: 2, 3, 8 → 3; ⌈2.7⌉ = 3rd → 8.
    "Some unanswered": ([None, 8, 2, None, 3], DaysTaken(3, 3.0, 8.0)),
    "None answered": ([None, None], DaysTaken(0, None, None)),
}


@pytest.fixture
def facts(app_ctx: Any) -> Any:
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=1, INSIGHTS_ROUND_TO=1)
    for name, (days, _expected) in CASES.items():
        org = factories.create_organization(name=name)
        for i, value in enumerate(days):
            db.session.add(InsightReferralFact(
                referral_id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), organization_id=org.id,
                team_id=str(uuid.uuid4()), team_kind="gp_practice", category="", lad_code="E08000028", outcode="B66",
                status="sent" if value is None else "accepted", sent_day=date(2026, 3, 2 + i % 20),
                answered=value is not None, accepted=value is not None, answer_days=value,
                answer_working_days=value, answered_in_rule=value is not None and value <= 5))
    db.session.commit()
    yield
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=8, INSIGHTS_ROUND_TO=5)


def _by_name(found: list[queries.ProviderFacts]) -> dict[str | None, DaysTaken]:
    return {p.name: p.days for p in found}


def test_medians_and_percentiles_follow_the_definitions(facts: Any) -> None:
    found = queries.days_taken_by_provider(queries.F.answer_working_days, MARCH, queries.F.answered_in_rule)
    assert _by_name(found) == {name: expected for name, (_days, expected) in CASES.items()}
    received = {p.name: p.referrals for p in found}
    assert received["Some unanswered"] == 5 and received["None answered"] == 2
    assert {p.name: p.sums for p in found}["Even with ties"] == (5,)  # 1 1 2 3 5 within 5 working days


def test_both_ways_of_working_them_out_agree(facts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL this runs the SQL path and the histogram path on the same facts; on SQLite the histogram path
    twice (the SQL one needs PostgreSQL)."""
    first = queries.days_taken_by_provider(queries.F.answer_days, MARCH, queries.F.accepted)
    monkeypatch.setattr(queries, "_sql_percentiles", lambda: False)
    second = queries.days_taken_by_provider(queries.F.answer_days, MARCH, queries.F.accepted)
    assert sorted(first, key=lambda p: p.organization_id) == sorted(second, key=lambda p: p.organization_id)


def test_the_pages_show_them(facts: Any) -> None:
    timeliness = {row[0].text: [cell.text for cell in row[1:]]
                  for row in queries.timeliness(MARCH).table("by-provider").rows}
    assert timeliness["Even with ties"] == ["6", "2.5 days", "7.0 days", "83%"]
    assert timeliness["One to ten"] == ["10", "5.5 days", "9.0 days", "50%"]
    assert "None answered" not in timeliness  # nothing answered: no row
    providers = {row[0].text: [cell.text for cell in row[1:]]
                 for row in queries.providers(MARCH).table("providers").rows}
    # Micro-provider, received, share accepted, median days to answer, share completed.
    assert providers["Some unanswered"][1:4] == ["5", "60%", "3.0 days"]
    assert providers["None answered"][1:4] == ["2", "0%", "no data"]
