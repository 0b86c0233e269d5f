"""Keeping listings right: stale-listing reminders, quality-check notices, and moderators' holds on a listing.

Each reminder or notice is a row, unique per listing (or check) and period, so a job that runs twice sends
nothing twice.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import ListingStatus, Service, enum_column
from .providers import QualityCheck


class ChaseStage(enum.Enum):
    """How far the chasing of a listing nobody has confirmed has gone, in the order it happens."""

    FIRST_REMINDER = "first_reminder"
    SECOND_REMINDER = "second_reminder"
    ESCALATED = "escalated"  # a moderator is asked to follow it up
    HIDDEN = "hidden"  # hidden from search until someone confirms it


class ListingReminder(Model):
    """One step of chasing a listing, for the period that began when it was last confirmed (``checked_at``).

    For a reminder email the row also carries the one-click "still right" link's state: used once, then done.
    """

    __tablename__ = "listing_reminder"
    __table_args__ = (UniqueConstraint("service_id", "stage", "checked_at", name="uq_listing_reminder_period"),)

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ChaseStage] = mapped_column(enum_column(ChaseStage))
    checked_at: Mapped[datetime] = mapped_column(DateTime)  # the last confirmation this period counts from
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    service: Mapped[Service] = relationship()


class QualityCheckNoticeKind(enum.Enum):
    EXPIRY_REMINDER = "expiry_reminder"  # members emailed before the check expires
    EXPIRED = "expired"  # the check stopped counting


class QualityCheckNotice(Model):
    """That a quality check's expiry was acted on, once per check and expiry date."""

    __tablename__ = "quality_check_notice"
    __table_args__ = (UniqueConstraint("quality_check_id", "kind", "expires_on", name="uq_quality_check_notice_once"),)

    id: Mapped[str] = uuid_pk()
    quality_check_id: Mapped[str] = mapped_column(ForeignKey("quality_check.id", ondelete="CASCADE"), index=True)
    kind: Mapped[QualityCheckNoticeKind] = mapped_column(enum_column(QualityCheckNoticeKind))
    expires_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    quality_check: Mapped[QualityCheck] = relationship()


class ListingHold(Model):
    """Why a moderator suspended or archived a listing, and when; the listing's status says which it is now."""

    __tablename__ = "listing_hold"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_by_label: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    service: Mapped[Service] = relationship()
