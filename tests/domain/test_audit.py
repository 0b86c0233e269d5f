"""domain/audit.py: one writer of the audit trail; outside a request the actor is "system"."""

from __future__ import annotations

from typing import Any

from microdir.domain import audit
from microdir.extensions import db
from microdir.models import AuditEvent, Role
from tests import factories


def test_an_entry_names_its_actor_object_reason_and_details(app_ctx: Any) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    audit.record("listing.suspend", "service", "abc", actor=moderator, reason="Closed", previous_status="published")
    db.session.commit()
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.suspend"))
    assert (event.actor_id, event.actor_label) == (moderator.id, moderator.email)
    assert (event.action, event.object_type, event.object_id, event.reason) == ("listing.suspend", "service", "abc",
                                                                                 "Closed")
    assert event.detail == {"previous_status": "published"}


def test_without_a_request_or_an_actor_it_is_the_system_and_ids_are_text(app_ctx: Any) -> None:
    audit.record("job.run", "user", 42)
    db.session.commit()
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "job.run"))
    assert (event.actor_id, event.actor_label, event.object_id) == (None, "system", "42")
