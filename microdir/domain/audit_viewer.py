"""Reading the audit log: filters by who, what, object and date; pages; CSV. Nothing here writes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func

from ..extensions import db
from ..models import AuditEvent


def _date(text: str, label: str, errors: dict[str, str]) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[label] = f"{label.capitalize()} must be a real date, like 2026-12-31"
        return None


@dataclass
class AuditFilters:
    who: str = ""  # part of the actor's email address, or "system"
    what: str = ""  # the start of an action, e.g. "referral." or "user.role_change"
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AuditFilters:
        raw = {key: (args.get(key) or "").strip()[:120] for key in ("who", "what", "object_type", "object_id",
                                                                      "since", "until")}
        errors: dict[str, str] = {}
        since = _date(raw["since"], "from", errors)
        until = _date(raw["until"], "to", errors)
        if since and until and until < since:
            errors["to"] = "The ‘to’ date must be the same as or after the ‘from’ date"
        return cls(raw["who"], raw["what"], raw["object_type"], raw["object_id"], since, until, errors, raw)

    def as_args(self) -> dict[str, str]:
        return {key: value for key, value in self.raw.items() if value}

    def query(self) -> Any:
        query = db.select(AuditEvent)
        if self.who:
            like = f"%{_escape(self.who.lower())}%"
            query = query.where(func.lower(AuditEvent.actor_label).like(like, escape="\\"))
        if self.what:
            query = query.where(AuditEvent.action.like(f"{_escape(self.what)}%", escape="\\"))
        if self.object_type:
            query = query.where(AuditEvent.object_type == self.object_type)
        if self.object_id:
            query = query.where(AuditEvent.object_id == self.object_id)
        if self.since and "from" not in self.errors:
            query = query.where(AuditEvent.at >= datetime.combine(self.since, time.min))
        if self.until and "to" not in self.errors:
            query = query.where(AuditEvent.at < datetime.combine(self.until + timedelta(days=1), time.min))
        return query


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(filters: AuditFilters, *, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    """Return one page of matching events, newest first, and how many match in all."""
    query = filters.query()
    total = int(db.session.scalar(db.select(func.count()).select_from(query.subquery())) or 0)
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(events), total


CSV_HEADER = ["id", "when_utc", "who", "action", "object_type", "object_id", "reason", "detail"]


def _safe_cell(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(filters: AuditFilters, batch: int = 1000) -> Iterator[str]:
    """Yield the matching events as CSV text, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    last_id = 0
    while True:
        events = db.session.scalars(
            filters.query().where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not events:
            return
        buffer.seek(0)
        buffer.truncate()
        for event in events:
            writer.writerow([event.id, event.at.isoformat(timespec="seconds"), _safe_cell(event.actor_label),
                             event.action, event.object_type, event.object_id or "",
                             _safe_cell(event.reason or ""), _safe_cell(json.dumps(event.detail or {},
                                                                                   ensure_ascii=False))])
        yield buffer.getvalue()
        last_id = events[-1].id
