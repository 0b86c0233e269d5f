"""Apps with other settings (production, behind a proxy) that share the test database and SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from microdir import create_app
from microdir.crypto import development_key
from microdir.extensions import db


@pytest.fixture
def make_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build another app on the same database and mail server, with ``overrides`` on top of the test config."""
    built: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        config = {
            "CONFIG": "test",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "GEO_DATABASE": app.config["GEO_DATABASE"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": app.config["MAIL_PORT"],
            "MAIL_BACKEND": "smtp",
            "SECRET_KEY": app.config["SECRET_KEY"],
            "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
        }
        if overrides.get("CONFIG") == "production":
            # The test app's key, so both apps read the rows the other wrote (the outbox and two-factor secrets
            # are encrypted; the test inbox delivers with the test app).
            config["FIELD_ENCRYPTION_KEYS"] = [development_key(app.config["SECRET_KEY"])]
        other = create_app({**config, **overrides})
        built.append(other)
        return other

    yield make
    for other in built:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
