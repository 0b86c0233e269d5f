"""The audit trail. Only ``domain/audit.py`` writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow


class AuditEvent(Model):
    __tablename__ = "audit_event"

    # BigInteger on PostgreSQL, INTEGER on SQLite so it stays an autoincrementing rowid.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(255))  # kept when the account is gone: "a.moderator@…", "system"
    action: Mapped[str] = mapped_column(String(80), index=True)  # verb-first: "listing.publish"
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User")
