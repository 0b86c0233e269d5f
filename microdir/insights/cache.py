"""Pages computed once per refresh: the summaries change only when the insights.refresh job runs, so a page's figures
for the same filters are the same until then. Kept per process, bounded, and keyed on the job's last run, the
filters, the day and the small-number rule, so nothing stale or differently rounded is ever served.

Cold, a page is a handful of GROUP BY queries over the summary tables (see bench/insights.py for both figures).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import current_app

from . import disclosure, queries
from .filters import Filters
from .refresh import refresh_marker

MAX_PAGES = 256
_lock = threading.Lock()
_pages: OrderedDict[tuple[Any, ...], queries.Page] = OrderedDict()


def cached_page(slug: str, filters: Filters) -> queries.Page:
    """Return the page's figures, computing them only when the summaries have changed since they were cached."""
    key = (id(current_app._get_current_object()), slug, filters.start, filters.end, filters.area,  # type: ignore[attr-defined]
           disclosure.rule(), refresh_marker(), repr(current_app.config.get("OUTCOME_SCALES")),
           current_app.config.get("REFERRAL_OVERDUE_WORKING_DAYS"))
    with _lock:
        page = _pages.get(key)
        if page is not None:
            _pages.move_to_end(key)
            return page
    page = queries.PAGES[slug][1](filters)
    with _lock:
        _pages[key] = page
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return page


def clear() -> None:
    with _lock:
        _pages.clear()
