"""Issue 13 item 5: two-factor sign-in (TOTP) for staff, optional for providers; recovery codes shown once and
stored hashed; codes work once; throttled; audited; an admin resets a lost device; demo accounts print secrets."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import time_machine
from flask import Flask
from sqlalchemy import text

from microdir.demo import init_app as demo_init_app
from microdir.extensions import db
from microdir.models import AuditEvent, RecoveryCode, Role, User, utcnow
from tests import factories
from tests.pages import ClientRequest, Page


def _password_step(client: ClientRequest, user: User) -> Page:
    return client.post("/sign-in", {"email": user.email, "password": factories.PASSWORD})


def _actions(user: User) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))
                                   .order_by(AuditEvent.id)))


def _enrol(client: ClientRequest, user: User, signed_in: bool = False) -> list[str]:
    """Sign in as someone who must set up two-factor sign-in and do it; return the recovery codes shown."""
    if not signed_in:
        page = _password_step(client, user)
        assert page.response.headers["Location"].startswith("/account/two-factor/set-up")
    setup = client.get("/account/two-factor/set-up")
    assert setup.select("svg.app-qr-code")  # drawn on the server, no script and no image request
    secret = setup.soup.select_one("#manual-key").get_text().replace(" ", "")
    assert secret == db.session.get(User, user.id).totp_secret
    wrong = client.post("/account/two-factor/set-up", {"code": "000000"}, expected_status=200)
    assert wrong.error_summary() == ["Enter the 6-digit code your authenticator app shows now"]
    shown = client.post("/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()}, expected_status=200)
    assert shown.h1 == "Two-factor sign-in is on"
    return [li.get_text(strip=True) for li in shown.select("#recovery-codes li")]


def test_staff_sign_in_needs_a_code(app_ctx: Any, client_request: ClientRequest) -> None:
    admin = factories.create_user(Role.ADMIN)
    page = _password_step(client_request, admin)
    assert page.response.headers["Location"] == "/sign-in/code"
    client_request.get("/account/", expected_status=302)  # not signed in by the password alone
    code_page = client_request.get("/sign-in/code")
    assert code_page.h1 == "Enter your code"
    wrong = client_request.post("/sign-in/code", {"code": "123456"}, expected_status=200)
    assert wrong.error_summary()[0].startswith("Enter a correct code")
    client_request.get("/account/", expected_status=302)
    client_request.post("/sign-in/code", {"code": factories.totp_code(admin)})
    assert client_request.get("/account/").h1 == "Your account"
    assert _actions(admin) == ["user.create", "user.two_factor_failed", "user.sign_in"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.sign_in"))
    assert event.detail["method"] == "totp"


def test_the_code_step_cannot_be_reached_without_the_password(client_request: ClientRequest) -> None:
    page = client_request.get("/sign-in/code", expected_status=302)
    assert page.response.headers["Location"] == "/sign-in"


def test_a_code_works_only_once(app_ctx: Any, app: Flask) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    with time_machine.travel(utcnow().replace(second=1), tick=False):
        code = pyotp.TOTP(factories.TOTP_SECRET).now()
        first = ClientRequest(app)
        _password_step(first, moderator)
        first.post("/sign-in/code", {"code": code})
        second = ClientRequest(app)  # someone who saw the code over their shoulder
        _password_step(second, moderator)
        again = second.post("/sign-in/code", {"code": code}, expected_status=200)
        assert again.error_summary()[0].startswith("Enter a correct code")


def test_required_staff_set_up_two_factor_before_any_other_page(app_ctx: Any, client_request: ClientRequest) -> None:
    worker = factories.create_user(Role.LINK_WORKER, two_factor=False)
    _password_step(client_request, worker)
    for path in ("/account/", "/referrals/", "/admin/users"):
        page = client_request.get(path, expected_status=302)
        assert page.response.headers["Location"].startswith("/account/two-factor/set-up")
    codes = _enrol(client_request, worker, signed_in=True)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client_request.get("/account/").h1 == "Your account"
    assert _actions(worker)[-3:] == ["user.two_factor_enrol_failed", "user.two_factor_enrol", "user.recovery_codes_issued"]


def test_recovery_codes_are_stored_hashed_and_work_once(app_ctx: Any, app: Flask) -> None:
    commissioner = factories.create_user(Role.COMMISSIONER, two_factor=False)
    codes = _enrol(ClientRequest(app), commissioner)
    stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in value for code in codes for value in stored)
    client = ClientRequest(app)
    _password_step(client, commissioner)
    client.post("/sign-in/code", {"code": codes[3].upper()})
    assert "You used a recovery code. You have 9 left" in client.get("/account/").text()
    later = ClientRequest(app)
    _password_step(later, commissioner)
    refused = later.post("/sign-in/code", {"code": codes[3]}, expected_status=200)
    assert refused.error_summary()[0].startswith("Enter a correct code")
    assert "user.recovery_code_used" in _actions(commissioner)


def test_new_recovery_codes_replace_the_old(app_ctx: Any, client_request: ClientRequest) -> None:
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    first = client_request.post("/account/two-factor/recovery-codes", expected_status=200, form_url="/account/two-factor")
    second = client_request.post("/account/two-factor/recovery-codes", expected_status=200, form_url="/account/two-factor")
    assert first.select("#recovery-codes li") != second.select("#recovery-codes li")
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 10
    assert "You have 10 unused recovery codes" in client_request.get("/account/two-factor").text()


def test_providers_may_choose_two_factor(app_ctx: Any, client_request: ClientRequest) -> None:
    provider = factories.create_user(Role.PROVIDER)
    client_request.sign_in(provider)  # no code asked
    assert client_request.get("/account/").select("main")[0].get_text().count("Two-factor sign-in")
    setup = client_request.get("/account/two-factor/set-up")
    secret = setup.soup.select_one("#manual-key").get_text().replace(" ", "")
    client_request.post("/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()}, expected_status=200)
    client_request.sign_out()
    page = _password_step(client_request, provider)
    assert page.response.headers["Location"] == "/sign-in/code"
    client_request.post("/sign-in/code", {"code": factories.totp_code(provider)})
    client_request.post("/account/two-factor/turn-off", form_url="/account/two-factor")
    assert not db.session.get(User, provider.id).two_factor_enabled
    client_request.sign_out()
    assert _password_step(client_request, provider).response.headers["Location"] != "/sign-in/code"


def test_staff_cannot_turn_two_factor_off(app_ctx: Any, client_request: ClientRequest) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    client_request.sign_in(moderator)
    client_request.post("/account/two-factor/turn-off", form_url="/account/two-factor", expected_status=403)
    assert db.session.get(User, moderator.id).two_factor_enabled


def test_the_code_step_is_throttled(app_ctx: Any, client_request: ClientRequest) -> None:
    admin = factories.create_user(Role.ADMIN)
    _password_step(client_request, admin)
    for _ in range(5):
        client_request.post("/sign-in/code", {"code": "000000"}, expected_status=200)
    client_request.post("/sign-in/code", {"code": factories.totp_code(admin)}, expected_status=429)
    client_request.get("/account/", expected_status=302)


def test_colleagues_behind_one_address_are_not_throttled_by_good_codes(app: Flask, app_ctx: Any) -> None:
    # A GP practice signs in from one address each morning: only refused codes count towards the limit.
    for n in range(7):
        colleague = factories.create_user(Role.LINK_WORKER, email=f"colleague{n}@example.com")
        person = ClientRequest(app)
        _password_step(person, colleague)
        person.post("/sign-in/code", {"code": factories.totp_code(colleague)}, expected_status=302)
        person.get("/account/", expected_status=200)


def test_the_code_step_expires(app_ctx: Any, client_request: ClientRequest, app: Flask) -> None:
    admin = factories.create_user(Role.ADMIN)
    _password_step(client_request, admin)
    later = timedelta(seconds=app.config["TWO_FACTOR_PENDING_SECONDS"] + 5)
    with time_machine.travel(utcnow() + later, tick=False):
        page = client_request.get("/sign-in/code", expected_status=302)
    assert page.response.headers["Location"] == "/sign-in"


def test_an_admin_resets_a_lost_device(app_ctx: Any, client_request: ClientRequest, app: Flask, smtpd: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    moderator = factories.create_user(Role.MODERATOR)
    theirs = ClientRequest(app)
    theirs.sign_in(moderator)
    client_request.sign_in(admin)
    client_request.post(f"/admin/users/{moderator.id}/two-factor/reset", form_url="/admin/users")
    fresh = db.session.get(User, moderator.id)
    db.session.refresh(fresh)
    assert not fresh.two_factor_enabled and fresh.totp_secret is None
    theirs.get("/account/", expected_status=302)  # their sessions ended
    assert smtpd.to(moderator.email)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset"))
    assert event.actor_id == admin.id and event.object_id == str(moderator.id)
    page = _password_step(ClientRequest(app), moderator)
    assert page.response.headers["Location"].startswith("/account/two-factor/set-up")


def test_the_secret_is_encrypted_at_rest(app_ctx: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    raw = db.session.execute(text("SELECT totp_secret FROM user_account WHERE id = :id"), {"id": admin.id}).scalar()
    assert raw and factories.TOTP_SECRET not in raw


def test_demo_accounts_print_each_staff_secret(app: Flask) -> None:
    if "demo" not in app.cli.commands:
        demo_init_app(app)
    result = app.test_cli_runner().invoke(args=["demo", "accounts"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = [u for u in db.session.scalars(db.select(User)) if u.role is not Role.PROVIDER]
        assert staff and all(u.two_factor_enabled for u in staff)
        for user in staff:
            line = next(line for line in result.output.splitlines() if user.email in line)
            assert user.totp_secret in line
        db.session.remove()
    assert re.search(r"provider@demo\.example\.org .*\(off: optional\)", result.output)


def test_key_rotation_re_encrypts_two_factor_secrets(app: Flask) -> None:
    from cryptography.fernet import Fernet

    from microdir.crypto import encrypted_under_primary

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved = app.config.get("FIELD_ENCRYPTION_KEYS")
    try:
        with app.app_context():
            app.config["FIELD_ENCRYPTION_KEYS"] = [old]
            admin_id = factories.create_user(Role.ADMIN).id
            db.session.remove()
        app.config["FIELD_ENCRYPTION_KEYS"] = [new, old]
        runner = app.test_cli_runner()
        assert runner.invoke(args=["referrals", "rotate-keys", "--check"]).exit_code == 1
        result = runner.invoke(args=["referrals", "rotate-keys"])
        assert "Re-encrypted 1 two-factor secrets" in result.output, result.output
        app.config["FIELD_ENCRYPTION_KEYS"] = [new]
        with app.app_context():
            raw = db.session.execute(text("SELECT totp_secret FROM user_account WHERE id = :id"),
                                     {"id": admin_id}).scalar()
            assert encrypted_under_primary(raw)
            assert db.session.get(User, admin_id).totp_secret == factories.TOTP_SECRET
            db.session.remove()
    finally:
        app.config["FIELD_ENCRYPTION_KEYS"] = saved
