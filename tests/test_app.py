"""The app as a whole: security headers, cookies, health check, error pages, configuration, CLI, mail."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, abort
from sqlalchemy import text

from microdir import create_app
from microdir.config import environment_overrides
from microdir.extensions import db
from microdir.mail import deliver_pending, send_email
from microdir.models import AuditEvent, OutboundEmail, Role, User
from microdir.permissions import public
from tests import factories
from tests.pages import ClientRequest


def test_security_headers_on_every_page(client: Any) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "script-src 'self' 'nonce-" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]  # "Use my location", this site only
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS
    assert response.headers["Cache-Control"] == "no-store"


def test_inline_script_carries_the_nonce_from_the_header(client: Any) -> None:
    response = client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    html = response.get_data(as_text=True)
    assert f'<script nonce="{nonce}">' in html
    assert "<script>" not in html
    assert client.get("/").headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]


def test_https_gets_hsts_and_secure_cookies(client: Any) -> None:
    response = client.get("/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_plain_http_cookie_is_httponly_and_lax(client: Any) -> None:
    cookie = client.get("/sign-in").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_healthz_reports_database_and_index(app: Flask, client: Any) -> None:
    from microdir.search import indexer

    with app.app_context():
        indexer.rebuild(app)
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["search_index"]["ok"] is True
    indexer.reset(app)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["search_index"]["ok"] is False


def test_healthz_is_503_when_the_database_is_down(tmp_path: Any) -> None:
    app = create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
                      "GEO_DATABASE": str(tmp_path / "geo.sqlite"), "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def error_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """A separate app with a route that raises each error code (routes cannot be added to a running app)."""
    tmp = tmp_path_factory.mktemp("errors")
    app = create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/db.sqlite",
                      "GEO_DATABASE": str(tmp / "geo.sqlite"), "SEARCH_INDEX_DIR": str(tmp / "index")})

    @public
    def raise_error(code: int) -> Any:
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    app.add_url_rule("/_test/error/<int:code>", "raise_error", raise_error, methods=["GET"])
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("code", "heading"),
    [
        (400, "Sorry, there is a problem with your request"),
        (401, "You need to sign in"),
        (403, "You do not have permission to see this page"),
        (404, "Page not found"),
        (413, "The file is too big"),
        (429, "Too many attempts"),
    ],
)
def test_error_pages_in_govuk_style(error_app: Flask, code: int, heading: str) -> None:
    page = ClientRequest(error_app).get(f"/_test/error/{code}", expected_status=code)
    assert page.h1 == heading


def test_405_page(client_request: ClientRequest) -> None:
    response = client_request.client.delete("/privacy")
    assert response.status_code == 405
    assert "Sorry, that did not work" in response.get_data(as_text=True)


def test_500_page_hides_the_error(error_app: Flask) -> None:
    error_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = error_app.test_client().get("/_test/error/500")
    finally:
        error_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "boom" not in html


def test_api_errors_are_json(client: Any) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_a_form_posted_without_a_csrf_token_is_refused_kindly(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.MODERATOR)
    response = client_request.client.post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD},
        headers={"Referer": "http://localhost/sign-in"},
    )
    assert response.status_code == 302
    page = client_request.get("/sign-in")
    assert "Your session timed out" in page.text()
    assert client_request.get("/account/", expected_status=302)  # still signed out


def test_sign_in_with_a_wrong_password_changes_nothing(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.COMMISSIONER)
    page = client_request.post("/sign-in", {"email": user.email, "password": "not the password"}, expected_status=200)
    assert page.error_summary() == ["Enter a correct email address and password"]
    assert page.title.startswith("Error: ")
    assert db.session.get(User, user.id).last_sign_in_at is None


def test_sign_in_refuses_an_offsite_next(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.ADMIN)
    page = client_request.sign_in(user, next="//evil.example/x")  # password, then the two-factor code
    assert page.response.headers["Location"] == "/admin/"  # no safe next: the admin lands on the admin home


def test_sign_in_is_audited(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.ADMIN)
    client_request.sign_in(user)
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.sign_in")).all()
    assert [(e.actor_id, e.object_id) for e in events] == [(user.id, str(user.id))]


def test_password_change_signs_out_other_sessions(app_ctx: Any, app: Flask) -> None:
    from microdir.domain.accounts import set_password

    user = factories.create_user(Role.LINK_WORKER)
    other = ClientRequest(app)
    other.sign_in(user)
    other.get("/account/")
    set_password(db.session.get(User, user.id), "another long passphrase")
    db.session.commit()
    other.get("/account/", expected_status=302)


def test_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client_request: ClientRequest, smtpd: Any) -> None:
    page = client_request.post("/forgot-password", {"email": "nobody@example.com"}, expected_status=200)
    assert page.h1 == "Check your email"
    assert smtpd.messages == []


def test_users_create_cli(app_ctx: Any, cli_runner: Any) -> None:
    result = cli_runner.invoke(args=["users", "create", "--email", "New.Person@Example.com", "--name", "New Person",
                                     "--role", "link_worker", "--team", "Oak Tree Surgery",
                                     "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).where(User.email == "new.person@example.com"))
    assert user.role is Role.LINK_WORKER and user.team.name == "Oak Tree Surgery"
    again = cli_runner.invoke(args=["users", "create", "--email", "new.person@example.com", "--name", "X",
                                    "--role", "admin", "--password", "a long enough password"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    short = cli_runner.invoke(args=["users", "create", "--email", "b@example.com", "--name", "B",
                                    "--role", "admin", "--password", "short"])
    assert "12 characters or more" in short.output


def test_mail_is_kept_when_smtp_is_down_and_sent_later(app_ctx: Any, app: Flask, smtpd: Any) -> None:
    mail_state = app.extensions["mailman"]
    port = mail_state.port
    mail_state.port = 1  # nothing listens there: the SMTP server is "down"
    try:
        message = send_email("someone@example.com", "Hello", "Body text")
        db.session.commit()
        assert message.sent_at is None and message.attempts == 0  # only queued by the caller
        assert deliver_pending() == (0, 1)
        db.session.commit()
    finally:
        mail_state.port = port
    assert message.sent_at is None and message.last_error
    assert smtpd.received == []
    assert deliver_pending(due_by=message.next_attempt_at) == (1, 0)
    db.session.commit()
    assert [m["Subject"] for m in smtpd.messages] == ["Hello"]
    assert db.session.get(OutboundEmail, message.id).sent_at is not None
    assert deliver_pending(due_by=message.next_attempt_at) == (0, 0)  # never sent twice


def test_environment_overrides() -> None:
    found = environment_overrides({"MICRODIR_PLACE_NAME": "Kirklees", "MICRODIR_STALE_HIDE_DAYS": "200",
                                   "DATABASE_URL": "postgresql://x/y", "OTHER": "1"})
    assert found == {"PLACE_NAME": "Kirklees", "STALE_HIDE_DAYS": 200, "SQLALCHEMY_DATABASE_URI": "postgresql://x/y"}


def test_the_place_name_from_config_is_in_the_header(app: Flask) -> None:
    html = app.test_client().get("/").get_data(as_text=True)
    assert f"microdir: {app.config['PLACE_NAME']}" in html


def test_a_missing_secret_key_stops_start_up(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICRODIR_SECRET_KEY", raising=False)
    monkeypatch.setenv("MICRODIR_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_database_is_the_one_configured(app: Flask) -> None:
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_emailed_links_use_the_public_address_not_the_requests_host(app: Flask, smtpd: Any) -> None:
    """A forged Host header must not point a reset link (and its token) at someone else's site."""
    from microdir.domain.accounts import request_password_reset

    with app.app_context():
        user = factories.create_user(Role.ADMIN)
        saved = app.config.get("PUBLIC_URL")
        app.config["PUBLIC_URL"] = "https://directory.example.org"
        try:
            with app.test_request_context("/forgot-password", base_url="http://evil.example"):
                request_password_reset(user.email)
                db.session.commit()
        finally:
            app.config["PUBLIC_URL"] = saved
        [message] = smtpd.to(user.email)
        body = smtpd.body(message)
        assert "https://directory.example.org/reset-password/" in body
        assert "evil.example" not in body
        db.session.remove()
