"""The search log is written in batches, outside the page's transaction, and loses nothing on a clean exit."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import SearchLog
from microdir.search import search_log
from tests import factories
from tests.pages import ClientRequest


def logged() -> list[tuple[str, str | None]]:
    db.session.rollback()  # see rows other transactions wrote
    return [(r.query, r.outcode) for r in db.session.scalars(db.select(SearchLog).order_by(SearchLog.id))]


def test_searches_are_written_together_with_their_own_times(app_ctx: Any, client_request: ClientRequest,
                                                            monkeypatch: Any) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    monkeypatch.setitem(app_ctx.config, "SEARCH_LOG_BATCH", 3)
    monkeypatch.setitem(app_ctx.config, "SEARCH_LOG_MAX_AGE", 3600)
    try:
        client_request.get("/search?q=lunch&where=B66+1AA")
        client_request.get("/search?q=Hot+Lunch")
        assert logged() == [] and search_log.waiting() == 2  # no write (and no fsync) on these pages
        client_request.get("/search?q=knitting")
        assert logged() == [("lunch", "B66"), ("hot lunch", None), ("knitting", None)]
        times = [r.at for r in db.session.scalars(db.select(SearchLog).order_by(SearchLog.id))]
        assert times == sorted(times) and len(set(times)) == 3  # each row keeps the time of its own search

        client_request.get("/search?q=gardening")
        assert search_log.waiting() == 1
        search_log.flush()  # as at process exit (atexit)
        assert logged()[-1] == ("gardening", None) and search_log.waiting() == 0
    finally:
        search_log.flush()


def test_an_old_waiting_row_is_written_at_the_next_search(app_ctx: Any, client_request: ClientRequest,
                                                          monkeypatch: Any) -> None:
    monkeypatch.setitem(app_ctx.config, "SEARCH_LOG_BATCH", 100)
    monkeypatch.setitem(app_ctx.config, "SEARCH_LOG_MAX_AGE", 0)
    try:
        client_request.get("/search?q=lunch")
        assert logged() == [("lunch", None)]
    finally:
        search_log.flush()

