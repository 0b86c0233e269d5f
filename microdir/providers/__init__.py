"""Providers' pages under /provider: their listings, edits (pending revisions once published), workforce, checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the providers' pages."""
    from ..documents import TYPE_NAMES
    from .routes import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["document_type_names"] = TYPE_NAMES
