"""The search log, written in batches off the search's own transaction.

Writing one row per search with its own commit cost an fsync on every results page (13–25 ms on SQLite, and a
write lock the other worker waits on). Rows are kept in this process and written together, in one short
transaction of their own, when ``SEARCH_LOG_BATCH`` rows are waiting or the oldest is ``SEARCH_LOG_MAX_AGE``
seconds old (checked at the next search), and when the process exits. Each row keeps the time of its search, and
insights read rows by id past their last position, so a late row is still counted at the next refresh.
A crash (kill -9, power loss) loses at most the rows still waiting: fewer than ``SEARCH_LOG_BATCH`` searches.
"""

from __future__ import annotations

import atexit
import threading
import time
from typing import Any

from flask import current_app
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from ..extensions import db
from ..models import SearchLog, utcnow

_lock = threading.Lock()
_waiting: list[dict[str, Any]] = []
_engines: dict[int, Engine] = {}  # the engine of each waiting batch's app, so exit can write them
_oldest: float | None = None


def record(row: dict[str, Any]) -> None:
    """Keep one search-log row (``SearchLog`` columns) and write the batch if it is full or old enough."""
    global _oldest
    row.setdefault("at", utcnow())
    engine = db.engine
    batch = int(current_app.config.get("SEARCH_LOG_BATCH", 20))
    max_age = float(current_app.config.get("SEARCH_LOG_MAX_AGE", 10))
    with _lock:
        _waiting.append(row)
        _engines[id(engine)] = engine
        now = time.monotonic()
        _oldest = _oldest if _oldest is not None else now
        due = len(_waiting) >= batch or now - _oldest >= max_age
    if due:
        flush(engine)


def waiting() -> int:
    """Return how many rows are waiting to be written in this process."""
    return len(_waiting)


def flush(engine: Engine | None = None) -> int:
    """Write every waiting row in one transaction of its own; return how many were written."""
    global _oldest
    with _lock:
        rows = list(_waiting)
        _waiting.clear()
        _oldest = None
        engines = [engine] if engine is not None else list(_engines.values())
        _engines.clear()
    if not rows:
        return 0
    target = engines[0] if engines else db.engine
    try:
        with target.begin() as connection:
            connection.execute(insert(SearchLog), rows)
    except Exception:
        with _lock:  # keep them for the next try rather than lose them
            _waiting[:0] = rows
            _engines[id(target)] = target
        raise
    return len(rows)


@atexit.register
def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the database may be gone at exit: nothing more can be done
        pass
