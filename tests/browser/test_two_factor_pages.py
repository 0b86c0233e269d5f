"""Two-factor sign-in in Chromium, without JavaScript: setting it up (QR code, key, recovery codes) and the code
step are accessible and work."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_out

pytestmark = pytest.mark.browser


def test_a_link_worker_sets_up_two_factor_then_signs_in_with_a_code(app_ctx: Any, nojs_page: Any) -> None:
    user = factories.create_user(Role.LINK_WORKER, email="new.worker@example.com", two_factor=False)
    page = nojs_page
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)
    page.goto("/referrals/")  # nothing else until it is set up
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#manual-key").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("h1")).to_have_text("Two-factor sign-in is on")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    recovery = page.locator("#recovery-codes li").first.inner_text()
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page.locator("h1")).to_have_text("Your team’s referrals")
    sign_out(page)

    page.goto("/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Enter your code")
    page.get_by_label("Code", exact=True).fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct code")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill(recovery)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/referrals/"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have 9 left")
