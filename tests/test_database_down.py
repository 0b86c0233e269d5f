"""A database that hangs (accepts, never answers) or refuses: every page answers a styled 503 within seconds,
signed in or not, and /healthz says the database is what failed (issue 13, items 10 and 15)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from microdir import create_app
from microdir.extensions import db
from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest
from tests.silent_servers import closed_port, silent_server


@pytest.fixture
def app_on(app: Flask) -> Iterator[Callable[[int], Flask]]:
    """Build an app like the test app but whose PostgreSQL database is at ``port`` on loopback."""
    built: list[Flask] = []

    def make(port: int) -> Flask:
        other = create_app({
            "CONFIG": "test", "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": f"postgresql://postgres@127.0.0.1:{port}/microdir",
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "GEO_DATABASE": app.config["GEO_DATABASE"],
            "DB_CONNECT_TIMEOUT": 1, "PROPAGATE_EXCEPTIONS": False,
        })
        built.append(other)
        return other

    yield make
    for other in built:
        with other.app_context():
            db.engine.dispose()


def _signed_in_cookie(app: Flask, client_request: ClientRequest) -> str:
    user = factories.create_user(Role.LINK_WORKER)
    db.session.commit()
    client_request.sign_in(user)
    cookie = client_request.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def _check_every_kind_of_page(down: Flask, cookie: str, session_cookie_name: str) -> None:
    visitor = down.test_client()
    signed_in = down.test_client()
    signed_in.set_cookie(session_cookie_name, cookie)
    for client, path in [(visitor, "/"), (visitor, "/search?q=lunch"), (signed_in, "/account/"),
                         (signed_in, "/referrals/caseload")]:
        started = time.monotonic()
        response = client.get(path)
        took = time.monotonic() - started
        html = response.get_data(as_text=True)
        assert response.status_code == 503, (path, response.status_code, html[:300])
        assert took < 10, (path, took)  # it used to take 30 s, then a 500 (about 1 s here when not under load)
        assert "Sorry, the service is unavailable" in html and "govuk-service-navigation" in html and "govuk-footer" in html, path
        assert "We cannot get to our records just now" in html
        assert response.headers["Retry-After"] == str(down.config["DB_RETRY_AFTER_SECONDS"])

    started = time.monotonic()
    health = visitor.get("/healthz")
    assert time.monotonic() - started < 10
    assert health.status_code == 503
    body = health.get_json()
    assert body["status"] == "unavailable" and body["failed"][0] == "database"  # the search check needs it too
    assert body["checks"]["database"]["ok"] is False


def test_a_database_that_accepts_and_never_answers_gives_a_styled_503_within_seconds(
    app: Flask, app_ctx: Any, client_request: ClientRequest, app_on: Callable[[int], Flask]
) -> None:
    cookie = _signed_in_cookie(app, client_request)
    with silent_server() as port:
        _check_every_kind_of_page(app_on(port), cookie, app.config["SESSION_COOKIE_NAME"])


def test_a_database_refusing_connections_gives_a_styled_503(
    app: Flask, app_ctx: Any, client_request: ClientRequest, app_on: Callable[[int], Flask]
) -> None:
    cookie = _signed_in_cookie(app, client_request)
    _check_every_kind_of_page(app_on(closed_port()), cookie, app.config["SESSION_COOKIE_NAME"])


def test_postgresql_connections_carry_connect_and_statement_timeouts() -> None:
    from microdir.database import engine_options

    config = {"DB_CONNECT_TIMEOUT": 3, "DB_STATEMENT_TIMEOUT_MS": 15000, "DB_POOL_TIMEOUT": 5, "DB_BUSY_TIMEOUT": 5}
    options = engine_options("postgresql+psycopg://x@y/z", config)
    assert options["connect_args"] == {"connect_timeout": 3, "options": "-c statement_timeout=15000"}
    assert options["pool_timeout"] == 5
    assert engine_options("sqlite:///x.db", config)["connect_args"] == {"timeout": 5.0}


def test_a_statement_over_the_timeout_is_stopped_on_postgresql(app: Flask, app_ctx: Any) -> None:
    from sqlalchemy import exc, text

    if db.engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    with pytest.raises(exc.OperationalError, match="statement timeout"):
        db.session.execute(text("SET LOCAL statement_timeout = 200; SELECT pg_sleep(2)"))
    db.session.rollback()
    shown = db.session.execute(text("SHOW statement_timeout")).scalar()
    assert shown == f"{app.config['DB_STATEMENT_TIMEOUT_MS'] // 1000}s"
