"""A lease per job, so the same job never runs in two places at once (cron and RQ, or two overlapping cron runs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class JobLease(Model):
    """Who is running a job now, until when. A run that dies leaves a lease that lapses at ``expires_at``."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
