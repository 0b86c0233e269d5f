"""Accounts: create, authenticate, change passwords, reset by emailed link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..mail import email_link, send_email
from ..models import Organization, Role, Team, TeamKind, User, utcnow
from ..signed_links import LinkInvalid, LinkPurpose, make_link_token, read_link_token
from . import audit, passwords

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# A hash to compare against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000")


class AccountError(ValueError):
    """A problem with account details, worded for the person who entered them; ``field`` is the answer at fault."""

    def __init__(self, message: str, *, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """Validate an email address's form (no DNS lookup) and return it in lower case."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError("Enter an email address in the correct format, like name@example.com") from error


def check_password_strength(password: str, *, personal: Sequence[str] = ()) -> None:
    """Raise AccountError unless the password is long enough and not common or guessable.

    Exactly what the person typed is checked and kept: nothing is stripped or changed.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Your password must be {MIN_PASSWORD_LENGTH} characters or more")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    problem = passwords.weakness(password, personal)
    if problem is not None:
        raise AccountError(problem)


def hash_password(password: str) -> str:
    """Hash with scrypt (werkzeug's default); the test suite sets a cheaper method to stay fast."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str,
    name: str,
    password: str,
    role: Role,
    *,
    team: Team | None = None,
    organizations: list[Organization] | None = None,
    actor: User | None = None,
) -> User:
    """Create an account; raise AccountError with a message a person can act on."""
    email = normalise_email(email)
    check_password_strength(password, personal=[email, name])
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this email address already exists")
    if role is Role.LINK_WORKER and team is None:
        raise AccountError("A link worker must belong to a team", field="team")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), role=role, team=team)
    user.organizations = list(organizations or [])
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, actor=actor, role=role.value)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None. Takes the same time for unknown emails.

    This is the password step only: ``record_sign_in`` records the sign-in once every step has passed.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not _password_matches(user, password) or not user.active:
        return None
    return user


def record_sign_in(user: User, method: str = "password") -> None:
    """Record a completed sign-in; ``method`` says how the last step was passed (password, totp, recovery_code)."""
    user.last_sign_in_at = utcnow()
    audit.record("user.sign_in", "user", user.id, actor=user, method=method)


def _password_matches(user: User, password: str) -> bool:
    if check_password_hash(user.password_hash, password):
        return True
    # Passwords set before they were kept exactly as typed had their ends stripped: accept that form too.
    stripped = password.strip()
    return stripped != password and bool(stripped) and check_password_hash(user.password_hash, stripped)


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Change a password, ending every other session and any outstanding reset link."""
    check_password_strength(password, personal=[user.email, user.name])
    user.password_hash = hash_password(password)
    user.invited_at = None
    user.session_epoch = (user.session_epoch or 0) + 1
    end_sessions(user)
    audit.record("user.password_change", "user", user.id, actor=actor or user)


def end_sessions(user: User) -> None:
    """End every session of this person, on every device, from their next request on."""
    user.session_generation = (user.session_generation or 0) + 1


def sign_out(user: User) -> None:
    """Sign a person out server-side: a copy of their session cookie no longer works either."""
    end_sessions(user)
    audit.record("user.sign_out", "user", user.id, actor=user)


def make_reset_token(user: User) -> str:
    """Return a password-reset token: it works for PASSWORD_RESET_MAX_AGE seconds, once."""
    return make_link_token(LinkPurpose.PASSWORD_RESET, {"user": user.id, "epoch": user.session_epoch})


def make_invitation_token(user: User) -> str:
    """Return an invitation's choose-a-password token: it works for INVITATION_MAX_AGE seconds, once."""
    return make_link_token(LinkPurpose.INVITATION, {"user": user.id, "epoch": user.session_epoch})


def user_for_reset_token(token: str) -> User | None:
    """Return the user a reset or invitation token is for, or None if it is bad, expired or already used.

    Each purpose has its own salt and its own age, so a reset link never lives as long as an invitation.
    """
    data: dict[str, Any] | None = None
    for purpose, setting in ((LinkPurpose.PASSWORD_RESET, "PASSWORD_RESET_MAX_AGE"),
                             (LinkPurpose.INVITATION, "INVITATION_MAX_AGE")):
        try:
            data = read_link_token(purpose, token, current_app.config[setting])
        except LinkInvalid:
            continue
        break
    if data is None:
        return None
    user_id = data.get("user")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    # The epoch changes with the password, which makes either link single-use.
    if user is None or not user.active or user.session_epoch != data.get("epoch"):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account. Says nothing either way, so accounts cannot be probed."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = email_link("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = (
        f"Hello {user.name},\n\n"
        f"Someone asked to reset the password for your {current_app.config['SERVICE_NAME']} account.\n\n"
        f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for this, you can ignore this email: your password has not changed.\n"
    )
    send_email(user.email, "Reset your password", body, secret=True)
    audit.record("user.password_reset_request", "user", user.id, actor=user)


