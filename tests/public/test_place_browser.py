"""The resident's place journey on a phone (390×844), with JavaScript off and on: a misspelt village, the spelling
suggestion, "Which Church End did you mean?", then results near the village chosen; axe on the choice page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.public.test_place_pages import lunch_club_near_hadstock

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("javascript", [False, True], ids=["without-javascript", "with-javascript"])
def test_a_misspelt_shared_village_name_to_results_on_a_phone(app_ctx: Any, villages_geo: str, browser: Any,
                                                               base_url: str, javascript: bool) -> None:
    lunch_club_near_hadstock()
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/search")
        page.get_by_label("What do you need?").fill("lunch")
        page.get_by_label("Postcode or town").fill("church edn")
        page.locator("main form").get_by_role("button", name="Search").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text("We could not find a place called ‘church edn’")
        page.locator("#place-suggestions").get_by_role("link", name="Church End").click()

        expect(page.locator("h1")).to_have_text("Which Church End did you mean?")
        expect(page.locator(".govuk-radios__hint")).to_have_text(
            ["Uttlesford, Essex, England", "South Cambridgeshire, Cambridgeshire, England"])
        if javascript:
            assert_accessible(page)
        page.locator("input[name=where][value='Church End, Uttlesford']").check()
        page.get_by_role("button", name="Search").click()

        expect(page.locator("#result-count")).to_contain_text("1 service near Church End")
        expect(page.locator("#results h2")).to_have_text(["Hadstock Lunch Club"])
    finally:
        context.close()
