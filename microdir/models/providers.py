"""The micro-provider profile and quality checks; the rule that judges them is in ``domain/listings.py``."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import Organization, enum_column


class LegalForm(enum.Enum):
    SOLE_TRADER = "sole_trader"
    PARTNERSHIP = "partnership"
    CIC = "cic"
    CHARITY = "charity"
    UNINCORPORATED_GROUP = "unincorporated_group"
    COMPANY = "company"


LEGAL_FORM_LABELS = {
    LegalForm.SOLE_TRADER: "Sole trader",
    LegalForm.PARTNERSHIP: "Partnership",
    LegalForm.CIC: "Community interest company (CIC)",
    LegalForm.CHARITY: "Charity",
    LegalForm.UNINCORPORATED_GROUP: "Unincorporated community group",
    LegalForm.COMPANY: "Company",
}


class MicroProviderProfile(Model):
    """What the micro-provider rule needs: workforce and independence, as the provider declared them."""

    __tablename__ = "micro_provider_profile"

    id: Mapped[str] = uuid_pk()
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), unique=True, index=True
    )
    legal_form: Mapped[LegalForm] = mapped_column(enum_column(LegalForm))
    paid_workers: Mapped[int] = mapped_column(Integer, default=0)  # headcount
    paid_workers_fte: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    unpaid_workers: Mapped[int] = mapped_column(Integer, default=0)
    unpaid_workers_fte: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    independent: Mapped[bool] = mapped_column(Boolean, default=False)  # declared independent of any larger body
    independence_declared_at: Mapped[datetime | None] = mapped_column(DateTime)
    parent_body: Mapped[str | None] = mapped_column(String(255))  # named when not independent
    # The people behind the figures above, as the provider gave them: [{"paid": true, "hours": "12.5"}, ...], one per
    # person, no names. None for figures given before people were asked about one by one (they stay as they were).
    people: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # A moderator may override the verdict, with a recorded reason (audited).
    moderator_override: Mapped[bool | None] = mapped_column(Boolean)
    moderator_override_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="profile")


class QualityCheckType(enum.Enum):
    DBS = "dbs"
    PUBLIC_LIABILITY = "public_liability"
    SAFEGUARDING_TRAINING = "safeguarding_training"
    FOOD_HYGIENE = "food_hygiene"
    CQC_OFSTED = "cqc_ofsted"
    OTHER = "other"


QUALITY_CHECK_LABELS = {
    QualityCheckType.DBS: "DBS check",
    QualityCheckType.PUBLIC_LIABILITY: "Public liability insurance",
    QualityCheckType.SAFEGUARDING_TRAINING: "Safeguarding training",
    QualityCheckType.FOOD_HYGIENE: "Food hygiene rating",
    QualityCheckType.CQC_OFSTED: "CQC or Ofsted registration",
    QualityCheckType.OTHER: "Other check",
}


class QualityCheck(Model):
    __tablename__ = "quality_check"

    id: Mapped[str] = uuid_pk()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    check_type: Mapped[QualityCheckType] = mapped_column(enum_column(QualityCheckType))
    description: Mapped[str | None] = mapped_column(Text)  # what "other" means, or the rating
    reference: Mapped[str | None] = mapped_column(String(255))  # certificate, policy or registration number
    cover_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # insurance cover in pounds
    checked_on: Mapped[date | None] = mapped_column(Date)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="quality_checks")
    checked_by = relationship("User")
    document: Mapped[QualityCheckDocument | None] = relationship(
        back_populates="quality_check", cascade="all, delete-orphan", uselist=False
    )

    @property
    def label(self) -> str:
        return QUALITY_CHECK_LABELS[self.check_type]

    def in_force(self, today: date) -> bool:
        """Return True when a moderator has checked it and it has not expired."""
        return self.checked_on is not None and (self.expires_on is None or self.expires_on >= today)


class QualityCheckDocument(Model):
    """A file backing a quality check (an insurance certificate, a DBS letter).

    The file lives outside the static folder under a random name (``stored_name``, see ``microdir/documents.py``);
    only the organisation's members and moderators may download it.
    """

    __tablename__ = "quality_check_document"

    id: Mapped[str] = uuid_pk()
    quality_check_id: Mapped[str] = mapped_column(
        ForeignKey("quality_check.id", ondelete="CASCADE"), unique=True, index=True
    )
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random; never anything the uploader chose
    filename: Mapped[str] = mapped_column(String(255))  # the uploader's name for it, cleaned, for the download
    content_type: Mapped[str] = mapped_column(String(50))  # as read from the file's first bytes
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    quality_check: Mapped[QualityCheck] = relationship(back_populates="document")
