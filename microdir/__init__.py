"""microdir: a directory of micro-providers and a referral engine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory

from .config import CONFIGS, environment_overrides, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
GOVUK_DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config layers, extensions, then each subsystem's ``init_app``."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("MICRODIR_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
    )
    _configure(app, config or {})

    from .extensions import csrf, db, limiter, login_manager, mail, migrate
    from .models import track_directory_changes

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    from . import documents

    documents.init_app(app)  # before CSRF protection: it reads the form, which must be allowed to be large enough
    csrf.init_app(app)
    mail.init_app(app)
    from .mail import init_app as init_mail_delivery

    init_mail_delivery(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        track_directory_changes()

    from . import (
        admin,
        auth,
        cli,
        database,
        demo,
        devmail,
        errors,
        geo,
        insights,
        moderation,
        oruk,
        providers,
        public,
        referrals,
        registration,
        revisions_review,
        search,
        security,
        shortlist,
        templating,
    )

    _compress_responses(app)  # first registered, so it runs last: it sees the finished body
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    database.init_app(app)
    geo.init_app(app)
    auth.init_app(app)
    admin.init_app(app)
    public.init_app(app)
    shortlist.init_app(app)
    moderation.init_app(app)
    referrals.init_app(app)
    providers.init_app(app)
    registration.init_app(app)
    revisions_review.init_app(app)
    search.init_app(app)
    oruk.init_app(app)
    insights.init_app(app)
    demo.init_app(app)
    devmail.init_app(app)
    cli.init_app(app)
    # Other subsystems' /healthz checks are registered here, so none of them imports the public pages.
    public.register_health_check(app, "search_index", search.index_health)
    geo.prefer_councils(app, search.councils_with_listings)  # "Which Newport?": places near listings first
    _serve_govuk_assets(app)
    return app


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    name = overrides.get("CONFIG") or os.environ.get("MICRODIR_CONFIG", "default")
    app.config.from_object(CONFIGS[name])
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(environment_overrides())
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI") or "sqlite:///" + os.path.join(app.instance_path, "microdir.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)
    from .database import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config)
    app.config["SEARCH_INDEX_DIR"] = app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "index")
    app.config["GEO_DATABASE"] = app.config.get("GEO_DATABASE") or os.path.join(app.instance_path, "geo.sqlite")
    if app.config.get("REDIS_URL") and app.config.get("RATELIMIT_STORAGE_URI", "memory://") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "Set MICRODIR_SECRET_KEY or SECRET_KEY in instance/config.py (`make demo` writes one for development)."
        )
    _check_public_url(app)
    if app.config["SESSION_COOKIE_NAME"].startswith("__Host-") and (
        not app.config["SESSION_COOKIE_SECURE"] or app.config.get("SESSION_COOKIE_DOMAIN")
    ):
        raise RuntimeError("A __Host- session cookie needs SESSION_COOKIE_SECURE and no SESSION_COOKIE_DOMAIN.")


def _check_public_url(app: Flask) -> None:
    """Refuse to start with a malformed PUBLIC_URL, or without one where it is required (production)."""
    from urllib.parse import urlsplit

    url = app.config.get("PUBLIC_URL")
    if not url:
        if app.config.get("PUBLIC_URL_REQUIRED"):
            raise RuntimeError(
                "Set MICRODIR_PUBLIC_URL to the site's address (e.g. https://directory.example.gov.uk): "
                "links in emails are built from it, never from a request's Host header."
            )
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(f"PUBLIC_URL must be an http(s) address like https://directory.example.gov.uk, not {url!r}")
    app.config["PUBLIC_URL"] = url.rstrip("/")


STATIC_CACHE_KEY = "microdir.static_file_version"  # request.environ: a static file's path and ETag


class _CompressedStaticFiles:
    """Flask-Compress's cache, kept for static files only: their gzipped bodies by path and ETag (one worker's)."""

    MAX_ENTRIES = 256

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.bodies.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";"):  # no static file version: a page, made afresh for each request, is never kept
            return
        if len(self.bodies) >= self.MAX_ENTRIES:
            self.bodies.clear()
        self.bodies[key] = value


def _compress_responses(app: Flask) -> None:
    """Gzip complete 200 responses through Flask-Compress (settings: COMPRESS_* in config.py)."""
    from .extensions import compress

    app.config["COMPRESS_CACHE_BACKEND"] = _CompressedStaticFiles
    app.config["COMPRESS_CACHE_KEY"] = lambda req: req.environ.get(STATIC_CACHE_KEY, "")
    compress.init_app(app)

    @app.after_request
    def compress_response(response: Response) -> Response:
        if response.status_code != 200:
            return response  # a 206 is a range of the plain file, and a 304 has no body
        if request.accept_encodings.quality("gzip") <= 0:  # Flask-Compress 1.25 reads "gzip;q=0" as a yes
            response.vary.add("Accept-Encoding")
            return response
        if response.direct_passthrough and response.mimetype in compress.compress_mimetypes_set:
            # A static file, sent from disk as a stream, which Flask-Compress would pass by: read it (it is small),
            # and key its gzipped copy by path and ETag so each worker compresses each version once.
            etag, _weak = response.get_etag()
            if etag:
                request.environ[STATIC_CACHE_KEY] = f"{request.path}|{etag}"
            response.direct_passthrough = False
            response.get_data()  # the file is closed with the response
        return compress.after_request(response)


def _serve_govuk_assets(app: Flask) -> None:
    """Serve GOV.UK Frontend's images at /assets/, where its CSS expects them (no fonts: we use system fonts)."""
    from .permissions import public

    @public
    def govuk_assets(filename: str) -> Any:
        return send_from_directory(GOVUK_DIST / "assets", filename, max_age=86400)

    app.add_url_rule("/assets/<path:filename>", "govuk_assets", govuk_assets)
    app.view_functions["static"] = public(app.view_functions["static"])