def invite_user(
    email: str, name: str, role: Role, *, team: Team | None = None, organizations: list[Organization] | None = None
) -> User | None:
    """Invite a person: create an account with no usable password and email a link to choose one; return it.

    When the address already has an account, nothing is created, its owner is told instead and None is returned:
    the caller gives the same answer either way, so the form never reveals who has an account.
    """
    import secrets

    email = normalise_email(email)
    if role is Role.LINK_WORKER and team is None:
        raise AccountError("A link worker must belong to a team", field="team")
    existing = find_user_by_email(email)
    if existing is not None:
        _tell_existing_account(existing)
        audit.record("user.invite_existing", "user", existing.id)
        return None
    user = create_user(email, name, secrets.token_urlsafe(32), role, team=team, organizations=organizations)
    user.invited_at = utcnow()
    link = email_link("auth.reset_password", token=make_invitation_token(user))
    hours = current_app.config["INVITATION_MAX_AGE"] // 3600
    body = (
        f"Hello {user.name},\n\n"
        f"An account has been made for you on {current_app.config['SERVICE_NAME']} ({current_app.config['PLACE_NAME']}) "
        f"as a {role.label.lower()}.\n\n"
        f"To choose your password, open this link within {hours} hours:\n\n{link}\n\n"
        "The link works once.\n"
    )
    send_email(user.email, "Your microdir account", body, secret=True)
    return user


def _tell_existing_account(user: User) -> None:
    """Email the owner of an address an admin tried to invite: they have an account already."""
    service = current_app.config["SERVICE_NAME"]
    body = (
        f"Hello {user.name},\n\n"
        f"An administrator asked to create a {service} account for this email address, but you already have one.\n\n"
        f"Sign in at {email_link('auth.sign_in')}\n\n"
        f"If you have forgotten your password, ask for a new one at {email_link('auth.forgot_password')}\n"
    )
    send_email(user.email, "Your microdir account", body)


def pending_invitations() -> list[User]:
    """Return the invited people who have not chosen a password yet, oldest invitation first."""
    return list(db.session.scalars(
        db.select(User).where(User.invited_at.is_not(None)).order_by(User.invited_at, User.id)
    ))


def invitation_expired(user: User) -> bool:
    """Return True when the person's invitation link no longer works."""
    if user.invited_at is None:
        return False
    return utcnow() - user.invited_at > timedelta(seconds=current_app.config["INVITATION_MAX_AGE"])


def set_active(user: User, active: bool, *, actor: User | None = None) -> None:
    """Allow or stop sign-in; stopping also ends the person's sessions."""
    user.active = active
    if not active:
        user.session_epoch = (user.session_epoch or 0) + 1
        end_sessions(user)
    audit.record("user.activate" if active else "user.deactivate", "user", user.id, actor=actor)


TEAM_KIND_LABELS = {
    TeamKind.GP_PRACTICE: "GP practice",
    TeamKind.PCN: "Primary care network",
    TeamKind.COUNCIL_TEAM: "Council team",
    TeamKind.OTHER: "Another kind of team",
}


def create_team(name: str, kind: TeamKind, *, actor: User | None = None) -> Team:
    """Create a link workers' team: the one operation the admin pages and the CLI use. Audited.

    Raises AccountError when the name is empty or another team already has it (any case).
    """
    name = " ".join((name or "").split())
    if not name:
        raise AccountError("Enter the team’s name")
    if len(name) > 255:
        raise AccountError("Team name must be 255 characters or fewer")
    if not isinstance(kind, TeamKind):
        raise AccountError("Select what kind of team it is")
    existing = db.session.scalar(db.select(Team).where(db.func.lower(Team.name) == name.lower()))
    if existing is not None:
        raise AccountError(f"There is already a team called {existing.name}")
    team = Team(name=name, kind=kind)
    db.session.add(team)
    db.session.flush()
    audit.record("team.create", "team", team.id, actor=actor, name=name, kind=kind.value)
    return team


def change_role(user: User, role: Role, *, actor: User | None = None, team: Team | None = None) -> None:
    """Change someone's role; audited. It takes effect at their next request (the role is read every request).

    A link worker needs a team; other roles have none. A provider keeps their organisations.
    """
    if not isinstance(role, Role):
        raise AccountError("Select a role")
    if actor is not None and actor.id == user.id:
        raise AccountError("You cannot change your own role")
    if role is Role.LINK_WORKER and (team or user.team) is None:
        raise AccountError("Select the link worker’s team")
    before = user.role
    if before is role and (role is not Role.LINK_WORKER or team is None or team.id == user.team_id):
        return
    user.role = role
    user.team = (team or user.team) if role is Role.LINK_WORKER else None
    # user.team_id is only set at the next flush: read the team itself, or a new link worker's team is "None"
    audit.record("user.role_change", "user", user.id, actor=actor, from_role=before.value, to_role=role.value,
                 team_id=user.team.id if user.team else None)
    db.session.flush()
