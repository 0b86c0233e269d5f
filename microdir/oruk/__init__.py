"""Placeholder: being built (see the issue)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this subsystem with the app."""
