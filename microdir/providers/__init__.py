"""Providers' pages under /provider: their listings, edits (pending revisions once published), workforce, checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the providers' pages."""
    from .routes import bp

    app.register_blueprint(bp)
