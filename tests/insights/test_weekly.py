"""The weekly roll-ups the pages read: a period that cuts weeks in two gives the figures worked out by hand from the
world in ``fixtures.py`` (referrals all sent Monday 2 March 2026, searches on Tuesday 3 March), and the job rolls
up again only the weeks that changed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import delete, select, update

from microdir.extensions import db
from microdir.insights import queries
from microdir.insights.filters import Filters
from microdir.insights.refresh import WEEKLY_TABLES, refresh_all
from microdir.models import InsightReferralWeek, InsightSearchWeek, InsightState, SearchLog
from tests.insights.fixtures import SANDWELL, TODAY, add_searches, build_world


@pytest.fixture
def world(app_ctx: Any) -> Any:
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=1, INSIGHTS_ROUND_TO=1)
    built = build_world()
    add_searches()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    yield built
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=8, INSIGHTS_ROUND_TO=5)


def _figures(start: date, end: date) -> dict[str, Any]:
    period = Filters("custom", start, end)
    funnel = {row[0].text: row[1].text for row in queries.funnel(period).table("funnel").rows}
    outcomes = queries.outcomes(period).table("ons4-items")
    life = next(row for row in outcomes.rows if row[0].text.startswith("Overall, how satisfied"))
    timeliness = queries.timeliness(period).table("timeliness").rows[0]
    unmet = {h.label: h.figure.text for h in queries.unmet_need(period).headlines}
    weekly = queries.weekly_activity(period)
    return {"sent": funnel["Sent"], "accepted": funnel["Accepted"], "no capacity": funnel["Declined: no capacity"],
            "life n": life[1].text, "life mean": life[2].text, "median working days": timeliness[2].text,
            "searches": unmet["Searches"], "no result": unmet["With no result"],
            "weekly sent": [row[3].text for row in weekly.rows], "weekly searches": [row[1].text for row in weekly.rows]}


# (first day, last day): whole weeks and part-weeks; 2 March 2026 is a Monday.
SENT_IN = {"sent": "8", "accepted": "4", "no capacity": "1", "life n": "2", "life mean": "+2.00",
           "median working days": "2.5 days"}
SENT_OUT = {"sent": "0", "accepted": "0", "no capacity": "0", "life n": "0", "life mean": "no data",
            "median working days": "no data"}
SEARCHED_IN = {"searches": "23", "no result": "13"}
SEARCHED_OUT = {"searches": "0", "no result": "0"}


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 3, 2), date(2026, 3, 2), SENT_IN | SEARCHED_OUT | {"weekly sent": ["8"], "weekly searches": ["0"]}),
    (date(2026, 3, 3), date(2026, 3, 4), SENT_OUT | SEARCHED_IN | {"weekly sent": ["0"], "weekly searches": ["23"]}),
    (date(2026, 2, 23), date(2026, 3, 2),  # a whole week, then the Monday sent
     SENT_IN | SEARCHED_OUT | {"weekly sent": ["0", "8"], "weekly searches": ["0", "0"]}),
    (date(2026, 2, 25), date(2026, 3, 10),  # Wednesday to Tuesday: part, whole, part
     SENT_IN | SEARCHED_IN | {"weekly sent": ["0", "8", "0"], "weekly searches": ["0", "23", "0"]}),
    (date(2026, 3, 2), date(2026, 3, 8), SENT_IN | SEARCHED_IN | {"weekly sent": ["8"], "weekly searches": ["23"]}),
])
def test_a_period_that_cuts_weeks_counts_each_day_once(world: Any, start: date, end: date,
                                                        expected: dict[str, Any]) -> None:
    assert _figures(start, end) == expected


def test_an_area_is_kept_on_whole_and_part_weeks(world: Any) -> None:
    for start, end in ((date(2026, 3, 2), date(2026, 3, 8)), (date(2026, 3, 2), date(2026, 3, 4))):
        assert queries.referral_totals(Filters("custom", start, end, f"lad:{SANDWELL}"))["sent"] == 8
        assert queries.referral_totals(Filters("custom", start, end, "lad:E08000029"))["sent"] == 0
        assert queries.search_totals(Filters("custom", start, end, "pc:B66")) == (23, 13, 4)
        assert queries.search_totals(Filters("custom", start, end, "pc:WS1")) == (0, 0, 0)


def test_the_job_rolls_up_again_only_the_weeks_that_changed(world: Any) -> None:
    from microdir.domain import referrals as ops
    from tests.referrals.helpers import actor_for

    # Mark the week of 2 March's rows: a week the job rolls up again loses the mark, one it leaves keeps it.
    week = date(2026, 3, 2)
    db.session.execute(update(InsightSearchWeek).where(InsightSearchWeek.week == week).values(few_results=99))
    db.session.execute(update(InsightReferralWeek).where(InsightReferralWeek.week == week).values(expired=99))
    db.session.commit()

    def marked() -> tuple[bool, bool]:
        return (99 in db.session.scalars(select(InsightSearchWeek.few_results)).all(),
                99 in db.session.scalars(select(InsightReferralWeek.expired)).all())

    db.session.add(SearchLog(at=datetime(2026, 3, 17, 10), query="lunch", filters={}, outcode="B66",
                             lad_code=SANDWELL, result_count=0, page=1))
    db.session.commit()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    assert marked() == (True, True)  # only the week of 16 March was rolled up
    assert queries.search_totals(Filters("custom", date(2026, 3, 16), date(2026, 3, 22))) == (1, 1, 0)

    r4 = world.referrals["r4"]  # sent 2 March, accepted 11 March: now first contact
    with time_machine.travel(datetime(2026, 3, 30, 9), tick=False):
        ops.transition(r4, "first_contact", actor=actor_for(r4, "first_contact", world.worker),
                       expected_version=r4.version)
        db.session.commit()
        refresh_all()
        db.session.commit()
    assert marked() == (True, False)  # the referrals' week was rolled up again, the searches' was not
    march = Filters("custom", date(2026, 3, 1), date(2026, 3, 31))
    totals = queries.referral_totals(march)
    assert (totals["first_contact"], totals["expired"]) == (4, 1)


def test_the_first_run_after_an_upgrade_rolls_up_every_week(world: Any) -> None:
    march = Filters("custom", date(2026, 3, 1), date(2026, 3, 31))
    before = [[cell.text for cell in row] for slug in ("funnel", "outcomes", "unmet-need", "timeliness")
              for table in queries.PAGES[slug][1](march).tables for row in table.rows]
    for table in WEEKLY_TABLES:  # as after the migration that adds them: the facts are there, the weeks are not
        db.session.execute(delete(table))
    db.session.execute(update(InsightState).where(InsightState.name == "weekly").values(position=0))
    db.session.commit()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    after = [[cell.text for cell in row] for slug in ("funnel", "outcomes", "unmet-need", "timeliness")
             for table in queries.PAGES[slug][1](march).tables for row in table.rows]
    assert after == before and queries.referral_totals(march)["sent"] == 8


def test_a_sunday_belongs_to_the_week_that_began_on_the_monday_before(world: Any) -> None:
    for day in (datetime(2026, 3, 8, 23, 30), datetime(2026, 3, 9, 0, 30)):  # Sunday night, Monday morning
        db.session.add(SearchLog(at=day, query="lunch", filters={}, outcode="B66", lad_code=SANDWELL,
                                 result_count=0, page=1))
    db.session.commit()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    assert queries.search_totals(Filters("custom", date(2026, 3, 2), date(2026, 3, 8))) == (24, 14, 4)
    assert queries.search_totals(Filters("custom", date(2026, 3, 9), date(2026, 3, 15))) == (1, 1, 0)
    assert set(db.session.scalars(select(InsightSearchWeek.week).distinct())) == {date(2026, 3, 2), date(2026, 3, 9)}


def test_a_refresh_with_nothing_new_keeps_cached_pages_and_a_changed_listing_is_rewritten(world: Any) -> None:
    from microdir.insights.refresh import refresh_marker
    from microdir.models import CapacityStatus, InsightService, Service

    marker = refresh_marker()
    with time_machine.travel(TODAY, tick=False):
        assert refresh_all() == {"search-log rows": 0, "listings changed": 0, "referrals": 0}
        db.session.commit()
    assert refresh_marker() == marker  # the page cache is keyed on it: nothing to work out again
    service = db.session.scalars(select(Service).where(Service.organization_id == world.alpha.id)).one()
    service.capacity_status = CapacityStatus.WAITING_LIST
    db.session.commit()
    with time_machine.travel(TODAY, tick=False):
        assert refresh_all()["listings changed"] == 1
        db.session.commit()
    assert refresh_marker() != marker
    assert db.session.get(InsightService, service.id).capacity == "waiting_list"  # type: ignore[union-attr]
    coverage = queries.coverage(Filters("custom", date(2026, 3, 1), date(2026, 3, 31)))
    row = next(r for r in coverage.table("services-by-category-council").rows
               if r[0].text == "Friendship and good neighbour")
    assert [cell.text for cell in row[2:]] == ["1", "0", "1", "0", "1", "0"]
