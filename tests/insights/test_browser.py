"""Insight pages in Chromium, with and without JavaScript: a commissioner lands on them, every page passes axe
(WCAG 2.2 AA), charts are drawn as SVG with a title and summary, the pickers work, and the error state is accessible."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.insights.refresh import refresh_all
from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in
from tests.insights.fixtures import TODAY, add_searches, build_world

pytestmark = pytest.mark.browser

PAGES = [("/insights/", "Overview"), ("/insights/unmet-need", "Unmet need"),
         ("/insights/coverage", "Coverage and directory health"), ("/insights/funnel", "Referral funnel"),
         ("/insights/timeliness", "Timeliness"), ("/insights/outcomes", "Outcomes"),
         ("/insights/providers", "Providers"), ("/insights/summary", None), ("/insights/subscription", "Summary emails")]
MARCH = "?period=custom&from=2026-03-01&to=2026-03-31"


@pytest.fixture
def commissioner(app_ctx: Any) -> Any:
    build_world()
    add_searches()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    return factories.create_user(Role.COMMISSIONER, email="chris.axe@example.com")


def _check_every_page(page: Any) -> None:
    for path, heading in PAGES:
        page.goto(path + (MARCH if path != "/insights/subscription" else ""))
        if heading:
            expect(page.locator("h1")).to_have_text(heading)
        assert_accessible(page)
    page.goto("/insights/funnel" + MARCH)
    chart = page.locator("figure#chart-funnel-chart svg[role=img]")
    expect(chart).to_have_count(1)
    expect(page.locator("#chart-funnel-chart-svgtitle")).to_have_text("Referrals at each stage")
    expect(page.locator("#table-funnel caption")).to_have_text("Referral funnel")


def test_commissioner_lands_on_insight_and_every_page_is_accessible(commissioner: Any, page: Any) -> None:
    sign_in(page, commissioner)
    expect(page).to_have_url("/insights/")
    expect(page.locator("h1")).to_have_text("Overview")
    _check_every_page(page)
    page.goto("/insights/unmet-need")
    page.get_by_label("Custom dates").check()
    _type_date(page, "Custom start date", "31", "3", "2026")
    _type_date(page, "Custom end date", "1", "3", "2026")
    page.get_by_role("button", name="Show figures").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The end date must be the same as or after")
    assert_accessible(page)


def _type_date(page: Any, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    for label, value in (("Day", day), ("Month", month), ("Year", year)):
        box = group.get_by_label(label)
        expect(box).to_have_attribute("type", "text")  # not type=date: Chromium showed that as mm/dd/yyyy
        box.fill(value)


def test_every_page_works_and_is_accessible_without_javascript(commissioner: Any, nojs_page: Any) -> None:
    sign_in(nojs_page, commissioner)
    _check_every_page(nojs_page)
    nojs_page.goto("/insights/timeliness" + MARCH)
    nojs_page.get_by_label("Or a postcode district").fill("B66")
    nojs_page.get_by_role("button", name="Show figures").click()
    expect(nojs_page.locator("main")).to_contain_text("postcode district B66")
    nojs_page.goto("/insights/timeliness")
    nojs_page.get_by_label("Custom dates").check()
    _type_date(nojs_page, "Custom start date", "2", "3", "2026")
    _type_date(nojs_page, "Custom end date", "9", "3", "2026")
    nojs_page.get_by_role("button", name="Show figures").click()
    expect(nojs_page.locator("main")).to_contain_text("2 March 2026 to 9 March 2026")
    nojs_page.goto("/insights/subscription")
    nojs_page.get_by_label("Every week (on Monday, for the week before)").check()
    nojs_page.get_by_role("button", name="Save").click()
    expect(nojs_page.locator(".govuk-notification-banner")).to_contain_text("You will get a summary email every week")
    assert_accessible(nojs_page)
