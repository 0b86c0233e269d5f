"""Administrators' pages in Chromium: accessible, including their error states."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import enter_code_if_asked

pytestmark = pytest.mark.browser


def test_admin_pages_are_accessible(app_ctx: Any, page: Any) -> None:
    admin = factories.create_user(Role.ADMIN, email="admin.axe@example.com")
    factories.create_service(name="Axe Checked Lunch Club")
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, admin)
    expect(page.locator("h1")).to_have_text("Admin")
    assert_accessible(page)
    for path, heading in [
        ("/admin/users", "Accounts"),
        ("/admin/users/new", "Create an account"),
        ("/admin/open-data", None),
        ("/admin/open-data/import", None),
        ("/moderation/", "Moderation"),
    ]:
        page.goto(path)
        if heading:
            expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
    page.goto("/admin/users/new")
    page.get_by_role("button", name="Create account and email an invitation").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person’s full name")
    assert_accessible(page)
