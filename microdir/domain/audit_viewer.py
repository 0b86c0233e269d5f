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
from ..models import AuditEvent, Organization, Role, Service, Team, User


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


# Object types whose id names something a person recognises; shown by name on the page (admins only see it).
_NAMED_OBJECTS: dict[str, Any] = {"user": User, "team": Team, "service": Service, "organization": Organization}
_OBJECT_WORDS = {"user": "Account", "team": "Team", "service": "Listing", "organization": "Organisation",
                 "referral": "Referral", "revision": "Change", "claim": "Claim"}
_ID_KEYS = {"team_id": "team", "organization_id": "organization", "service_id": "service", "member_id": "user",
            "claimant_id": "user"}


@dataclass(frozen=True)
class AuditLine:
    """One event as the audit log page shows it: the object by name and the details in words."""

    event: AuditEvent
    object_text: str
    detail_text: str


def _names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """Look up, one query per kind, the name of every user, team, listing or organisation these events mention."""
    wanted: dict[str, set[str]] = {kind: set() for kind in _NAMED_OBJECTS}
    for event in events:
        if event.object_type in wanted and event.object_id:
            wanted[event.object_type].add(str(event.object_id))
        for key, kind in _ID_KEYS.items():
            value = (event.detail or {}).get(key)
            if value is not None:
                wanted[kind].add(str(value))
    names: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if not ids:
            continue
        model = _NAMED_OBJECTS[kind]
        if kind == "user":
            numbers = [int(i) for i in ids if i.isdigit()]
            for user in db.session.scalars(db.select(User).where(User.id.in_(numbers))):
                names[(kind, str(user.id))] = f"{user.name} ({user.email})" if user.name else user.email
        else:
            for row in db.session.scalars(db.select(model).where(model.id.in_(ids))):
                names[(kind, str(row.id))] = row.name
    return names


def _value_text(key: str, value: Any, names: dict[tuple[str, str], str]) -> str:
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in _ID_KEYS:
        return names.get((_ID_KEYS[key], str(value)), str(value))
    if key.endswith("role") and value in Role._value2member_map_:
        return Role(value).label.lower()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _key_text(key: str) -> str:
    return (key.removesuffix("_id") if key in _ID_KEYS else key).replace("_", " ").capitalize()


def describe(events: list[AuditEvent]) -> list[AuditLine]:
    """The events for the audit log page: objects and ids by name, details as "Key: value" in plain words."""
    names = _names(events)
    lines = []
    for event in events:
        word = _OBJECT_WORDS.get(event.object_type, event.object_type.replace("_", " ").capitalize())
        object_text = word
        if event.object_id:
            name = names.get((event.object_type, str(event.object_id)))
            object_text = f"{word}: {name}" if name else f"{word} {event.object_id}"
        details = [f"{_key_text(key)}: {_value_text(key, value, names)}" for key, value in (event.detail or {}).items()]
        lines.append(AuditLine(event, object_text, "; ".join(details)))
    return lines


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
