"""Issue 13 item 3: a reset link works for PASSWORD_RESET_MAX_AGE, an invitation for INVITATION_MAX_AGE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from flask import Flask

from microdir.domain.accounts import make_invitation_token, make_reset_token
from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _status_after(client_request: ClientRequest, token: str, delay: timedelta) -> int:
    with time_machine.travel(START + delay, tick=False):
        response = client_request.client.get(f"/reset-password/{token}")
        response.close()
        return response.status_code


def test_reset_link_stops_working_after_the_reset_age(app_ctx: Flask, client_request: ClientRequest) -> None:
    assert app_ctx.config["PASSWORD_RESET_MAX_AGE"] == 3600
    assert app_ctx.config["INVITATION_MAX_AGE"] == 72 * 3600
    user = factories.create_user(Role.ADMIN)
    with time_machine.travel(START, tick=False):
        token = make_reset_token(user)
    assert _status_after(client_request, token, timedelta(minutes=59)) == 200
    assert _status_after(client_request, token, timedelta(minutes=61)) == 400
    assert _status_after(client_request, token, timedelta(hours=71)) == 400


def test_invitation_link_works_for_the_invitation_age(app_ctx: Flask, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.LINK_WORKER)
    with time_machine.travel(START, tick=False):
        token = make_invitation_token(user)
    assert _status_after(client_request, token, timedelta(hours=71)) == 200
    assert _status_after(client_request, token, timedelta(hours=73)) == 400


def test_each_purpose_follows_its_own_setting(app_ctx: Flask, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.MODERATOR)
    saved = app_ctx.config["INVITATION_MAX_AGE"]
    app_ctx.config["INVITATION_MAX_AGE"] = 600  # shorter than a reset link: still only its own age counts
    try:
        with time_machine.travel(START, tick=False):
            invitation, reset = make_invitation_token(user), make_reset_token(user)
        assert _status_after(client_request, invitation, timedelta(minutes=11)) == 400
        assert _status_after(client_request, reset, timedelta(minutes=11)) == 200
    finally:
        app_ctx.config["INVITATION_MAX_AGE"] = saved


def test_invitation_email_carries_an_invitation_link(app_ctx: Flask, client_request: ClientRequest,
                                                     smtpd: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    with time_machine.travel(START, tick=False):
        client_request.sign_in(admin)
        client_request.post("/admin/users/new", {"name": "Ola Ade", "email": "ola@example.com", "role": "moderator"})
    (message,) = smtpd.to("ola@example.com")
    path = smtpd.body(message).split("http://localhost", 1)[1].split()[0]
    token = path.rsplit("/", 1)[1]
    assert _status_after(client_request, token, timedelta(hours=48)) == 200
