"""Problems residents report with a listing; moderators work through them in the moderation queue."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import Service, enum_column


class ReportStatus(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class ProblemReport(Model):
    """One resident's report that a listing is wrong. Anonymous: nothing about the reporter is kept."""

    __tablename__ = "problem_report"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # codes from domain/reports.py REASONS
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), default=ReportStatus.OPEN, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    service: Mapped[Service] = relationship()
    closed_by = relationship("User")
