"""Database engine options (timeouts) and the answer when the database is down: a styled 503, within seconds.

Without timeouts a database that accepts connections and never answers held every request for 30 s and then
gave a 500. Each setting bounds one wait:
- ``DB_CONNECT_TIMEOUT`` (seconds): opening a connection (PostgreSQL ``connect_timeout``);
- ``DB_STATEMENT_TIMEOUT_MS``: one statement on PostgreSQL (``statement_timeout``), so a stuck query ends;
- ``DB_POOL_TIMEOUT`` (seconds): waiting for a free pooled connection when all are busy;
- ``DB_BUSY_TIMEOUT`` (seconds): SQLite waiting for another writer's lock.
``DB_RETRY_AFTER_SECONDS`` is the ``Retry-After`` the 503 carries.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template
from sqlalchemy import exc

from .extensions import db, login_manager

# What a database that is down, refusing, hung or overloaded raises (psycopg's QueryCanceled, from
# statement_timeout, is an OperationalError; a full pool raises sqlalchemy.exc.TimeoutError).
UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


def engine_options(uri: str, config: dict[str, Any]) -> dict[str, Any]:
    """Return SQLALCHEMY_ENGINE_OPTIONS for this database, with its timeouts, on top of any configured options."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("sqlite"):
        options.pop("pool_pre_ping", None)
        connect_args.setdefault("timeout", float(config["DB_BUSY_TIMEOUT"]))
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_timeout", float(config["DB_POOL_TIMEOUT"]))
        if uri.startswith("postgresql"):
            connect_args.setdefault("connect_timeout", int(config["DB_CONNECT_TIMEOUT"]))
            statement = int(config["DB_STATEMENT_TIMEOUT_MS"])
            connect_args.setdefault("options", f"-c statement_timeout={statement}")
    options["connect_args"] = connect_args
    return options


def database_unavailable() -> bool:
    """Return True while this request is answering that the database is down (templates then skip the user)."""
    return bool(g.get("database_unavailable"))


def init_app(app: Flask) -> None:
    """Answer a database that is down with the styled 503 page (JSON on the API and /healthz)."""
    from .errors import wants_json

    def unavailable(error: Exception) -> Any:
        app.logger.error("Database unavailable: %s: %s", type(error).__name__, str(error).splitlines()[0][:300])
        g.database_unavailable = True
        g._login_user = login_manager.anonymous_user()  # who is signed in is in the database: do not ask again
        try:
            db.session.rollback()
        except Exception:  # the connection is gone: nothing to roll back
            pass
        retry = str(int(app.config["DB_RETRY_AFTER_SECONDS"]))
        if wants_json():
            body = {"error": "Service Unavailable", "status": 503,
                    "message": "The database is not answering. Try again in a few minutes."}
            return body, 503, {"Retry-After": retry}
        page = render_template("errors/503.html", message="We cannot get to our records just now. "
                               "Nothing you entered on this page was saved. Try again in a few minutes.")
        return page, 503, {"Retry-After": retry}

    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, unavailable)
