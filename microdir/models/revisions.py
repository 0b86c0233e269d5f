"""Pending changes to listings: a provider's edit of a published listing, or a new listing sent for review.

The published listing stays live and unchanged until a moderator approves; the revision keeps a snapshot of the
editable fields (``domain/listing_edits.py`` says which) and the Service.version it was made from.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import Organization, Service, enum_column


class RevisionStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the provider saved again before a moderator decided


class ListingRevision(Model):
    __tablename__ = "listing_revision"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    base_version: Mapped[int] = mapped_column(Integer)  # the Service.version the provider edited
    # True when this asks to publish a listing for the first time (the service is PENDING_REVIEW).
    is_new_listing: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # snapshot of the editable fields
    # The published listing's editable fields when the provider made this change, so a moderator is warned only
    # when the listing itself moved on (not when the version moved for a document upload). None before 0020_review.
    base_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[RevisionStatus] = mapped_column(
        enum_column(RevisionStatus), default=RevisionStatus.PENDING, index=True
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected; shown to the provider

    # One-way relationships: adding a revision must not mark the live service as changed.
    service: Mapped[Service] = relationship()
    organization: Mapped[Organization] = relationship()
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
