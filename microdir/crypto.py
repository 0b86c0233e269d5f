"""Encrypt personal fields at rest with Fernet (AES-128-CBC + HMAC-SHA256, from the maintained `cryptography` library).

Keys come from config ``FIELD_ENCRYPTION_KEYS``: a list of Fernet keys (or one string, comma-separated keys).
The FIRST key encrypts; EVERY key decrypts, which is what makes rotation possible without downtime.

Make a key: ``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``

Rotate keys (e.g. yearly, or at once if a key may have leaked):
1. Put the NEW key first and keep the old one after it:
   ``MICRODIR_FIELD_ENCRYPTION_KEYS='["<new key>", "<old key>"]'``, and restart every web and job process.
   New writes use the new key; old rows still decrypt with the old one.
2. Run ``flask referrals rotate-keys``: it re-encrypts every stored value under the new key (idempotent; safe
   to run again if it stops half way).
3. Remove the old key from the list and restart. Anything still under the old key would now fail loudly, so
   step 2 must have finished ("0 values left under old keys" from ``flask referrals rotate-keys --check``).
4. Destroy the old key. Backups taken before step 2 still need it: keep it in the backup vault until those expire.

Development and tests: when no key is configured and ``FIELD_ENCRYPTION_KEYS_REQUIRED`` is false, a key is
derived from ``SECRET_KEY``. That is NOT safe for production (the data is then only as secret as the session
key, and changing SECRET_KEY makes it unreadable), so ProductionConfig requires real keys.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_CACHE_KEY = "microdir.field_encryption"


class EncryptionNotConfigured(RuntimeError):
    """Production must set FIELD_ENCRYPTION_KEYS."""


class DecryptionFailed(RuntimeError):
    """A stored value could not be decrypted with any configured key."""


def _configured_keys(app: Flask) -> list[str]:
    raw = app.config.get("FIELD_ENCRYPTION_KEYS") or []
    if isinstance(raw, str):
        raw = [part.strip() for part in raw.split(",")]
    return [key for key in raw if key]


def development_key(secret_key: str) -> str:
    """Derive a Fernet key from SECRET_KEY; for development and tests only (see the module docstring)."""
    digest = hashlib.sha256(b"microdir field encryption v1\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def keys_for(app: Flask) -> list[str]:
    """Return the keys in force: configured ones, else a development key when that is allowed."""
    keys = _configured_keys(app)
    if keys:
        return keys
    if app.config.get("FIELD_ENCRYPTION_KEYS_REQUIRED"):
        raise EncryptionNotConfigured(
            "Set FIELD_ENCRYPTION_KEYS (MICRODIR_FIELD_ENCRYPTION_KEYS) to a list of Fernet keys; see microdir/crypto.py."
        )
    return [development_key(app.config["SECRET_KEY"])]


def fernet(app: Flask | None = None) -> MultiFernet:
    """Return the MultiFernet for the app's keys, cached until the keys change."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    keys = tuple(keys_for(app))
    cached = app.extensions.get(_CACHE_KEY)
    if cached is None or cached[0] != keys:
        try:
            cached = (keys, MultiFernet([Fernet(key) for key in keys]))
        except ValueError as error:  # a malformed key: say which setting, never echo the key
            raise EncryptionNotConfigured(f"FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key: {error}") from error
        app.extensions[_CACHE_KEY] = cached
    return cached[1]


def encrypt(plaintext: str) -> str:
    """Encrypt text under the first key."""
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt text stored under any configured key."""
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise DecryptionFailed(
            "A personal field could not be decrypted: its key is not in FIELD_ENCRYPTION_KEYS."
        ) from error


def rotate_token(token: str) -> str:
    """Re-encrypt one stored value under the first key."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")


def encrypted_under_primary(token: str) -> bool:
    """Return True when ``token`` decrypts with the first (current) key."""
    primary = Fernet(keys_for(current_app._get_current_object())[0])  # type: ignore[attr-defined]
    try:
        primary.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with Fernet before it reaches the database; decrypted on load. Not searchable by design."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return encrypt(self.to_text(value))

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        return self.from_text(decrypt(value))

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text


class EncryptedDate(EncryptedText):
    """A date stored encrypted as ISO text."""

    cache_ok = True

    def to_text(self, value: Any) -> str:
        if not isinstance(value, date):
            raise TypeError(f"EncryptedDate needs a date, not {type(value).__name__}")
        return value.isoformat()

    def from_text(self, text: str) -> date:
        return date.fromisoformat(text)


def check_configuration(app: Flask) -> None:
    """Fail at start-up, not at the first referral, when production has no usable key."""
    fernet(app)


def encrypted_columns(table: Any) -> Sequence[Any]:
    """Return the columns of a table stored with an encrypted type."""
    return [column for column in table.columns if isinstance(column.type, EncryptedText)]
