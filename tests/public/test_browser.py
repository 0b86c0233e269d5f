"""Residents' journeys in Chromium with JavaScript off, and axe on every resident page.

axe runs in a JavaScript-on page: with JavaScript off, axe.run never resolved on the listing page (it waits on
timers the disabled page never runs), so the journeys prove the no-JS path and the axe test proves access.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.domain.reports import report_problem
from microdir.extensions import db
from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import enter_code_if_asked

pytestmark = pytest.mark.browser


def services() -> tuple[Any, Any]:
    lunch = factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat.",
                                     categories=("drop-ins-lunch-clubs",), needs=("food",))
    factories.create_service(name="Smethwick Lunch and Walk", description="A lunch then a short walk.",
                             categories=("drop-ins-lunch-clubs",), needs=("physical-activity",))
    return lunch, factories.create_service(name="Memory Cafe", description="For people living with dementia.")


def test_search_filter_listing_shortlist_print_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    services()
    page = nojs_page
    page.goto("/")
    page.get_by_label("What do you need?").fill("lunch")
    page.get_by_label("Postcode or town").fill("B66 1AA")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?q=lunch&where=B66\+1AA"))
    expect(page.locator("#result-count")).to_contain_text("2 services near B66 1AA")

    page.locator("summary", has_text="Filter results").click()
    expect(page.locator("details").first).to_have_attribute("open", "")
    page.get_by_role("checkbox", name="Food and meals (1)").check()
    page.get_by_role("button", name="Show 2 results").click()
    expect(page).to_have_url(re.compile(r"need=food"))
    expect(page.locator("#results h2")).to_have_text(["Smethwick Lunch Club"])
    expect(page.locator("#selected-filters")).to_contain_text("Food and meals")
    expect(page.locator("details#filter-panel")).not_to_have_attribute("open", "")  # results first on a phone

    page.get_by_role("link", name="Smethwick Lunch Club").click()
    expect(page.locator("h1")).to_have_text("Smethwick Lunch Club")
    page.get_by_role("button", name=re.compile("Add to shortlist")).click()
    expect(page.get_by_role("button", name=re.compile("Remove from shortlist"))).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Added Smethwick Lunch Club — view your shortlist (1)")
    page.get_by_role("link", name="view your shortlist (1)").click()
    expect(page.locator("#shortlist h2")).to_have_text(["Smethwick Lunch Club"])

    page.get_by_role("link", name="Print this list").click()
    expect(page.locator("h1")).to_have_text("Local services shortlist")
    expect(page.locator(".govuk-service-navigation")).to_have_count(0)
    page.emulate_media(media="print")
    expect(page.locator(".app-no-print").first).to_be_hidden()


def test_report_a_problem_and_moderate_it_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    lunch, _ = services()
    page = nojs_page
    page.goto(f"/services/{lunch.id}")
    page.get_by_role("link", name="Report a problem with this listing").click()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what is wrong with this listing")
    page.get_by_label("The days or times are wrong").check()
    page.get_by_label("Tell us more (optional)").fill("It is on Wednesdays now")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Report sent")

    moderator = factories.create_user(Role.MODERATOR, email="mod.reports@example.com")
    page.goto("/moderation/")
    page.get_by_label("Email address").fill(moderator.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, moderator)
    expect(page.locator("h1")).to_have_text("Moderation")
    expect(page.locator("h2").first).to_have_text("Problems reported with listings")
    expect(page.locator("#reports")).to_contain_text("It is on Wednesdays now")
    page.get_by_role("button", name=re.compile("Close")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("closed")
    expect(page.locator("#open-count")).to_contain_text("0 open reports")


def test_every_resident_page_is_accessible(app_ctx: Any, page: Any) -> None:
    lunch, cafe = services()
    report_problem(lunch, ["closed"], "It has moved")
    db.session.commit()
    checked: list[str] = []

    def check(path: str, selector: str = "h1") -> None:
        page.goto(path)
        expect(page.locator(selector).first).to_be_visible()
        assert_accessible(page)
        checked.append(path)

    check("/")
    check("/search?q=lunch&where=B66+1AA", "#results")
    check("/search?q=lunch&where=B66+1AA&need=food&order=nearest", "#selected-filters")
    check("/search?q=underwater+basket+weaving", "#no-results")
    check("/search?q=lunch&where=Smethwik", ".govuk-error-summary")
    check("/search?q=lunch&where=West+Midlands", "h1")  # "Which West Midlands did you mean?"
    check("/search?q=lunch&where=Sandwell", "#results")  # a council, searched as an area
    check("/search?q=lunch&where=SW1A+1AA", "#nothing-within")
    check("/search?q=lunch+knitting&where=B66+1AA&within=3", "#relaxed")
    check(f"/services/{lunch.id}", "#next-sessions")
    page.get_by_role("button", name=re.compile("Add to shortlist")).click()
    expect(page.get_by_role("button", name=re.compile("Remove from shortlist"))).to_be_visible()
    check(f"/services/{lunch.id}/report")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()  # GOV.UK JS runs under our CSP
    assert_accessible(page)
    check(f"/services/{lunch.id}/report/sent", ".govuk-panel")
    check("/shortlist", "#shortlist")
    check("/shortlist/print", ".app-print__entry")
    check("/shortlist/email")
    from microdir.shortlist import encode_ids

    check(f"/shortlist/shared?ids={encode_ids([lunch.id, cafe.id])}", "#shortlist")
    moderator = factories.create_user(Role.MODERATOR, email="mod.axe@example.com")
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(moderator.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, moderator)
    check("/moderation/", "#reports")
    assert len(checked) == 17


def test_shortlist_buttons_work_without_reloading_when_javascript_runs(app_ctx: Any, page: Any) -> None:
    lunch, _ = services()
    page.goto("/search?q=lunch")
    url = page.url
    first = page.locator("#results li.app-result").filter(has_text="Smethwick Lunch Club")
    first.get_by_role("button", name=re.compile("Add to shortlist")).click()
    expect(first.get_by_role("button", name=re.compile("Remove from shortlist"))).to_be_visible()
    expect(page.locator("#app-shortlist-status")).to_have_text("Added to your shortlist (1 service)")
    assert page.url == url
    first.get_by_role("button", name=re.compile("Remove from shortlist")).click()
    expect(first.get_by_role("button", name=re.compile("Add to shortlist"))).to_be_visible()
    first.get_by_role("button", name=re.compile("Add to shortlist")).click()
    expect(page.locator("#app-shortlist-status")).to_contain_text("Added")
    page.goto("/shortlist")
    expect(page.locator("#shortlist h2")).to_have_text(["Smethwick Lunch Club"])


def test_choosing_which_place_was_meant_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    services()
    page = nojs_page
    page.goto("/search?q=lunch&where=West+Midlands")
    expect(page.locator("h1")).to_have_text("Which West Midlands did you mean?")
    page.get_by_label("West Midlands (metropolitan county)").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result-count")).to_contain_text("in or covering West Midlands")
    expect(page.locator("#results h2")).to_have_count(2)


def test_use_my_location_fills_the_place_and_searches(app_ctx: Any, browser: Any, base_url: str) -> None:
    services()
    context = browser.new_context(base_url=base_url, geolocation={"latitude": 52.49643, "longitude": -1.97264},
                                  permissions=["geolocation"])
    page = context.new_page()
    try:
        page.goto("/search?q=lunch")
        page.get_by_role("button", name="Use my location").click()
        expect(page.locator("#result-count")).to_contain_text("near your location")
        expect(page).to_have_url(re.compile(r"where=52\.496%2C-1\.973"))
        assert_accessible(page)
    finally:
        context.close()
