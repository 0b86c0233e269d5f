"""Search synonyms (moderator-edited, applied at query time) and the search log (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import utcnow


class Synonym(Model):
    """Words people type → words listings use. "lift" → "community transport"."""

    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    term: Mapped[str] = mapped_column(String(100), unique=True)  # lowercase, accents folded, one space between words
    expansions: Mapped[str] = mapped_column(Text)  # comma-separated words or phrases
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def expansion_list(self) -> list[str]:
        return [e.strip() for e in self.expansions.split(",") if e.strip()]

    def __repr__(self) -> str:
        return f"<Synonym {self.term!r} → {self.expansions!r}>"


class SearchLog(Model):
    """One search: what was asked and how it went. Never a full postcode, never an IP address or user."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(255), default="")  # normalised: lowercase, folded, trimmed
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcode: Mapped[str | None] = mapped_column(String(8))  # postcode district only
    lad_code: Mapped[str | None] = mapped_column(String(12))  # the council of the place searched, for insight
    order: Mapped[str] = mapped_column(String(20), default="relevance")
    page: Mapped[int] = mapped_column(Integer, default=1)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    took_ms: Mapped[float] = mapped_column(Float, default=0.0)
