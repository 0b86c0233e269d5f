"""Configuration in layers: these classes, then ``instance/config.py``, then ``MICRODIR_*`` environment variables."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any


class Config:
    """Defaults for every deployment; safe for the embedded SQLite setup."""

    SERVICE_NAME = "microdir"
    PLACE_NAME = "West Midlands"  # shown beside the service name in the header
    SECRET_KEY: str | None = None  # required; a dev key is generated into instance/ by `make demo`
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SEARCH_INDEX_DIR: str | None = None  # default: <instance>/index
    GEO_DATABASE: str | None = None  # default: <instance>/geo.sqlite

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (ProductionConfig does)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    PREFERRED_URL_SCHEME = "http"
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = 3600 * 4

    # Sign-in throttling: per client address and per account name.
    LOGIN_RATE_LIMIT = "10 per 5 minutes"
    REDIS_URL: str | None = None  # MICRODIR_REDIS_URL: rate limits and job queue go to Redis when set
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Residents: "Report a problem" and "Email me this list", per client address.
    REPORT_RATE_LIMIT = "5 per hour"
    SHORTLIST_EMAIL_RATE_LIMIT = "5 per hour"

    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "microdir <no-reply@microdir.invalid>"
    MAIL_TIMEOUT = 10

    PASSWORD_HASH_METHOD = "scrypt"
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    INVITATION_MAX_AGE = 72 * 3600  # seconds an emailed invitation to choose a password stays valid

    # Listings not verified for this many days are "stale"; hidden from search after STALE_HIDE_DAYS.
    STALE_AFTER_DAYS = 365
    STALE_HIDE_DAYS = 365

    # Geocoding is offline. An online geocoder may be enabled explicitly; it is never used by default.
    ONLINE_GEOCODER: str | None = None

    # Open Referral UK open-data API (/api/oruk): public, no key, throttled per client address.
    ORUK_RATE_LIMIT = "600 per minute"
    ORUK_IMPORT_FROM_URL_ENABLED = False  # `flask oruk import https://…` refuses unless this is turned on

    PROXY_FIX = False  # trust X-Forwarded-* from one proxy (set behind a load balancer)

    # Referrals: personal fields are encrypted at rest with these Fernet keys; the first encrypts, all decrypt.
    # MICRODIR_FIELD_ENCRYPTION_KEYS='["new", "old"]'. Rotation steps: microdir/crypto.py.
    FIELD_ENCRYPTION_KEYS: list[str] = []
    # Without keys, development and tests derive one from SECRET_KEY; production refuses to start.
    FIELD_ENCRYPTION_KEYS_REQUIRED = False
    REFERRAL_OVERDUE_WORKING_DAYS = 5  # a sent referral with no answer after this many working days is overdue
    # Further wellbeing scales, for services that hold the licence (format: microdir/domain/outcomes.py).
    OUTCOME_SCALES: dict[str, Any] = {}


class TestConfig(Config):
    """Used by the test suite."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    MAIL_TIMEOUT = 5
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests only; production uses scrypt


class ProductionConfig(Config):
    """Behind HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    FIELD_ENCRYPTION_KEYS_REQUIRED = True  # never derive the referral data key from SECRET_KEY in production


CONFIGS = {"default": Config, "test": TestConfig, "production": ProductionConfig}


def _coerce(value: str) -> Any:
    """Read an environment value as JSON when it looks like JSON (numbers, booleans, lists), else as text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def environment_overrides(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Collect ``MICRODIR_*`` variables (and ``DATABASE_URL``) as config keys."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        overrides["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    for key, value in environ.items():
        if not key.startswith("MICRODIR_") or key == "MICRODIR_CONFIG":
            continue
        name = key[len("MICRODIR_"):]
        if name == "DATABASE_URL":
            name = "SQLALCHEMY_DATABASE_URI"
        overrides[name] = value if name in {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL"} else _coerce(value)
    return overrides


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short form."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
