"""Moderation: the queue of everything waiting for a moderator, actions on a listing, and the providers'
one-click "still right" page that stale-listing reminders link to."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the moderation pages."""
    from .confirm import bp as confirm_bp
    from .routes import bp

    app.register_blueprint(bp)
    app.register_blueprint(confirm_bp)
