"""Issue 13 item 4: signing out, a password change and "stop sign-in" end a session on the server, so a copied
session cookie stops working too."""

from __future__ import annotations

from flask import Flask

from microdir.domain.accounts import set_password
from microdir.extensions import db
from microdir.models import AuditEvent, Role, User
from tests import factories
from tests.pages import ClientRequest


def _copy_session(app: Flask, source: ClientRequest) -> ClientRequest:
    """Return a second client holding a copy of ``source``'s session cookie (as a thief would)."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = source.client.get_cookie(name)
    assert cookie is not None
    thief = ClientRequest(app)
    thief.client.set_cookie(name, cookie.value)
    return thief


def test_copied_session_cookie_stops_working_after_sign_out(app_ctx: Flask, app: Flask) -> None:
    user = factories.create_user(Role.LINK_WORKER)
    mine = ClientRequest(app)
    mine.sign_in(user)
    thief = _copy_session(app, mine)
    assert thief.get("/account/").h1 == "Your account"  # the copy works while the session lasts
    mine.sign_out()
    thief.get("/account/", expected_status=302)
    mine.get("/account/", expected_status=302)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.sign_out"))
    assert event.actor_id == user.id


def test_signing_in_again_after_sign_out_works(app_ctx: Flask, app: Flask) -> None:
    user = factories.create_user(Role.PROVIDER)
    mine = ClientRequest(app)
    mine.sign_in(user)
    mine.sign_out()
    mine.sign_in(user)
    assert mine.get("/account/").h1 == "Your account"


def test_copied_session_cookie_stops_working_after_password_change(app_ctx: Flask, app: Flask) -> None:
    user = factories.create_user(Role.ADMIN)
    mine = ClientRequest(app)
    mine.sign_in(user)
    thief = _copy_session(app, mine)
    set_password(db.session.get(User, user.id), "a different long passphrase")
    db.session.commit()
    thief.get("/account/", expected_status=302)


def test_copied_session_cookie_stops_working_after_stop_sign_in(app_ctx: Flask, app: Flask,
                                                                client_request: ClientRequest) -> None:
    admin = factories.create_user(Role.ADMIN)
    provider = factories.create_user(Role.PROVIDER)
    theirs = ClientRequest(app)
    theirs.sign_in(provider)
    thief = _copy_session(app, theirs)
    client_request.sign_in(admin)
    client_request.post(f"/admin/users/{provider.id}/active", form_url=f"/admin/users/{provider.id}/active")
    thief.get("/account/", expected_status=302)
    client_request.post(f"/admin/users/{provider.id}/active", form_url=f"/admin/users/{provider.id}/active")  # allowed to sign in again
    thief.get("/account/", expected_status=302)  # the old session stays ended


def test_a_stale_session_is_emptied(app_ctx: Flask, app: Flask) -> None:
    user = factories.create_user(Role.MODERATOR)
    mine = ClientRequest(app)
    mine.sign_in(user)
    thief = _copy_session(app, mine)
    mine.sign_out()
    thief.get("/")
    with thief.client.session_transaction() as session:
        assert "_user_id" not in session
