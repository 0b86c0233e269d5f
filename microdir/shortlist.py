"""The resident's shortlist: kept for 30 days in a cookie of service ids (no account), shareable, sendable by email.

The cookie holds listing ids only (packed as in a share link), nothing about the person; the cookies page says so.
Changes are kept on ``g`` during the request and written in one ``Set-Cookie`` after it (``init_app``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any

from flask import Flask, g, request, session

from .domain.listings import is_publicly_visible
from .extensions import db
from .models import Service

SESSION_KEY = "shortlist"  # where shortlists lived before the cookie: moved into it on the next change
COOKIE_NAME = "shortlist"
COOKIE_MAX_AGE = 30 * 24 * 3600  # 30 days
MAX_ITEMS = 30  # a shortlist is for a handful; this also caps the share-link length (30 × 22 characters)


def _read() -> list[str]:
    if "shortlist_ids" in g:
        return list(g.shortlist_ids)
    found: list[str] = []
    try:
        found = decode_ids(request.cookies.get(COOKIE_NAME, ""))
    except ValueError:
        found = []
    stored = session.get(SESSION_KEY, []) if SESSION_KEY in session else []
    if isinstance(stored, list):
        found += [i for i in stored if isinstance(i, str) and i not in found]
    g.shortlist_ids = found[:MAX_ITEMS]
    return list(g.shortlist_ids)


def _write(service_ids: list[str]) -> None:
    g.shortlist_ids = service_ids
    g.shortlist_changed = True
    session.pop(SESSION_KEY, None)


def ids() -> list[str]:
    """Return the listing ids on this visitor's shortlist, in the order they were added."""
    return _read()


def count() -> int:
    """Return how many services are on the shortlist (for the header)."""
    return len(_read())


def contains(service_id: str) -> bool:
    return service_id in ids()


def add(service_id: str) -> bool:
    """Add a listing; return False when the list is already full."""
    current = ids()
    if service_id in current:
        return True
    if len(current) >= MAX_ITEMS:
        return False
    _write([*current, service_id])
    return True


def remove(service_id: str) -> None:
    _write([i for i in ids() if i != service_id])


def clear() -> None:
    _write([])


def _save_cookie(response: Any) -> Any:
    if not g.get("shortlist_changed"):
        return response
    kept = [i for i in g.shortlist_ids if _is_uuid(i)]
    if kept:
        response.set_cookie(COOKIE_NAME, encode_ids(kept), max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=request.is_secure, path="/")
    else:
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax", secure=request.is_secure)
    return response


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def init_app(app: Flask) -> None:
    """Write the shortlist cookie after any request that changed the list; offer its size to every page."""
    app.after_request(_save_cookie)
    app.add_template_global(count, "shortlist_count")


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

