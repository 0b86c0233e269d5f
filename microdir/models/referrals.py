"""Referrals from link workers to services, their history, and wellbeing scores.

Personal fields are encrypted at rest (``crypto.EncryptedText``); everything else is an anonymous fact kept
for reports after the personal fields are erased. Statuses and the transition table live in
``domain/referrals/``; only its ``transition`` changes ``status``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedDate, EncryptedText
from ..extensions import Model
from .base import utcnow, uuid_pk
from .directory import enum_column


class ReferralStatus(enum.Enum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    FIRST_CONTACT = "first_contact"
    ENGAGED = "engaged"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class DeclineReason(enum.Enum):
    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    COULD_NOT_CONTACT = "could_not_contact"
    OTHER = "other"


class CloseOutcome(enum.Enum):
    COMPLETED = "completed"
    STOPPED_ATTENDING = "stopped_attending"
    PERSON_DECLINED = "person_declined"
    MOVED_AWAY = "moved_away"
    OTHER = "other"
    # The person did not start (from accepted or first contact): issue 15
    NOT_REACHED = "not_reached"
    CHANGED_MIND = "changed_mind"
    NOT_SUITABLE = "not_suitable"


class ContactMethod(enum.Enum):
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    THROUGH_LINK_WORKER = "through_link_worker"


PERSON_PLACEHOLDER = "{person}"


class Referral(Model):
    __tablename__ = "referral"

    id: Mapped[str] = uuid_pk()
    # Given to the person: short, and made of letters and digits that cannot be misread (no 0/O, 1/I/L, U).
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus), default=ReferralStatus.DRAFT, index=True)
    # Optimistic locking: an UPDATE carries "WHERE version = <the version loaded>", so of two people acting
    # at once only the first write lands; the other gets a conflict instead of silently overwriting.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    consent_given_at: Mapped[datetime | None] = mapped_column(DateTime)
    consent_wording_version: Mapped[str | None] = mapped_column(String(20))
    # The exact words shown, kept as they were, with "{person}" where the person's name was: the name itself is
    # only in the encrypted person_name (``consent_text`` puts it back for reading).
    consent_wording: Mapped[str | None] = mapped_column(Text)
    capacity_warning_seen: Mapped[bool] = mapped_column(Boolean, default=False)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # needs taxonomy codes: anonymous, for reports

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    outcome: Mapped[CloseOutcome | None] = mapped_column(enum_column(CloseOutcome))
    # When the link worker asks the person the wellbeing questions again; the caseload reminds them on the day.
    follow_up_on: Mapped[date | None] = mapped_column(Date)

    # Personal data: encrypted at rest, erased (set to None, erased_at set) on withdrawal or after retention.
    person_name: Mapped[str | None] = mapped_column(EncryptedText())
    contact_method: Mapped[str | None] = mapped_column(EncryptedText())  # a ContactMethod value
    contact_details: Mapped[str | None] = mapped_column(EncryptedText())
    date_of_birth: Mapped[date | None] = mapped_column(EncryptedDate())
    reasons_text: Mapped[str | None] = mapped_column(EncryptedText())
    provider_notes: Mapped[str | None] = mapped_column(EncryptedText())  # access needs, what the provider should know
    safeguarding_flag: Mapped[bool] = mapped_column(Boolean, default=False)  # a yes/no, not the concern itself
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The consent receipt. The email is kept in the outbound store (its address blanked once sent); the text
    # message is never sent by us (no SMS gateway): the link worker reads it out or texts it themselves.
    receipt_email_id: Mapped[int | None] = mapped_column(Integer)
    receipt_sms_text: Mapped[str | None] = mapped_column(EncryptedText())

    __mapper_args__ = {"version_id_col": version}

    service = relationship("Service")
    organization = relationship("Organization")
    team = relationship("Team")
    created_by = relationship("User")
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )
    scores: Mapped[list[WellbeingScore]] = relationship(
        back_populates="referral", order_by="WellbeingScore.id", cascade="all, delete-orphan"
    )
    nudges: Mapped[list[ReferralNudge]] = relationship(
        back_populates="referral", order_by="ReferralNudge.id", cascade="all, delete-orphan"
    )

    @property
    def consent_text(self) -> str | None:
        """The consent words as they were shown, with the person's name (or "The person" once it is erased)."""
        if self.consent_wording is None:
            return None
        return self.consent_wording.replace(PERSON_PLACEHOLDER, self.person_name or "The person")

    @property
    def contact(self) -> ContactMethod | None:
        return ContactMethod(self.contact_method) if self.contact_method else None

    def __repr__(self) -> str:
        return f"<Referral {self.reference} {self.status.value}>"


class ReferralEvent(Model):
    """One step in a referral's history: who did what, when, and their note."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(20))  # team | provider | system | person
    action: Mapped[str] = mapped_column(String(40))
    # Named apart: two CHECK constraints named after the same enum type collide on PostgreSQL.
    from_status: Mapped[ReferralStatus | None] = mapped_column(enum_column(ReferralStatus, name="from_status"))
    to_status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus, name="to_status"))
    # A note may mention the person, so it is personal data too.
    note: Mapped[str | None] = mapped_column(EncryptedText())

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor = relationship("User")


class WellbeingScore(Model):
    """Answers to one wellbeing scale at one stage ("referral" or "close")."""

    __tablename__ = "wellbeing_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    scale: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20))
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(back_populates="scores")


class ReferralNudge(Model):
    """A reminder or notice a job sent about an unanswered referral; one of each kind, ever (what makes it idempotent)."""

    __tablename__ = "referral_nudge"
    __table_args__ = (UniqueConstraint("referral_id", "kind", name="uq_referral_nudge_referral_id_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # provider_reminder | link_worker_unanswered
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # how many emails went out

    referral: Mapped[Referral] = relationship(back_populates="nudges")
