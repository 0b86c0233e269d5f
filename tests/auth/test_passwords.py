"""Issue 13 item 13: common and breached passwords are refused (offline, from zxcvbn's bundled lists), and a
password is kept exactly as typed: nothing stripped."""

from __future__ import annotations

from typing import Any

import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from microdir.domain import passwords
from microdir.domain.accounts import AccountError, make_reset_token, set_password
from microdir.extensions import db
from microdir.models import Role, User
from tests import factories
from tests.pages import ClientRequest


def _reset(client_request: ClientRequest, user: User, password: str, expected_status: int = 302) -> Any:
    url = f"/reset-password/{make_reset_token(user)}"
    return client_request.post(url, {"password": password, "confirm": password}, expected_status=expected_status)


def test_common_password_is_refused(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.LINK_WORKER)
    page = _reset(client_request, user, "passwordpassword", expected_status=200)
    assert page.error_summary() == [passwords.GUESSABLE]
    assert page.title.startswith("Error: ")
    client_request.sign_in(user)  # the old password still works


def test_a_password_on_the_breached_list_is_refused(app_ctx: Any) -> None:
    common = next(p for p in FREQUENCY_LISTS["passwords"] if len(p) >= 12)
    user = factories.create_user(Role.ADMIN)
    with pytest.raises(AccountError) as refused:
        set_password(user, common)
    assert str(refused.value) == passwords.COMMON
    with pytest.raises(AccountError):
        set_password(user, common.upper())


@pytest.mark.parametrize("weak", ["qwertyuiop123", "Password12345", "abcdefghijklmnop", "111111111111"])
def test_guessable_variations_are_refused(weak: str) -> None:
    assert passwords.weakness(weak) is not None


def test_a_password_made_of_the_persons_email_is_refused(app_ctx: Any) -> None:
    user = factories.create_user(Role.MODERATOR, email="sunita.kaur@example.com", name="Sunita Kaur")
    with pytest.raises(AccountError, match="name or email address"):
        set_password(user, "sunita.kaur@example.com")


def test_a_long_unusual_password_is_accepted(app_ctx: Any) -> None:
    user = factories.create_user(Role.ADMIN)
    set_password(user, "lantern orbit pebble quietly")
    set_password(user, "x" * 20 + " tangerine drumkit ")


def test_password_is_kept_exactly_as_typed(app_ctx: Any, client_request: ClientRequest, app: Any) -> None:
    user = factories.create_user(Role.COMMISSIONER)
    typed = "  lantern orbit pebble quietly  "
    _reset(client_request, user, typed)
    signed_in = ClientRequest(app)
    page = signed_in.post("/sign-in", {"email": user.email, "password": typed.strip()}, expected_status=200)
    assert page.error_summary() == ["Enter a correct email address and password"]
    signed_in.sign_in(user, typed)
    assert signed_in.get("/account/").h1 == "Your account"


def test_a_password_stripped_before_the_change_still_signs_in(app_ctx: Any, client_request: ClientRequest) -> None:
    """Passwords saved before this change were stripped; typing the same spaces again still works."""
    user = factories.create_user(Role.PROVIDER, password="lantern orbit pebble quietly")
    client_request.sign_in(user, " lantern orbit pebble quietly ")
    assert client_request.get("/account/").h1 == "Your account"
    assert db.session.get(User, user.id).last_sign_in_at is not None
