"""Changing a listing's categories and website in Chromium with JavaScript off; axe-core on "What you offer"."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import send_change_and_open_it_as_moderator, sign_in

pytestmark = pytest.mark.browser


def test_provider_changes_categories_and_website_without_javascript(
    app_ctx: Any, nojs_page: Any, search_index: Any, smtpd: Any
) -> None:
    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")

    sign_in(page, provider)
    page.goto(f"/provider/services/{service.id}/edit/about")
    expect(page.locator("h1")).to_have_text("What you offer")
    assert_accessible(page)

    kinds = page.get_by_role("group", name="What kind of service is it?")
    kinds.get_by_label("Friendship and good neighbour").uncheck()
    page.get_by_label("Website (optional)").fill("www.tea-club.example.org")
    page.get_by_role("button", name="Send change for review").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select at least one kind of service, so people can find it")
    expect(summary).to_contain_text("Enter a website address that starts with https:// or http://")
    assert_accessible(page)

    page.get_by_role("group", name="What kind of service is it?").get_by_label("Transport").check()
    page.get_by_role("group", name="What does it help with? (optional)").get_by_label("Older people").check()
    page.get_by_label("Website (optional)").fill("https://tea-club.example.org")
    diff = send_change_and_open_it_as_moderator(page, "Tuesday Tea Club")
    expect(diff.locator("tbody", has_text="Categories")).to_contain_text("Transport")
    expect(diff.locator("tbody", has_text="Helps with")).to_contain_text("Loneliness and isolation, Older people")
    expect(diff.locator("tbody", has_text="Website")).to_contain_text("https://tea-club.example.org")
    page.get_by_role("button", name="Approve change").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is now live")

    page.goto(f"/services/{service.id}")
    expect(page.locator("main a[href='https://tea-club.example.org']")).to_be_visible()
    page.goto("/search?category=transport")
    expect(page.locator("main")).to_contain_text("Tuesday Tea Club")
    page.goto("/search?category=friendship")
    expect(page.locator("main")).not_to_contain_text("Tuesday Tea Club")
