"""Every insight page's figures against the hand-worked world in ``fixtures.py``.

Most tests turn the small-number rule off (INSIGHTS_SUPPRESS_BELOW=1, INSIGHTS_ROUND_TO=1) so the exact figures
can be checked; ``test_small_numbers_are_hidden_on_every_page_and_csv`` puts the default rule back on the same world.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from microdir.extensions import db
from microdir.insights import queries
from microdir.insights.filters import Filters
from microdir.insights.refresh import refresh_all
from microdir.jobs import _JOBS
from microdir.models import Role
from tests import factories
from tests.insights.fixtures import SANDWELL, TODAY, add_searches, build_world
from tests.pages import ClientRequest

MARCH = Filters("custom", date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(app_ctx: Any) -> Any:
    built = build_world()
    add_searches()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    return built


@pytest.fixture
def exact(app_ctx: Any) -> Any:
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=1, INSIGHTS_ROUND_TO=1)
    yield
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=8, INSIGHTS_ROUND_TO=5)


def _rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row] for row in table.rows]


def _row(table: Any, label: str) -> list[str]:
    return next(row for row in _rows(table) if row[0] == label)


def test_funnel_counts_every_stage(world: Any, exact: Any) -> None:
    page = queries.funnel(MARCH)
    main = page.table("funnel")
    assert _row(main, "Sent")[1:] == ["8", "100%"]
    assert _row(main, "Accepted")[1:] == ["4", "50%"]
    assert _row(main, "First contact")[1] == "3"
    assert _row(main, "Engaged")[1] == "3"
    assert _row(main, "Completed")[1:] == ["3", "38%"]  # 3 of 8 = 37.5%
    assert _row(main, "Declined: no capacity")[1] == "1"
    assert _row(main, "Declined: not eligible")[1] == "1"
    assert _row(main, "Expired unanswered")[1] == "1"
    assert _row(main, "Withdrawn")[1] == "1"
    by_provider = page.table("by-provider")
    # Provider, sent, accepted, first contact, engaged, completed, declined, expired, withdrawn, share accepted
    assert _row(by_provider, "Alpha Friends")[1:] == ["6", "4", "3", "3", "3", "1", "1", "0", "67%"]
    assert _row(by_provider, "Beta Lifts")[1:] == ["2", "0", "0", "0", "0", "1", "0", "1", "0%"]
    assert _row(page.table("by-team"), "Cape Hill Medical Practice (GP practice)")[1] == "8"
    assert _row(page.table("by-need"), "Getting out and about")[1] == "2"
    assert _row(page.table("by-council"), "Sandwell")[1] == "8"


def test_timeliness_medians_percentiles_and_the_rule(world: Any, exact: Any) -> None:
    page = queries.timeliness(MARCH)
    table = page.table("timeliness")
    # Answered after 1, 2, 5, 7, 3 and 1 working days: sorted 1 1 2 3 5 7, median 2.5, 90th (6th of 6) 7;
    # 5 of 6 within 5 working days.
    assert _row(table, "Sent to answer (working days)")[1:] == ["6", "2.5 days", "7.0 days", "83%"]
    # Calendar days 1, 2, 7, 9, 3, 1: sorted 1 1 2 3 7 9.
    assert _row(table, "Sent to answer (calendar days)")[1:4] == ["6", "2.5 days", "9.0 days"]
    # Accepted to first contact: Tue→Thu 2, Wed→Mon 3 (Thu, Fri, Mon), Mon→Tue 1.
    assert _row(table, "Accepted to first contact (working days)")[1:4] == ["3", "2.0 days", "3.0 days"]
    assert _row(page.table("by-provider"), "Alpha Friends")[1:] == ["5", "3.0 days", "7.0 days", "80%"]


def test_bank_holidays_are_not_working_days(app_ctx: Any) -> None:
    from microdir.insights.refresh import working_days_between

    # Thu 2 April 2026 → Tue 7 April 2026: Good Friday and Easter Monday are bank holidays in England.
    assert working_days_between(datetime(2026, 4, 2, 9), datetime(2026, 4, 7, 9), "ENG") == 1
    assert working_days_between(datetime(2026, 4, 2, 9), datetime(2026, 4, 7, 9), "") == 3


def test_outcomes_are_paired_with_a_confidence_interval(world: Any, exact: Any) -> None:
    page = queries.outcomes(MARCH)
    items = page.table("ons4-items")
    # r1 4→7 and r2 5→6: changes +3, +1; mean 2, sd √2, 95% CI 2 ± 12.706·√2/√2 = [−10.71, 14.71].
    # r3 has a baseline only and is not counted.
    life = _row(items, "Overall, how satisfied are you with your life nowadays?")
    assert life[1:] == ["2", "+2.00", "-10.71", "+14.71", "higher is better"]
    anxiety = next(row for row in _rows(items) if row[0].startswith("On a scale where 0"))
    assert anxiety[1:3] == ["2", "-1.50"]  # 7→4 and 6→6
    assert "67% of closed referrals" in items.note  # 2 of the 3 closed have both scores
    by_category = page.table("ons4-by-category")
    assert _rows(by_category)[0][:4] == ["Friendship and good neighbour", _rows(by_category)[0][1], "2",
                                         _rows(by_category)[0][3]]
    gp = page.table("gp-record-codes")
    assert _row(gp, "Cape Hill Medical Practice")[1:] == ["8", "2", "3"]


def test_unmet_need_gaps_and_zero_result_words(world: Any, exact: Any) -> None:
    page = queries.unmet_need(MARCH)
    headline = {h.label: h.figure.text for h in page.headlines}
    # 23 searches on the first page (the page-2 row is not another search): 13 with none, 4 with 1 to 3.
    assert headline == {"Searches": "23", "With no result": "13", "With 1 to 3 results": "4",
                        "Share with no or few results": "74%"}
    gaps = _rows(page.table("gaps"))
    # transport: (10 + 4 + 1 decline) / (0 open + 1) = 15 first; getting out: 1 / 1; then friendship and
    # loneliness: 1 decline / (1 open + 1) = 0.5 each.
    assert [row[0] for row in gaps] == ["Transport", "Getting out and about", "Friendship and good neighbour",
                                        "Loneliness and isolation"]
    assert gaps[0] == ["Transport", "Category", "Sandwell", "14", "10", "4", "1", "0", "1"]
    words = _rows(page.table("zero-result-queries"))
    assert words == [["wheelchair taxi", "10"]]  # "mrs smiths address" (3 times) is never shown


def test_coverage_and_providers(world: Any, exact: Any) -> None:
    with time_machine.travel(TODAY, tick=False):
        page = queries.coverage(MARCH)
    table = page.table("services-by-category-council")
    # Category, council, active, verified, micro-provider (the factory's profile qualifies), taking new people,
    # waiting list, full
    assert _row(table, "Friendship and good neighbour") == ["Friendship and good neighbour", "Sandwell", "1", "0",
                                                            "1", "1", "0", "0"]
    assert _row(table, "Transport")[2:] == ["1", "0", "1", "0", "0", "1"]
    health = page.table("directory-health")
    assert _row(health, "Published listings")[1] == "2"
    providers = queries.providers(MARCH).table("providers")
    # Alpha: 6 received, 4 accepted (67%), answered after 1, 2, 7, 9, 3 calendar days (median 3), 3 completed (50%).
    assert _row(providers, "Alpha Friends")[1:] == ["Yes", "6", "67%", "3.0 days", "50%"]


def test_overview_compares_with_the_previous_period(world: Any, exact: Any) -> None:
    page = queries.overview(MARCH)
    figures = {h.label: (h.figure.text, h.change) for h in page.headlines}
    assert figures["Searches"] == ("23", "up 23 on the previous period")
    assert figures["Referrals sent"] == ("8", "up 8 on the previous period")
    assert figures["Median days to answer a referral"][0] == "2.5 days"
    assert figures["Change in life satisfaction (ONS4, 0–10, paired)"][0] == "+2.0 points"
    assert figures["Services listed now"][0] == "2"


def test_an_area_picks_only_its_figures(world: Any, exact: Any) -> None:
    elsewhere = Filters("custom", date(2026, 3, 1), date(2026, 3, 31), "lad:E08000029")
    assert queries.referral_totals(elsewhere)["sent"] == 0
    sandwell = Filters("custom", date(2026, 3, 1), date(2026, 3, 31), f"lad:{SANDWELL}")
    assert queries.referral_totals(sandwell)["sent"] == 8
    district = Filters("custom", date(2026, 3, 1), date(2026, 3, 31), "pc:B66")
    assert queries.search_totals(district) == (23, 13, 4)


def test_small_numbers_are_hidden_on_every_page_and_csv(world: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    args = "period=custom&from=2026-03-01&to=2026-03-31"
    small = re.compile(r"^[1-7]$")
    for slug, (_title, builder) in queries.PAGES.items():
        page = builder(MARCH)
        for table in page.tables:
            response = client_request.client.get(f"/insights/{slug}/{table.id}.csv?{args}")
            assert response.status_code == 200
            rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
            count_columns = [i for i, cell in enumerate((table.rows or [table.total or []])[0]) if cell.kind == "count"]
            for row in rows[1:]:
                for i in count_columns:
                    assert not small.match(row[i]), (slug, table.id, row)
        html = client_request.get(f"/insights/{slug}?{args}" if slug != "overview" else f"/insights/?{args}")
        cells = [td.get_text(strip=True) for td in html.select("td.govuk-table__cell--numeric")]
        assert not any(small.match(cell) for cell in cells), (slug, cells)
        assert "fewer than 8" in html.text()
    funnel = queries.funnel(MARCH).table("funnel")
    assert _row(funnel, "Sent")[1:] == ["10", "100%"]  # 8 rounds to 10
    assert _row(funnel, "Accepted")[1:] == ["fewer than 8", "not shown"]


def test_figures_survive_the_retention_purge(world: Any, exact: Any) -> None:
    before = {slug: [_rows(t) for t in builder(MARCH).tables] for slug, (_t, builder) in queries.PAGES.items()
              if slug != "coverage"}
    with time_machine.travel(datetime(2027, 6, 1), tick=False):
        assert _JOBS["referrals.retention_purge"]().endswith("erased")
        db.session.commit()
        refresh_all()
        db.session.commit()
    after = {slug: [_rows(t) for t in builder(MARCH).tables] for slug, (_t, builder) in queries.PAGES.items()
             if slug != "coverage"}
    assert after == before


def test_refresh_is_idempotent(world: Any, exact: Any) -> None:
    before = [_rows(t) for t in queries.unmet_need(MARCH).tables] + [_rows(t) for t in queries.funnel(MARCH).tables]
    with time_machine.travel(TODAY, tick=False):
        assert _JOBS["insights.refresh"]().startswith("0 search-log rows")
        db.session.commit()
    after = [_rows(t) for t in queries.unmet_need(MARCH).tables] + [_rows(t) for t in queries.funnel(MARCH).tables]
    assert after == before


def test_the_insight_code_reads_no_personal_field() -> None:
    personal = ("person_name", "contact_details", "contact_method", "date_of_birth", "reasons_text",
                "provider_notes", "receipt_sms_text", "ReferralEvent.note", "event.note", "consent_wording")
    root = Path(__file__).parents[2] / "microdir" / "insights"
    for path in root.glob("*.py"):
        source = path.read_text()
        for name in personal:
            assert name not in source, f"{path.name} mentions {name}"


def test_a_configured_scale_appears_the_same_way(world: Any, exact: Any, app_ctx: Any) -> None:
    from microdir.domain import referrals as ops

    app_ctx.config["OUTCOME_SCALES"] = {"calm": {"name": "Calm scale", "licence": "Test licence", "scoring": "sum",
                                                 "items": [{"code": "calm", "question": "How calm are you?",
                                                            "min": 1, "max": 5}]}}
    try:
        r1, r2 = world.referrals["r1"], world.referrals["r2"]
        with time_machine.travel(datetime(2026, 3, 27, 9), tick=False):
            for referral, before, after in ((r1, 2, 5), (r2, 3, 3)):
                ops.record_scores(referral, world.worker, "calm", "referral", {"calm": before})
                ops.record_scores(referral, world.worker, "calm", "close", {"calm": after})
            db.session.commit()
            refresh_all()
            db.session.commit()
        table = queries.outcomes(MARCH).table("calm-items")
        # Changes +3 and 0: mean 1.5, sd √4.5 = 2.121, CI 1.5 ± 12.706 × 2.121 / √2 = [−17.56, +20.56].
        assert _rows(table) == [["How calm are you?", "2", "+1.50", "-17.56", "+20.56", "higher is better"]]
        assert "Test licence" in table.note
    finally:
        app_ctx.config["OUTCOME_SCALES"] = {}


def test_a_cached_page_is_never_served_after_a_refresh(world: Any, exact: Any, client_request: ClientRequest) -> None:
    from tests.insights.fixtures import SENT

    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    url = "/insights/funnel?period=custom&from=2026-03-01&to=2026-03-31"
    first = client_request.get(url)
    assert [td.get_text(strip=True) for td in first.select("#table-funnel tbody tr")[0].select("td")][0] == "8"
    from microdir.domain import referrals as ops
    from tests.referrals.helpers import details

    with time_machine.travel(SENT, tick=False):
        referral = ops.create_draft(world.referrals["r1"].service, world.worker, details())
        ops.record_consent(referral, world.worker, expected_version=referral.version)
        ops.transition(referral, "send", actor=world.worker, expected_version=referral.version)
        db.session.commit()
    again = client_request.get(url)  # no refresh yet: the same figures (the summaries have not changed)
    assert [td.get_text(strip=True) for td in again.select("#table-funnel tbody tr")[0].select("td")][0] == "8"
    with time_machine.travel(TODAY, tick=False):  # the same moment as the first run: the marker still changes
        refresh_all()
        db.session.commit()
    after = client_request.get(url)
    assert [td.get_text(strip=True) for td in after.select("#table-funnel tbody tr")[0].select("td")][0] == "9"
