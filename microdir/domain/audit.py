"""The one writer of the audit trail."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent, User


def record(
    action: str,
    object_type: str,
    object_id: str | int | None,
    *,
    actor: User | None = None,
    reason: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit entry for ``action`` on an object; the caller's transaction commits it with the change.

    ``actor`` defaults to the signed-in user; jobs and the CLI pass ``None`` outside a request and are
    recorded as "system".
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()  # type: ignore[attr-defined]
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        reason=reason,
        detail=detail,
    )
    db.session.add(event)
    return event
