"""The results page's cards, kept per process between requests and checked against the database on every use.

A card's facts (name, organisation, description, when, cost, capacity, badge) depend only on the listing, and
every change to a listing or to anything it shows (organisation, profile, schedules, costs: the change-log flush
listener in ``models/changes.py``) moves the service row's ``version`` and ``last_modified``. So each results page
reads just those two columns and the visibility columns of its hits (one small query), uses the cards whose
version still matches, and loads and presents only the others. An edit made by any process shows on the next
results page of every process: the key is read from the shared database, never remembered. "Next: …" depends on
the clock too, so a card is kept only until its next session starts.

Measured (bench/page_profile.py, 10,000 services): loading and presenting 20 results ~10 ms a page before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload

from ..domain.listings import is_publicly_visible
from ..extensions import db
from ..models import Organization, Service
from .presenters import CardFacts, ResultView, card_facts, where_text

EXTENSION = "microdir_result_cards"

# Built once (a statement per page cost ~0.3 ms to build and key). The hits' key and visibility columns:
_KEYS = db.select(Service.id, Service.version, Service.last_modified, Service.listing_status,
                  Service.last_verified_at, Service.first_published_at, Service.created_at,
                  ).where(Service.id.in_(bindparam("ids", expanding=True)))
# Everything a card shows, in one query: the schedules and costs joined in too (one or two of each a listing)
# rather than two more SELECT ... IN queries; for 20 cards 42 -> 31 ms at load ~13, interleaved.
_CARDS = db.select(Service).where(Service.id.in_(bindparam("ids", expanding=True))).options(
    joinedload(Service.organization).joinedload(Organization.profile),
    joinedload(Service.schedules), joinedload(Service.cost_options),
)
DEFAULT_ENTRIES = 20_000  # ~1 KB each; a 10,000-listing directory fits, a national one keeps the popular ones


@dataclass(frozen=True)
class _Entry:
    version: int
    last_modified: datetime | None
    facts: CardFacts


class CardCache:
    """Card facts by service id, least recently used first out; safe to share between a process's threads."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._cards: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, service_id: str, version: int, last_modified: datetime | None, now: datetime) -> CardFacts | None:
        with self._lock:
            entry = self._cards.get(service_id)
            if entry is None or entry.version != version or entry.last_modified != last_modified or (
                    entry.facts.valid_until is not None and now > entry.facts.valid_until):
                self.misses += 1
                return None
            self._cards.move_to_end(service_id)
            self.hits += 1
            return entry.facts

    def put(self, service_id: str, version: int, last_modified: datetime | None, facts: CardFacts) -> None:
        with self._lock:
            self._cards[service_id] = _Entry(version, last_modified, facts)
            self._cards.move_to_end(service_id)
            while len(self._cards) > self.entries:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()


def card_cache(app: Flask | None = None) -> CardCache:
    """Return this app's card cache (one per app, so each test app starts empty)."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions[EXTENSION] = CardCache(int(app.config.get("RESULT_CARD_CACHE_ENTRIES",
                                                                          DEFAULT_ENTRIES)))
    return cast(CardCache, cache)


def result_views(hits: Sequence[Any], now: datetime, hide_after_days: int) -> list[ResultView]:
    """Return the cards of the search ``hits`` residents may see, in order; hidden listings are left out.

    Each hit has ``service_id``, ``distance_miles``, ``mode`` and ``label`` (``search.queries.SearchHit``).
    """
    if not hits:
        return []
    ids = [hit.service_id for hit in hits]
    # The columns the visibility rule reads, and the card's key: one small query instead of three wide ones.
    rows = {row.id: row for row in db.session.execute(_KEYS, {"ids": ids})}
    cache = card_cache()
    facts: dict[str, CardFacts] = {}
    missing: list[str] = []
    for service_id, row in rows.items():
        # The row has every column the rule reads (status and the three dates), so the one rule applies to it.
        if not is_publicly_visible(cast(Service, row), now, hide_after_days):
            continue  # the index can lag a moment behind an unpublish; never show a hidden listing
        found = cache.get(service_id, row.version, row.last_modified, now)
        if found is None:
            missing.append(service_id)
        else:
            facts[service_id] = found
    if missing:
        for service in db.session.scalars(_CARDS, {"ids": missing}).unique():
            if not is_publicly_visible(service, now, hide_after_days):
                continue  # changed between the two reads
            facts[service.id] = card_facts(service, now)
            cache.put(service.id, service.version, service.last_modified, facts[service.id])
    return [
        ResultView.of(hit.service_id, facts[hit.service_id], where_text(hit.distance_miles, hit.mode, hit.label))
        for hit in hits if hit.service_id in facts
    ]
