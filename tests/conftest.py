"""Shared fixtures: one migrated database per run (SQLite by default, PostgreSQL with DATABASE_URL),
emptied after every test; a real SMTP server on loopback; a client that checks every page it fetches."""

from __future__ import annotations

import atexit
import email
import os
import shutil
import socket
import tempfile
import threading
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import text

from microdir import create_app
from microdir.extensions import db, limiter
from tests.pages import ClientRequest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MICRODIR_SHARED_DIR", REPO.parent / "shared"))

# `make demo` writes instance/config.py (DEV_MAIL_VIEWER on, mail to the console): the suite's apps must never read a
# developer's instance folder, or `make test` after `make demo` fails every production-config test.
_INSTANCE = tempfile.mkdtemp(prefix="microdir-tests-instance-")
os.environ["MICRODIR_INSTANCE_PATH"] = _INSTANCE
atexit.register(shutil.rmtree, _INSTANCE, True)
SAMPLE_POSTCODES = SHARED / "geo" / "sample_postcodes.csv"
KEEP_TABLES = {"alembic_version", "taxonomy", "taxonomy_term"}  # seeded once per run


class Inbox:
    """Messages received by the test SMTP server.

    Requests only queue mail (microdir/mail.py); reading ``messages`` first runs the delivery job, as the job
    runner would, so a test sees what the job would have sent. In a test's app context it commits what the
    test queued and delivers in that context's session.
    """

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.port = 0
        self.app: Flask | None = None

    def deliver(self) -> None:
        """Run the mail delivery job now."""
        from flask import current_app, has_app_context

        from microdir.mail import deliver_pending

        if self.app is None:
            return
        everything = datetime(9999, 1, 1)  # retries included: a test may have travelled in time when it queued
        if has_app_context() and current_app._get_current_object() is self.app:  # type: ignore[attr-defined]
            # Commit, not flush: a browser test's live server writes from another thread, and an open write
            # transaction here would hold SQLite's lock ("database is locked", 503) until the test ended.
            db.session.commit()
            deliver_pending(due_by=everything)
            db.session.commit()
            return
        with self.app.app_context():
            deliver_pending(due_by=everything)
            db.session.commit()
            db.session.remove()

    @property
    def messages(self) -> list[EmailMessage]:
        self.deliver()
        return self.received

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def body(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()


class _Receiver:
    """The SMTP server's handler (aiosmtpd inspects its handler's members, so never the Inbox and its property)."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.inbox.received.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Any:
    inbox = Inbox()
    controller = Controller(_Receiver(inbox), hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def smtpd(smtp_server: Inbox) -> Inbox:
    smtp_server.received.clear()
    return smtp_server


def _database_url(tmp: Path) -> str:
    """SQLite in the run's temporary folder, or DATABASE_URL; under pytest-xdist each worker gets a PostgreSQL
    database of its own beside the named one (test_gw0, test_gw1, ...), created on first use."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from microdir.config import normalise_database_url

    named = make_url(normalise_database_url(url))
    own = named.set(database=f"{named.database}_{worker}")
    engine = create_engine(named, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": own.database}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


def _reset_database(app: Flask) -> None:
    """Start the run from an empty database, whatever an earlier run left."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, smtp_server: Inbox) -> Any:
    import flask_migrate

    from microdir.domain.taxonomy import seed_taxonomy
    from microdir.geo import load_gazetteer

    tmp = tmp_path_factory.mktemp("microdir")
    geo_path = tmp / "geo.sqlite"
    load_gazetteer(str(geo_path), postcodes_csv=str(SAMPLE_POSTCODES))
    app = create_app(
        {
            "CONFIG": "test",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
            "SEARCH_INDEX_DIR": str(tmp / "index"),
            "GEO_DATABASE": str(geo_path),
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "MAIL_BACKEND": "smtp",
            "SERVER_NAME": None,
            "DOCUMENTS_DIR": str(tmp / "documents"),
        }
    )
    smtp_server.app = app
    _reset_database(app)
    with app.app_context():
        flask_migrate.upgrade()
        seed_taxonomy()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_RESTART_USED_SEQUENCES = """
DO $$ DECLARE seq record; BEGIN
  FOR seq IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I RESTART', seq.sequencename);
  END LOOP;
END $$
"""


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table makes new files and syncs them,
            # measured at 0.3-1.5 s per test against 6 ms for DELETE plus restarting the used sequences.
            for table in tables:
                conn.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(_RESTART_USED_SEQUENCES))


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Any:
    """Empty the database and the rate limiter after each test that used the app."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        _empty_tables(app)
        with app.app_context():
            limiter.reset()
        for hook in app.extensions.get("microdir.test_reset_hooks", []):
            hook()


def start_with_empty_index(app: Flask) -> None:
    """Empty the search index on disk, and have it emptied again after every test (by the shared reset hook)."""
    from microdir.search import indexer

    if not app.extensions.get("microdir.search_test_hook"):
        app.extensions.setdefault("microdir.test_reset_hooks", []).append(lambda: indexer.reset(app))
        app.extensions["microdir.search_test_hook"] = True
    indexer.reset(app)


@pytest.fixture
def search_index(app: Flask) -> Any:
    """Start from an empty search index on disk."""
    start_with_empty_index(app)
    yield app


@pytest.fixture
def app_ctx(app: Flask) -> Any:
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def client_request(app: Flask) -> ClientRequest:
    return ClientRequest(app)


@pytest.fixture
def cli_runner(app: Flask) -> Any:
    return app.test_cli_runner()


# ---- browser -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium (never a downloaded browser) and resolve nothing but loopback."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("MICRODIR_CHROMIUM", "/usr/bin/chromium"),
        "args": ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"],
    }


def _body_read_at_once(app: Any) -> Any:
    """WSGI middleware: read each response's body and close it before the server writes anything.

    When the browser drops a connection mid-response (it navigates on while a favicon is on its way), Werkzeug's
    development server can fail before closing the response, leaving a static file open; with warnings as errors
    that ResourceWarning then fails whichever test is running. A body already read has nothing left open.
    """

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wrapped


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Any:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, _body_read_at_once(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "java_script_enabled": True}


@pytest.fixture
def nojs_page(browser: Any, base_url: str) -> Any:
    """A page with JavaScript switched off, to prove every journey works without it."""
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    page._microdir_nojs = True  # axe cannot run here; tests.browser.axe.assert_accessible checks a twin page
    yield page
    context.close()
