"""Idempotent create forms: each rendering carries a random token; a second submission of the same token (a double
click, a resend after a slow answer) does nothing and goes where the first one led."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField

from .extensions import db
from .models import utcnow
from .models.submissions import FormSubmission

KEEP_FOR = timedelta(days=2)
_TOKEN = re.compile(r"[0-9a-f]{32}")


def new_token() -> str:
    return uuid.uuid4().hex


def token_field() -> HiddenField:
    """A hidden field holding a fresh token each time the form is shown (a re-shown form keeps the one sent)."""
    return HiddenField(default=new_token)


def claim(token: str | None) -> str | None:
    """Record that this submission is being acted on; return None the first time, else where the first one led.

    A missing or malformed token (an old form) is not checked. The primary key makes two at once safe: the second
    insert waits for the first transaction and then fails.
    """
    if not token or not _TOKEN.fullmatch(token):
        return None
    earlier = db.session.get(FormSubmission, token)
    if earlier is None:
        try:
            with db.session.begin_nested():
                db.session.add(FormSubmission(token=token))
            return None
        except IntegrityError:
            earlier = db.session.get(FormSubmission, token)
    return (earlier.result_url if earlier is not None else None) or ""


def record_result(token: str | None, url: str) -> None:
    """Remember where the first submission led, for a repeat to go to the same place."""
    if token and _TOKEN.fullmatch(token):
        row = db.session.get(FormSubmission, token)
        if row is not None:
            row.result_url = url


def purge_old() -> int:
    """Forget tokens older than two days; return how many."""
    old = db.session.scalars(db.select(FormSubmission).where(FormSubmission.created_at < utcnow() - KEEP_FOR)).all()
    for row in old:
        db.session.delete(row)
    return len(old)
