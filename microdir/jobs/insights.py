"""Jobs for commissioner insight: keep the summary tables up to date, then send the summary emails that are due.

Both are idempotent: the refresh reads only rows added since its last position, and each summary email is recorded
(one per subscription per period) before it is queued.
"""

from __future__ import annotations

import time

from .registry import register_job


def refresh_insight_summaries() -> str:
    from ..insights.cache import warm_shared_pages
    from ..insights.refresh import refresh_all

    counts = refresh_all()
    # The web processes cannot see this one's page cache; the shared one lets the first commissioner after a
    # refresh have the default pages at once.
    started = time.perf_counter()
    warmed = warm_shared_pages()
    return ", ".join([*(f"{count} {what}" for what, count in counts.items()),
                      f"{warmed} pages warmed in {time.perf_counter() - started:.1f}s"])


def send_insight_reports() -> str:
    from ..insights.reports import send_due_reports

    return f"{send_due_reports()} queued"


register_job("insights.refresh", refresh_insight_summaries)
register_job("insights.send_reports", send_insight_reports)
