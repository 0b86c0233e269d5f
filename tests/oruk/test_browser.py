"""The admin import page, with the web-address form turned on, in Chromium with JavaScript off, and axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.models import ListingStatus, Role, Service
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in
from tests.oruk.test_import_url import feed  # noqa: F401 - the loopback feed server fixture

pytestmark = pytest.mark.browser


def test_an_admin_imports_a_feed_from_a_web_address_without_javascript(
    app: Any, app_ctx: Any, nojs_page: Any, monkeypatch: pytest.MonkeyPatch, feed: str  # noqa: F811
) -> None:
    monkeypatch.setitem(app.config, "ORUK_IMPORT_FROM_URL_ENABLED", True)
    page = nojs_page
    sign_in(page, factories.create_user(Role.ADMIN))
    page.goto("/admin/open-data/import")
    expect(page.locator("h1")).to_have_text("Import services from an Open Referral UK file")
    assert_accessible(page)
    page.get_by_label("Web address of the feed").fill("ftp://example.org/feed.json")
    page.get_by_role("button", name="Import from the web address").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a web address that starts with http://")
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.get_by_label("Web address of the feed").fill(f"{feed}/services")
    page.locator("input[name=feed_then][value=publish]").check()
    page.get_by_role("button", name="Import from the web address").click()
    expect(page.locator("body")).to_contain_text("Import finished: 3 created, 0 updated, 0 unchanged, 0 rejected")
    assert_accessible(page)
    db.session.expire_all()
    assert set(db.session.scalars(db.select(Service.listing_status))) == {ListingStatus.PUBLISHED}
