"""Issue 13 item 19: the production session cookie has the __Host- prefix; demo accounts are refused there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from microdir.extensions import db
from microdir.models import User

PRODUCTION = {"CONFIG": "production", "PUBLIC_URL": "https://directory.example.org"}


def test_production_session_cookie_has_the_host_prefix(make_app: Callable[..., Flask]) -> None:
    prod = make_app(**PRODUCTION)
    response = prod.test_client().get("/sign-in", base_url="https://directory.example.org")
    cookie = response.headers["Set-Cookie"]
    response.close()
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/;" in cookie and "Domain" not in cookie and "HttpOnly" in cookie


def test_development_keeps_a_plain_cookie_name(client: Any) -> None:
    response = client.get("/sign-in")
    assert response.headers["Set-Cookie"].startswith("session=")
    response.close()


def test_demo_accounts_are_refused_under_production_config(make_app: Callable[..., Flask]) -> None:
    # No app context held here: the CLI runs inside the production app's own context.
    prod = make_app(**PRODUCTION)
    result = prod.test_cli_runner().invoke(args=["demo", "accounts"])
    assert result.exit_code != 0, result.output
    assert "DEMO_ACCOUNTS_ALLOWED" in result.output
    assert "demo-password" not in result.output
    with prod.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
