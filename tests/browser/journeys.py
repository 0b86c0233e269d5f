"""Steps many browser journeys share: signing in and out through the real forms, a change sent for review."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from microdir.models import Role
from tests.factories import PASSWORD, create_user, totp_code


def sign_in(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form (and the code step, for people with two-factor sign-in) and wait until the
    navigation offers "Sign out"."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, user)
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def enter_code_if_asked(page: Any, user: Any) -> None:
    """On the "Enter your code" step, type the code the person's authenticator app shows now."""
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/sign-in/code"):
        page.get_by_label("Code", exact=True).fill(totp_code(user))
        page.get_by_role("button", name="Continue").click()


def sign_out(page: Any) -> None:
    """Sign out through the confirm button, and wait until it has happened: a page.goto straight after the click
    would race the sign-out's response, which clears the session cookie of whoever signs in next."""
    page.goto("/sign-out")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def send_change_and_open_it_as_moderator(page: Any, service_name: str) -> Any:
    """Press "Send change for review" as the provider, then sign in as a new moderator and open that change.

    Returns the diff on the moderator's review page.
    """
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent to a moderator")
    sign_out(page)
    sign_in(page, create_user(Role.MODERATOR))
    page.goto("/moderation/revisions/")
    page.get_by_role("link", name=service_name).click()
    return page.locator("#diff")
