"""Moderation: the queue of problems residents have reported with listings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the moderation pages (once, however many subsystems ask)."""
    from .routes import bp

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
