"""Claims: a provider asks to manage a listing nobody manages yet (for example one imported from open data)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import Organization, Service, enum_column


class ClaimMethod(enum.Enum):
    EMAIL_LINK = "email_link"  # proved by a signed link sent to the listing's published email address
    MODERATOR = "moderator"  # no published address: a moderator decides


class ClaimStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ListingClaim(Model):
    __tablename__ = "listing_claim"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    method: Mapped[ClaimMethod] = mapped_column(enum_column(ClaimMethod))
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus), default=ClaimStatus.PENDING, index=True)
    connection: Mapped[str] = mapped_column(Text, default="")  # the claimant's own words: how they run the service
    sent_to: Mapped[str | None] = mapped_column(String(255))  # the address the link went to (EMAIL_LINK)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)  # why a moderator rejected it; emailed to the claimant

    service: Mapped[Service] = relationship()
    organization: Mapped[Organization] = relationship()
    claimant = relationship("User", foreign_keys=[claimant_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def service_name(self) -> str:
        return self.service.name

    @property
    def organization_name(self) -> str:
        return self.organization.name
