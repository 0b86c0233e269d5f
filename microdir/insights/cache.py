"""Pages computed once per refresh: the summaries change only when the insights.refresh job runs, so a page's figures
for the same filters are the same until then.

Two levels, both keyed on the page, the filters, the small-number rule, the settings the figures use and the job's
last run (so nothing stale or differently rounded is ever served):
- ``insight_page_cache``, for the picker's named periods (last 4 weeks, quarter, year), shared by every web process
  and warmed by the job for those periods over the whole deployment, so the first commissioner after a refresh
  does not wait for the slow pages; each refresh that changes the summaries empties it (``refresh``);
- a bounded dictionary in each process in front of it, for repeats.

What is kept is the page as shown, after disclosure control: no unrounded count is stored. The rows are pickled;
only this module writes them, from figures it computed itself.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import InsightPageCache
from . import disclosure, queries
from .filters import DEFAULT_PERIOD, PERIODS, Filters, parse_filters
from .refresh import refresh_marker

log = logging.getLogger(__name__)

MAX_PAGES = 256
WARMED_PERIODS = tuple(period for period in PERIODS if period != "custom")
_lock = threading.Lock()
_pages: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _shared_key(slug: str, filters: Filters) -> str:
    parts = (slug, filters.start, filters.end, filters.area, disclosure.rule(), refresh_marker(),
             repr(current_app.config.get("OUTCOME_SCALES")), current_app.config.get("REFERRAL_OVERDUE_WORKING_DAYS"),
             current_app.config.get("BANK_HOLIDAYS_REGION"))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _builder(slug: str) -> Callable[[Filters], Any]:
    page_slug, _, table_id = slug.partition("/")
    if not table_id:
        return queries.PAGES[page_slug][1]
    return queries.CSV_ONLY.get((page_slug, table_id)) or queries.PARTS[(page_slug, table_id)]


def _load_shared(key: str) -> Any:
    figures = db.session.scalar(select(InsightPageCache.figures).where(InsightPageCache.key == key))
    if figures is None:
        return None
    try:
        return pickle.loads(figures)  # noqa: S301  # written only by this module
    except Exception:  # kept by an older release whose classes differ: work the page out again
        log.info("insight page kept by another release not read")
        return None


def _save_shared(key: str, page: Any) -> None:
    """Keep the page for the other processes, on a connection of its own (a GET request's session does not commit).
    Best effort: another process saving the same page first, or a busy database, only costs the next one a rebuild."""
    try:
        with db.engine.begin() as connection:
            connection.execute(insert(InsightPageCache).values(key=key, figures=pickle.dumps(page)))
    except SQLAlchemyError as error:
        log.info("insight page not kept for other processes: %s", type(error).__name__)


def cached_page(slug: str, filters: Filters, build: Callable[[Filters], Any] | None = None) -> Any:
    """Return the page's figures (or what ``build`` makes, e.g. a CSV-only table, slug "<page>/<table>"), computing
    them only when no process has since the summaries last changed."""
    key = _shared_key(slug, filters)
    local_key = (id(current_app._get_current_object()), key)  # type: ignore[attr-defined]
    with _lock:
        page = _pages.get(local_key)
        if page is not None:
            _pages.move_to_end(local_key)
            return page
    # Only the picker's named periods are shared: custom dates are rarely asked for twice, and sharing them would
    # cost every one a write and let the table grow with each date a commissioner tries.
    shared = filters.period in WARMED_PERIODS
    page = _load_shared(key) if shared else None
    if page is None:
        page = (build or _builder(slug))(filters)
        if shared:
            _save_shared(key, page)
    with _lock:
        _pages[local_key] = page
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return page


def councils_known() -> list[tuple[str, str]]:
    """Return the area picker's councils (``queries.councils_known``), worked out once per refresh in each process:
    they come from the summaries, and every page showed the picker (two DISTINCT scans, ~35 ms a page at 100,000
    listings' keys)."""
    local_key = (id(current_app._get_current_object()), "councils", refresh_marker())  # type: ignore[attr-defined]
    with _lock:
        councils = _pages.get(local_key)
    if councils is None:
        councils = queries.councils_known()
        with _lock:
            _pages[local_key] = councils
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
    return list(councils)


def warm_shared_pages() -> int:
    """Compute every page and CSV-only table for the default periods over the whole deployment and keep them in the
    shared cache, in the caller's transaction (the job's: they appear together with the summaries they come from).
    Return how many."""
    assert DEFAULT_PERIOD in WARMED_PERIODS
    slugs = [*queries.PAGES, *(f"{page}/{part}" for page, part in (*queries.CSV_ONLY, *queries.PARTS))]
    warmed = 0
    for period in WARMED_PERIODS:
        filters = parse_filters({"period": period})
        for slug in slugs:
            key = _shared_key(slug, filters)
            if db.session.get(InsightPageCache, key) is None:
                db.session.add(InsightPageCache(key=key, figures=pickle.dumps(_builder(slug)(filters))))
                warmed += 1
    db.session.flush()
    return warmed


def clear() -> None:
    with _lock:
        _pages.clear()
