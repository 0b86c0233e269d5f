"""Foundation pages in Chromium: accessible, styled with our own fonts, signed in and out without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import enter_code_if_asked

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/accessibility", "/cookies", "/privacy", "/data-credits", "/sign-in", "/forgot-password",
                "/reset-password/not-a-real-token", "/no-such-page"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible(page: Any, path: str) -> None:
    page.goto(path)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)


def test_pages_use_system_fonts_not_gds_transport(page: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/")
    font = page.evaluate("() => getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" not in font
    assert "system-ui" in font
    css = page.request.get("/static/build/microdir.css").text()
    assert "GDS Transport" not in css
    assert not [url for url in requested if "crest" in url or "/fonts/" in url], requested
    assert page.locator(".govuk-footer__crown, .govuk-header__logotype, .govuk-logo").count() == 0  # no crown


def test_govuk_javascript_runs_under_the_csp(page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    # initAll() moves focus to the error summary; with a CSP violation it would not run.
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert not [e for e in errors if "Content Security Policy" in e]


def test_sign_in_and_out_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    user = factories.create_user(Role.MODERATOR, email="mod.browser@example.com")
    page = nojs_page
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill("wrong password entirely")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Enter your code")  # staff give a code from their app too
    assert_accessible(page)
    enter_code_if_asked(page, user)
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator(".govuk-service-navigation")).to_contain_text("Sign out")
    assert_accessible(page)
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_password_reset_by_email_without_javascript(app_ctx: Any, nojs_page: Any, smtpd: Any) -> None:
    user = factories.create_user(Role.LINK_WORKER, email="reset.me@example.com")
    page = nojs_page
    page.goto("/sign-in")
    page.get_by_role("link", name="I have forgotten my password").click()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    (message,) = smtpd.to(user.email)
    link = re.search(r"http://\S+/reset-password/\S+", smtpd.body(message)).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("Confirm new password").fill("a brand new passphrase")
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your password has been changed")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill("a brand new passphrase")
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, user)
    expect(page.locator("h1")).to_have_text("Your team’s referrals")
    # The link works once.
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("expired or has already been used")


def test_sign_in_is_rate_limited_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    user = factories.create_user(Role.PROVIDER, email="locked.out@example.com")
    page = nojs_page
    page.goto("/sign-in")
    for _ in range(10):
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password", exact=True).fill("guessing guessing")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Too many attempts")
    assert_accessible(page)
