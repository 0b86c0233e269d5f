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
    # Timeouts, so a database that is down or hung gives a 503 within seconds (microdir/database.py).
    DB_CONNECT_TIMEOUT = 3  # seconds to open a connection (PostgreSQL)
    DB_STATEMENT_TIMEOUT_MS = 15000  # one statement, PostgreSQL
    DB_POOL_TIMEOUT = 5  # seconds to wait for a free pooled connection
    DB_BUSY_TIMEOUT = 5  # seconds SQLite waits for another writer's lock
    DB_RETRY_AFTER_SECONDS = 30  # the Retry-After header of the 503 "service unavailable" answer

    SEARCH_INDEX_DIR: str | None = None  # default: <instance>/index
    SEARCH_QUERY_CACHE_SIZE = 2000  # cached match bitmaps per searcher (LRU; 12.5 KB each at 100k listings)
    SEARCH_SCORE_CACHE_POSTINGS = 2_500_000  # cached term scores per searcher, in postings (LRU; 12 bytes each)
    SEARCH_PLACE_CACHE_SIZE = 256  # cached "areas that cover this place" bitmaps per searcher (LRU)
    SEARCH_MAX_WIDEN_MILES = 25  # the radius widens by itself (5 → 10 → …) never further than this
    GEO_DATABASE: str | None = None  # default: <instance>/geo.sqlite
    SEARCH_LOG_BATCH = 20  # search-log rows written together (microdir/search/search_log.py: a crash loses < this)
    SEARCH_LOG_MAX_AGE = 10.0  # seconds: an older waiting row is written at the next search
    # /healthz says "degraded" (503) when this node's index is further behind the change log than either of these.
    SEARCH_INDEX_MAX_BEHIND = 100  # change-log rows not yet applied
    SEARCH_INDEX_MAX_LAG_SECONDS = 30.0  # age of the oldest change not yet applied
    # With several nodes behind a load balancer: a degraded node answers searches 503, so the balancer retries them
    # on a node that is in step (nginx `proxy_next_upstream http_503`) instead of showing stale results.
    SEARCH_FAILOVER_WHEN_DEGRADED = False

    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True behind HTTPS (ProductionConfig does)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    PREFERRED_URL_SCHEME = "http"
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Documents backing quality checks (microdir/documents.py): the largest file accepted, where files are kept
    # (None: the instance folder's documents/), and how large an upload request may be, so a file over the limit
    # gets a clear message rather than the "too big" page.
    DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
    DOCUMENTS_DIR: str | None = None
    DOCUMENT_UPLOAD_REQUEST_LIMIT = 20 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = 3600 * 4

    # Gzip (Flask-Compress) for what the app sends itself, when the browser accepts it: pages, CSS, JavaScript, SVG.
    # In the app, not nginx: deploy/nginx proxies every path here (static files too) and the embedded setup has no
    # proxy; nginx passes an encoded response on as is. Not the JSON APIs: their clients (and the ORUK conformance
    # test, through WSGI) may read the body as sent, and API pages are small and paged. Measured (bench/http_load.py):
    # a results page is ~63 KB of HTML and the stylesheet ~133 KB; gzipped, ~7 and ~16 KB, ~1 ms a page at level 6.
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                          "image/svg+xml"]
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500  # bytes: below this gzip's header outweighs the saving
    COMPRESS_STREAMS = False  # a generator (CSV and NDJSON downloads) streams as it is; static files: see create_app
    COMPRESS_REGISTER = False  # create_app registers it, for complete 200 responses only

    # Sign-in throttling: per client address and per account name.
    LOGIN_RATE_LIMIT = "10 per 5 minutes"
    # Two-factor sign-in (TOTP): the name authenticator apps show, attempts at the code step per client address and
    # per account, and how long after the password step the code may be entered.
    TWO_FACTOR_ISSUER = "microdir"
    TWO_FACTOR_RATE_LIMIT = "5 per 5 minutes"
    TWO_FACTOR_PENDING_SECONDS = 300
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
    MAIL_TIMEOUT = 10  # seconds each SMTP step may take (connect, each reply); only the delivery job waits on it
    MAIL_MAX_ATTEMPTS = 12  # tries before a message is given up
    MAIL_RETRY_MAX_MINUTES = 60  # back-off between tries doubles from 1 minute up to this

    PASSWORD_HASH_METHOD = "scrypt"
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link stays valid
    # "Forgot your password" answers no sooner than this, known address or not (bench/forgot_password.py)
    RESET_REQUEST_MIN_SECONDS = 0.25
    INVITATION_MAX_AGE = 72 * 3600  # seconds an emailed invitation to choose a password stays valid
    # Provider registration: the emailed link to verify an address, and the link that proves a claim of a listing.
    REGISTRATION_LINK_MAX_AGE = 24 * 3600  # seconds a "verify your email address" link stays valid
    REGISTRATION_RATE_LIMIT = "5 per hour"  # "Register your service" emails, per client address and per address
    CLAIM_LINK_MAX_AGE = 7 * 24 * 3600  # seconds the link sent to a listing's published address stays valid
    CLAIM_RATE_LIMIT = "5 per hour"  # claims made, per client address (each may email a listing's address)

    # A listing nobody has confirmed for this many days is hidden from search until someone does.
    STALE_HIDE_DAYS = 365
    # Chasing a listing nobody has confirmed, in days since it was last confirmed ("still right"):
    # a reminder at about 6 months, a second at 9, a moderator follows it up at 11; hidden at STALE_HIDE_DAYS.
    LISTING_FIRST_REMINDER_DAYS = 182
    LISTING_SECOND_REMINDER_DAYS = 273
    LISTING_ESCALATION_DAYS = 334
    LISTING_CONFIRM_LINK_MAX_AGE = 60 * 24 * 3600  # seconds a reminder's one-click "still right" link works
    QUALITY_CHECK_REMINDER_DAYS = 30  # members are emailed this many days before a quality check expires
    # An expired check is the provider's to renew first; moderators see it only this many days after it lapsed.
    QUALITY_CHECK_MODERATOR_GRACE_DAYS = 14
    # Development only: /dev/mail lists every stored email with working links (production refuses to start with it).
    DEV_MAIL_VIEWER = False
    ARCHIVED_LISTING_PURGE_DAYS = 90  # archived listings are deleted for good this many days after archiving
    JOB_LEASE_SECONDS = 3600  # a job that dies mid-run can run again elsewhere after this long
    JOB_QUEUE_NAME = "microdir"  # the RQ queue `flask jobs enqueue-due` fills and `flask jobs worker` empties
    # The site's address, e.g. "https://directory.example.gov.uk": every link in an email starts with it, so no link
    # takes its host from a request (a forged Host or X-Forwarded-Host would send a reset token elsewhere).
    # Production refuses to start without it.
    PUBLIC_URL: str | None = None
    PUBLIC_URL_REQUIRED = False
    # Without PUBLIC_URL (development), an emailed link uses the request's host only when it is one of these
    # (a host name, any port); otherwise http://localhost:5000.
    LINK_HOSTS_ALLOWED: list[str] = ["localhost", "127.0.0.1"]

    # Geocoding is offline. An online geocoder may be enabled explicitly; it is never used by default.
    ONLINE_GEOCODER: str | None = None

    # Open Referral UK open-data API (/api/oruk): public, no key, throttled per client address.
    ORUK_RATE_LIMIT = "600 per minute"
    ORUK_IMPORT_FROM_URL_ENABLED = False  # `flask oruk import https://…` refuses unless this is turned on
    ORUK_IMPORT_URL_TIMEOUT_SECONDS = 30  # per request, when importing from a web address
    ORUK_IMPORT_URL_MAX_BYTES = 50_000_000  # over all pages of one feed together
    ORUK_IMPORT_URL_MAX_PAGES = 1_000  # pages of a /services feed followed before stopping (and saying so)

    DEMO_ACCOUNTS_ALLOWED = True  # `flask demo accounts`: never in production (ProductionConfig turns it off)

    PROXY_FIX = False  # trust X-Forwarded-For and X-Forwarded-Proto from one proxy (set behind a load balancer)
    PROXY_FIX_HOST = False  # also trust X-Forwarded-Host: only when the proxy sets it itself, never from clients

    # Referrals: personal fields are encrypted at rest with these Fernet keys; the first encrypts, all decrypt.
    # MICRODIR_FIELD_ENCRYPTION_KEYS='["new", "old"]'. Rotation steps: microdir/crypto.py.
    FIELD_ENCRYPTION_KEYS: list[str] = []
    # Without keys, development and tests derive one from SECRET_KEY; production refuses to start.
    FIELD_ENCRYPTION_KEYS_REQUIRED = False
    REFERRAL_OVERDUE_WORKING_DAYS = 5  # a sent referral with no answer after this many working days is overdue
    # ... and the provider is then reminded once; the link worker is told after ESCALATE; it expires after EXPIRE.
    REFERRAL_ESCALATE_WORKING_DAYS = 10
    REFERRAL_EXPIRE_WORKING_DAYS = 14
    # Whose bank holidays are not working days: ENG (England), WLS (Wales), SCT (Scotland), NIR (Northern Ireland),
    # or "" for Monday to Friday only. From the pinned `holidays` package: no network.
    BANK_HOLIDAYS_REGION = "ENG"
    REFERRAL_RETENTION_MONTHS = 12  # personal fields are erased this long after a referral ends
    REFERRAL_INACTIVE_MONTHS = 6  # an accepted referral with no activity this long is closed "no update"
    REFERRAL_ADMIN_ACCESS_MINUTES = 30  # an admin's audited reason opens one referral for this long, this session
    REFERRAL_RECEIPT_LINK_MAX_AGE = 400 * 24 * 3600  # seconds the withdraw link in a consent receipt works
    REFERRAL_WITHDRAW_RATE_LIMIT = "10 per hour"  # the public withdraw page, per client address
    # Codes shown on the GP record summary, set per deployment (e.g. SNOMED CT concept ids). None are built in.
    # Keys: "referred", and each outcome or ending: "completed", "stopped_attending", "person_declined",
    # "moved_away", "other", "declined", "expired", "withdrawn". Value: {"code": "...", "term": "..."}.
    GP_RECORD_CODES: dict[str, dict[str, str]] = {}
    # Further wellbeing scales, for services that hold the licence (format: microdir/domain/outcomes.py).
    OUTCOME_SCALES: dict[str, Any] = {}
    # Commissioner insight: counts 1 to INSIGHTS_SUPPRESS_BELOW − 1 are hidden, the rest rounded to INSIGHTS_ROUND_TO.
    INSIGHTS_SUPPRESS_BELOW = 8
    INSIGHTS_ROUND_TO = 5


class TestConfig(Config):
    """Used by the test suite."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    MAIL_TIMEOUT = 5
    RESET_REQUEST_MIN_SECONDS = 0  # tests that need it set it (tests/auth/test_reset_timing.py)
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for tests only; production uses scrypt
    SEARCH_LOG_BATCH = 1  # each search is in the log when its page is returned (tests/public/test_search_log.py batches)


class ProductionConfig(Config):
    """Behind HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    FIELD_ENCRYPTION_KEYS_REQUIRED = True  # never derive the referral data key from SECRET_KEY in production
    PUBLIC_URL_REQUIRED = True  # emailed links never take their host from a request
    # "__Host-": browsers accept the cookie only if Secure, for Path=/ and with no Domain, so no other host (a
    # subdomain, plain HTTP) can set or overwrite it.
    SESSION_COOKIE_NAME = "__Host-session"
    DEMO_ACCOUNTS_ALLOWED = False  # `flask demo accounts` would make an admin with the published demo password


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
