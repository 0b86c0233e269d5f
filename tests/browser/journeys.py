"""Steps many browser journeys share: signing in and out through the real forms."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.factories import PASSWORD


def sign_in(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form and wait until the navigation offers "Sign out"."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def sign_out(page: Any) -> None:
    """Sign out through the confirm button."""
    page.goto("/sign-out")
    page.get_by_role("button", name="Sign out").click()
