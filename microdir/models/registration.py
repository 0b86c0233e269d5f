"""Provider sign-up: email addresses waiting to be verified, and how far an organisation's set-up has got."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import Organization, enum_column


class EmailVerification(Model):
    """A signed link sent to an address before an account is made for it; ``used_at`` makes the link single-use."""

    __tablename__ = "email_verification"

    id: Mapped[str] = uuid_pk()
    email: Mapped[str] = mapped_column(String(255), index=True)  # lower-case
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class TaskProgress(enum.Enum):
    """A task the provider marks done themselves (GOV.UK "Have you completed this section?")."""

    INCOMPLETE = "incomplete"
    COMPLETED = "completed"


class OrganizationSetup(Model):
    """How far an organisation registered through the task list has got with the tasks that are not listing fields."""

    __tablename__ = "organization_setup"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The workforce numbers default to 0 when the organisation is made; this says the provider has answered them.
    workforce_answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    quality_checks: Mapped[TaskProgress | None] = mapped_column(enum_column(TaskProgress))

    organization: Mapped[Organization] = relationship()


class DraftSectionSaved(Model):
    """A section of a new listing the provider has saved through the task list.

    Needed for sections whose answers are all optional (accessibility: "none of these" is an answer), which
    otherwise could not tell "answered with nothing" from "not looked at yet".
    """

    __tablename__ = "draft_section_saved"

    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    section: Mapped[str] = mapped_column(String(20), primary_key=True)
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
