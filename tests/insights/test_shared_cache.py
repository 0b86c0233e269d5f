"""The page cache shared by every web process: the refresh job warms the default pages, another process serves them
without working them out, they hold only what the page shows (small numbers already hidden), and a refresh that
changes the summaries forgets them."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select, update

from microdir.extensions import db
from microdir.insights import cache, queries
from microdir.insights.refresh import refresh_all
from microdir.jobs import _JOBS
from microdir.models import InsightPageCache, Role
from tests import factories
from tests.insights.fixtures import TODAY, add_searches, build_world
from tests.pages import ClientRequest


@pytest.fixture
def world(app_ctx: Any) -> Any:
    built = build_world()
    add_searches()
    return built


def _refuse_to_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Act as another web process: nothing in this one's memory, and working a page out fails the test."""
    cache.clear()

    def refuse(*_args: Any) -> Any:
        raise AssertionError("the page was worked out again")

    monkeypatch.setattr(queries, "PAGES", {slug: (title, refuse) for slug, (title, _build) in queries.PAGES.items()})
    monkeypatch.setattr(queries, "CSV_ONLY", dict.fromkeys(queries.CSV_ONLY, refuse))
    monkeypatch.setattr(queries, "PARTS", dict.fromkeys(queries.PARTS, refuse))


def _cell(page: Any, table: str) -> str:
    return page.select(f"#table-{table} tbody tr")[0].select("td")[0].get_text(strip=True)


def test_the_refresh_job_warms_the_default_pages_for_every_process(
        world: Any, client_request: ClientRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    with time_machine.travel(TODAY, tick=False):
        result = _JOBS["insights.refresh"]()
        db.session.commit()
        # 3 periods × (7 pages + the CSV-only week-by-topic table + the funnel's stages for the summary)
        assert "27 pages warmed" in result
        client_request.sign_in(factories.create_user(Role.COMMISSIONER))
        _refuse_to_compute(monkeypatch)
        for period in ("4w", "quarter", "year"):
            for slug in ("overview", "unmet-need", "coverage", "funnel", "timeliness", "outcomes", "providers"):
                client_request.get(f"/insights/{slug}?period={period}", follow_redirects=True)
            client_request.get(f"/insights/summary?period={period}")
        funnel = client_request.get("/insights/funnel?period=quarter")
        assert _cell(funnel, "funnel") == "10"  # 8 sent, rounded to the nearest 5 as the page shows it
        csv = client_request.client.get("/insights/unmet-need/no-result-by-week.csv?period=year")
        assert csv.status_code == 200


def test_a_kept_page_holds_only_what_the_page_shows(world: Any) -> None:
    """The default rule: 1–7 hidden, others rounded to 5. No figure in a kept page is a count from 1 to 7."""
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        cache.warm_shared_pages()
        db.session.commit()
    kept = [pickle.loads(row) for row in db.session.scalars(select(InsightPageCache.figures))]
    assert kept
    for page in kept:
        tables = page.tables if hasattr(page, "tables") else [page]
        for table in tables:
            for row in [*table.rows, *([table.total] if table.total else [])]:
                for figure in row:
                    if figure.kind == "count" and figure.value is not None:
                        assert figure.value == 0 or (figure.value >= 8 and figure.value % 5 == 0), (table.id, row)


def test_a_refresh_that_changes_the_summaries_forgets_the_kept_pages(
        world: Any, client_request: ClientRequest, app_ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from microdir.domain import referrals as ops
    from tests.insights.fixtures import SENT
    from tests.referrals.helpers import details

    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=1, INSIGHTS_ROUND_TO=1)
    try:
        with time_machine.travel(TODAY, tick=False):
            _JOBS["insights.refresh"]()
            db.session.commit()
            client_request.sign_in(factories.create_user(Role.COMMISSIONER))
            assert _cell(client_request.get("/insights/funnel?period=quarter"), "funnel") == "8"
            nothing_new = _JOBS["insights.refresh"]()  # nothing changed: the kept pages stay
            db.session.commit()
            assert "0 pages warmed" in nothing_new
        with time_machine.travel(SENT, tick=False):
            referral = ops.create_draft(world.referrals["r1"].service, world.worker, details())
            ops.record_consent(referral, world.worker, expected_version=referral.version)
            ops.transition(referral, "send", actor=world.worker, expected_version=referral.version)
            db.session.commit()
        with time_machine.travel(TODAY, tick=False):
            refresh_all()  # the summaries changed: every kept page goes
            db.session.commit()
            assert db.session.scalar(select(func.count()).select_from(InsightPageCache)) == 0
            cache.clear()
            assert _cell(client_request.get("/insights/funnel?period=quarter"), "funnel") == "9"
            # … and the page a web process worked out is kept for the others
            assert db.session.scalar(select(func.count()).select_from(InsightPageCache)) == 1
            custom = "/insights/funnel?period=custom&from=2026-03-01&to=2026-03-31"
            assert _cell(client_request.get(custom), "funnel") == "9"  # custom dates: kept in this process only
            assert db.session.scalar(select(func.count()).select_from(InsightPageCache)) == 1
            _refuse_to_compute(monkeypatch)
            assert _cell(client_request.get("/insights/funnel?period=quarter"), "funnel") == "9"
    finally:
        app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=8, INSIGHTS_ROUND_TO=5)


def test_a_page_kept_by_an_older_release_is_worked_out_again(world: Any, client_request: ClientRequest) -> None:
    with time_machine.travel(TODAY, tick=False):
        _JOBS["insights.refresh"]()
        db.session.commit()
        db.session.execute(update(InsightPageCache).values(figures=b"not a page this release can read"))
        db.session.commit()
        cache.clear()
        client_request.sign_in(factories.create_user(Role.COMMISSIONER))
        assert _cell(client_request.get("/insights/funnel?period=quarter"), "funnel") == "10"


def test_the_area_picker_lists_a_new_council_after_the_next_refresh(world: Any, client_request: ClientRequest) -> None:
    """The picker's councils are kept per refresh (every page shows them): a council first searched in appears once
    the job has run, not later."""
    from datetime import datetime

    from microdir.models import SearchLog

    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()

    def councils() -> list[str]:
        page = client_request.get("/insights/coverage")
        return [option["value"] for option in page.select("select#council option") if option["value"]]

    assert councils() == ["E08000028"]
    db.session.add(SearchLog(at=datetime(2026, 3, 30, 9), query="lunch", filters={}, outcode="B69",
                             lad_code="E08000027", result_count=0, page=1))
    db.session.commit()
    assert councils() == ["E08000028"]  # the job has not run yet
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    assert sorted(councils()) == ["E08000027", "E08000028"]
