"""Form submissions already acted on: a double press of "Continue" or "Add note" makes one thing, not two."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import utcnow


class FormSubmission(Model):
    __tablename__ = "form_submission"

    # The random token the form carried (one per rendering); the primary key makes a repeat fail to insert.
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    result_url: Mapped[str | None] = mapped_column(String(500))  # where the first submission led
