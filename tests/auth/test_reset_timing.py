"""'Forgot your password' takes as long for an unknown address as for a known one (issue 13, item 11)."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


def test_the_answer_waits_the_minimum_time_known_address_or_not(
    app: Flask, app_ctx: Any, client_request: ClientRequest
) -> None:
    user = factories.create_user(Role.MODERATOR)
    app.config["RESET_REQUEST_MIN_SECONDS"] = 0.3
    try:
        took = {}
        for address in (user.email, "nobody@example.org"):
            form = client_request.get("/forgot-password").form_data()
            started = time.monotonic()
            response = client_request.client.post("/forgot-password", data={**form, "email": address})
            took[address] = time.monotonic() - started
            assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    finally:
        app.config["RESET_REQUEST_MIN_SECONDS"] = 0
    assert took["nobody@example.org"] >= 0.3 and took[user.email] >= 0.3
