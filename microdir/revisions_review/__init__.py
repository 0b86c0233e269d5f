"""Moderators' review of listing revisions (new listings and changes) and quality checks, under /moderation/revisions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the revision review pages."""
    from .routes import bp

    app.register_blueprint(bp)
