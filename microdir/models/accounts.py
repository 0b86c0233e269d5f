"""People who sign in. Residents never need an account."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import EncryptedText
from ..extensions import Model, db
from .base import utcnow, uuid_pk
from .directory import Organization, enum_column


class Role(enum.Enum):
    PROVIDER = "provider"  # a member of one or more organisations
    LINK_WORKER = "link_worker"  # a member of a team: GP practice, PCN, council team
    MODERATOR = "moderator"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PROVIDER: "Provider",
    Role.LINK_WORKER: "Link worker",
    Role.MODERATOR: "Moderator",
    Role.COMMISSIONER: "Commissioner",
    Role.ADMIN: "Administrator",
}


class TeamKind(enum.Enum):
    GP_PRACTICE = "gp_practice"
    PCN = "pcn"
    COUNCIL_TEAM = "council_team"
    OTHER = "other"


class Team(Model):
    """A link workers' team; colleagues in a team share its caseload."""

    __tablename__ = "team"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[TeamKind] = mapped_column(enum_column(TeamKind), default=TeamKind.GP_PRACTICE)
    ods_code: Mapped[str | None] = mapped_column(String(20))  # NHS ODS code of a practice or PCN
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="team")


organization_membership = Table(
    "organization_membership",
    db.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Changing the password bumps this, so reset links and sessions issued before it stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # Every session carries the generation it was signed in under, checked on every request. Signing out, a password
    # change and an admin's "stop sign-in" bump it, so a copied session cookie stops working at once.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set when an admin's invitation is sent; cleared when the person chooses their password.
    invited_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Two-factor sign-in (TOTP, RFC 6238). The secret is encrypted like referral personal data; it is set when
    # enrolment starts and counts only once a code has confirmed it (totp_enabled_at). The last accepted time-step
    # stops a code being used twice.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText())
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)

    team: Mapped[Team | None] = relationship(back_populates="members")
    organizations: Mapped[list[Organization]] = relationship(secondary=organization_membership)

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in for deactivated accounts
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class RecoveryCode(Model):
    """A one-time code that stands in for the authenticator app. Only its hash is kept; it is shown once."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
