"""Open Referral UK 3.0: the open-data API, import and export, and the conformance self-test."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint, the ``flask oruk`` commands and the admin open-data pages."""
    from . import admin, api, cli

    app.config.setdefault("ORUK_RATE_LIMIT", "600 per minute")
    app.config.setdefault("ORUK_IMPORT_FROM_URL_ENABLED", False)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.cli.add_command(cli.oruk_cli)
