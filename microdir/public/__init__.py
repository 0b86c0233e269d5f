"""Pages for everyone: home, information pages and the health check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


def register_health_check(app: Flask, name: str, check: HealthCheck) -> None:
    """Add a named check to /healthz; each subsystem registers its own."""
    app.extensions.setdefault("microdir.health_checks", {})[name] = check


def init_app(app: Flask) -> None:
    from . import search_routes
    from .routes import bp, database_health

    register_health_check(app, "database", database_health)
    app.register_blueprint(bp)
    search_routes.init_resident(app)
