"""Shared column helpers for every model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Return the current time as naive UTC, the form stored in every database column."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_uuid() -> str:
    """Return a new random UUID string; ORUK requires UUID ids for every object."""
    return str(uuid.uuid4())


def uuid_pk() -> Mapped[str]:
    """A UUID primary key stored as text, so SQLite and PostgreSQL behave the same and ORUK maps it as is."""
    return mapped_column(String(36), primary_key=True, default=new_uuid)
