"""The resident's shortlist: kept in the session only (no account), shareable as a link, sendable by email."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from flask import session

from .domain.listings import is_publicly_visible
from .extensions import db
from .models import Service

SESSION_KEY = "shortlist"
MAX_ITEMS = 30  # a shortlist is for a handful; this also caps the share-link length (30 × 22 characters)


def ids() -> list[str]:
    """Return the listing ids on this visitor's shortlist, in the order they were added."""
    stored = session.get(SESSION_KEY, [])
    return [i for i in stored if isinstance(i, str)] if isinstance(stored, list) else []


def contains(service_id: str) -> bool:
    return service_id in ids()


def add(service_id: str) -> bool:
    """Add a listing; return False when the list is already full."""
    current = ids()
    if service_id in current:
        return True
    if len(current) >= MAX_ITEMS:
        return False
    session[SESSION_KEY] = [*current, service_id]
    return True


def remove(service_id: str) -> None:
    session[SESSION_KEY] = [i for i in ids() if i != service_id]


def clear() -> None:
    session.pop(SESSION_KEY, None)


def encode_ids(service_ids: list[str]) -> str:
    """Pack listing ids into a short, URL-safe token: base64url of the UUIDs' 16 bytes each, unpadded."""
    raw = b"".join(uuid.UUID(i).bytes for i in service_ids[:MAX_ITEMS])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_ids(token: str) -> list[str]:
    """Unpack a share token into listing ids; raise ValueError when it is not one we made."""
    token = (token or "").strip()
    if not token or len(token) > 22 * MAX_ITEMS + 2:
        raise ValueError("empty or too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error
    if not raw or len(raw) % 16:
        raise ValueError("not a whole number of ids")
    found = [str(uuid.UUID(bytes=raw[n:n + 16])) for n in range(0, len(raw), 16)]
    return list(dict.fromkeys(found))


def visible_services(service_ids: list[str], now: datetime, hide_after_days: int) -> list[Service]:
    """Load the listings residents may see, keeping the shortlist's order; unknown or hidden ids drop out."""
    if not service_ids:
        return []
    rows = db.session.scalars(db.select(Service).where(Service.id.in_(service_ids))).all()
    by_id = {s.id: s for s in rows if is_publicly_visible(s, now, hide_after_days)}
    return [by_id[i] for i in service_ids if i in by_id]


def email_shortlist(to: str, subject: str, body: str) -> bool:
    """Queue the shortlist for ``to``; the delivery job sends it and then erases the address and the body.

    The privacy notice promises we use the address for this one email only: it waits in the outbox (encrypted)
    only until it is sent, or given up.
    """
    from .mail import send_email

    send_email(to, subject, body, secret=True)  # erased once sent
    return True

