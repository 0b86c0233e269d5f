"""Moderation: the queue of problems residents have reported with listings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the moderation pages."""
    from .routes import bp

    app.register_blueprint(bp)
