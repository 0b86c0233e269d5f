"""The password step is throttled on refused sign-ins only: a team behind one office address all signing in each
morning, or someone trying the demo as every role in turn, is never told "Too many attempts"."""

from __future__ import annotations

from typing import Any

from flask import Flask

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


def test_colleagues_behind_one_address_are_not_throttled_by_good_passwords(app: Flask, app_ctx: Any) -> None:
    colleagues = [factories.create_user(Role.PROVIDER, email=f"office{n}@example.com") for n in range(12)]
    for colleague in colleagues:  # 12 good sign-ins from 127.0.0.1, more than LOGIN_RATE_LIMIT's 10
        person = ClientRequest(app)
        person.post("/sign-in", {"email": colleague.email, "password": factories.PASSWORD}, expected_status=302)


def test_wrong_passwords_from_one_address_are_still_throttled(app: Flask, app_ctx: Any) -> None:
    someone = factories.create_user(Role.PROVIDER)
    guesser = ClientRequest(app)
    for n in range(10):
        guesser.post("/sign-in", {"email": f"guess{n}@example.com", "password": "wrong password"}, expected_status=200)
    # The 11th try from that address is refused, even with the right password for a real account.
    guesser.post("/sign-in", {"email": someone.email, "password": factories.PASSWORD}, expected_status=429)


def test_wrong_passwords_for_one_account_are_still_throttled(app: Flask, app_ctx: Any) -> None:
    someone = factories.create_user(Role.PROVIDER)
    for _ in range(10):
        ClientRequest(app).post("/sign-in", {"email": someone.email, "password": "wrong password"},
                                expected_status=200)
    ClientRequest(app).post("/sign-in", {"email": someone.email, "password": factories.PASSWORD},
                            expected_status=429)
