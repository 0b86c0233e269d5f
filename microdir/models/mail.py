"""Outgoing email, kept until the SMTP server has accepted it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import EncryptedText
from ..extensions import Model
from .base import utcnow


class OutboundEmail(Model):
    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Recipient and body are personal data: encrypted at rest while queued, erased (NULL) once sent or given up,
    # leaving the anonymous record that a message went (subject, dates, attempts).
    to: Mapped[str | None] = mapped_column(EncryptedText())
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the delivery job may next try it: retries back off (microdir/mail.py).
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set by the sender when the body holds a secret link (every body is erased once sent now; kept for the record).
    erase_after_send: Mapped[bool] = mapped_column(default=False)
