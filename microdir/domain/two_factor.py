"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238, from the maintained `pyotp` library).

Required for everyone who can see special-category data or run the service (admins, link workers, moderators,
commissioners); optional for providers. The secret is stored encrypted (``crypto.EncryptedText``); a code works
once (the last accepted time-step is kept); ten recovery codes are shown once and stored only as hashes; an admin
can reset a person's two-factor sign-in when they lose their device. Every step is audited.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import RecoveryCode, Role, User, utcnow
from . import audit

REQUIRED_ROLES = frozenset({Role.ADMIN, Role.LINK_WORKER, Role.MODERATOR, Role.COMMISSIONER})
RECOVERY_CODE_COUNT = 10
# A code from the step before or after now is accepted too: phone clocks drift and people type slowly.
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper and typed


def required_for(user: User) -> bool:
    """Return True when this person must use two-factor sign-in."""
    return user.role in REQUIRED_ROLES


def needs_enrolment(user: User) -> bool:
    """Return True when this person must set up two-factor sign-in before anything else."""
    return required_for(user) and not user.two_factor_enabled


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def start_enrolment(user: User) -> str:
    """Give the person a new secret to add to their app (kept until a code confirms it); return it."""
    if user.two_factor_enabled:
        raise ValueError("two-factor sign-in is already set up")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_last_counter = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """Return the otpauth:// address an authenticator app reads from the QR code."""
    assert user.totp_secret
    return _totp(user.totp_secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TWO_FACTOR_ISSUER"])


def qr_code_svg(user: User) -> str:
    """Return the enrolment QR code as an inline SVG, drawn on the server (no script, no image request)."""
    qr = segno.make(provisioning_uri(user), error="m")
    svg = qr.svg_inline(scale=4, border=4, light="#fff", title="QR code for your authenticator app",
                        svgclass="app-qr-code", lineclass=None)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


def grouped_secret(secret: str) -> str:
    """Return the secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _matching_counter(user: User, code: str, at: float | None = None) -> int | None:
    """Return the time-step ``code`` belongs to, if it is one of the accepted steps and newer than the last used."""
    code = "".join(code.split())
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(user.totp_secret)
    now = int((at if at is not None else time.time()) // totp.interval)
    for counter in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            if user.totp_last_counter is not None and counter <= user.totp_last_counter:
                return None  # already used: a code read over someone's shoulder cannot be replayed
            return counter
    return None


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn two-factor sign-in on if ``code`` is right; return the new recovery codes (to show once), else None."""
    counter = _matching_counter(user, code)
    if counter is None:
        audit.record("user.two_factor_enrol_failed", "user", user.id, actor=user)
        return None
    user.totp_last_counter = counter
    user.totp_enabled_at = utcnow()
    audit.record("user.two_factor_enrol", "user", user.id, actor=user)
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes with new ones; return them in plain text, to show once."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=generate_password_hash(code, method=method)))
    audit.record("user.recovery_codes_issued", "user", user.id, actor=user)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _use_recovery_code(user: User, code: str) -> bool:
    typed = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(typed) != 10:
        return False
    unused = db.session.scalars(
        db.select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for stored in unused:
        if check_password_hash(stored.code_hash, typed):
            stored.used_at = utcnow()
            return True
    return False


def verify_sign_in(user: User, code: str) -> str | None:
    """Check the second step of sign-in; return how it was passed ("totp" or "recovery_code"), else None."""
    if not user.two_factor_enabled:
        return None
    counter = _matching_counter(user, code)
    if counter is not None:
        user.totp_last_counter = counter
        return "totp"
    if _use_recovery_code(user, code):
        audit.record("user.recovery_code_used", "user", user.id, actor=user,
                     left=recovery_codes_left(user))
        return "recovery_code"
    audit.record("user.two_factor_failed", "user", user.id, actor=user)
    return None


def recovery_codes_left(user: User) -> int:
    """Return how many unused recovery codes the person has."""
    return int(db.session.scalar(
        db.select(db.func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0)


def reset(user: User, *, actor: User) -> None:
    """Clear a person's two-factor sign-in (lost device) and end their sessions; they set it up again next time."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.session_generation = (user.session_generation or 0) + 1
    audit.record("user.two_factor_reset", "user", user.id, actor=actor)


def turn_off(user: User) -> None:
    """Turn off two-factor sign-in for someone who may choose (providers)."""
    if required_for(user):
        raise ValueError("two-factor sign-in is required for this role")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("user.two_factor_off", "user", user.id, actor=user)
