"""Residents' journey in Chromium with JavaScript off, and axe on every resident page."""

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
    assert_accessible(page)
    page.get_by_label("What do you need?").fill("lunch")
    page.get_by_label("Postcode or town").fill("B66 1AA")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search\?q=lunch&where=B66\+1AA"))
    expect(page.locator("#result-count")).to_contain_text("2 services near B66 1AA")
    assert_accessible(page)

    page.get_by_text("Filter results").click()
    page.get_by_label(re.compile(r"^Food and meals \(1\)")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"need=food"))
    expect(page.locator("#results h2")).to_have_text(["Smethwick Lunch Club"])
    expect(page.locator("#selected-filters")).to_contain_text("Food and meals")
    assert_accessible(page)

    page.get_by_role("link", name="Smethwick Lunch Club").click()
    expect(page.locator("h1")).to_have_text("Smethwick Lunch Club")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Add to shortlist")).click()
    expect(page.get_by_role("button", name=re.compile("Remove from shortlist"))).to_be_visible()
    page.get_by_role("link", name="View your shortlist").click()
    expect(page.locator("#shortlist h2")).to_have_text(["Smethwick Lunch Club"])
    assert_accessible(page)

    page.get_by_role("link", name="Print this list").click()
    expect(page.locator("h1")).to_have_text("Local services shortlist")
    expect(page.locator(".govuk-service-navigation")).to_have_count(0)
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".app-no-print").first).to_be_hidden()


def test_report_a_problem_and_moderate_it_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    lunch, _ = services()
    print('STEP 65', flush=True)
    page = nojs_page
    print('STEP 66', flush=True)
    page.goto(f"/services/{lunch.id}")
    print('STEP 67', flush=True)
    page.get_by_role("link", name="Report a problem with this listing").click()
    print('STEP 68', flush=True)
    assert_accessible(page)
    print('STEP 69', flush=True)
    page.get_by_role("button", name="Send report").click()
    print('STEP 70', flush=True)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what is wrong with this listing")
    print('STEP 71', flush=True)
    assert_accessible(page)
    print('STEP 72', flush=True)
    page.get_by_label("The days or times are wrong").check()
    print('STEP 73', flush=True)
    page.get_by_label("Tell us more (optional)").fill("It is on Wednesdays now")
    print('STEP 74', flush=True)
    page.get_by_role("button", name="Send report").click()
    print('STEP 75', flush=True)
    expect(page.locator(".govuk-panel")).to_contain_text("Report sent")
    print('STEP 76', flush=True)
    assert_accessible(page)
    print('STEP 77', flush=True)

    moderator = factories.create_user(Role.MODERATOR, email="mod.reports@example.com")
    print('STEP 79', flush=True)
    page.goto("/moderation/")
    print('STEP 80', flush=True)
    page.get_by_label("Email address").fill(moderator.email)
    print('STEP 81', flush=True)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    print('STEP 82', flush=True)
    page.get_by_role("button", name="Sign in").click()
    print('STEP 83', flush=True)
    expect(page.locator("h1")).to_have_text("Problems reported with listings")
    print('STEP 84', flush=True)
    expect(page.locator("#reports")).to_contain_text("It is on Wednesdays now")
    print('STEP 85', flush=True)
    assert_accessible(page)
    print('STEP 86', flush=True)
    page.get_by_role("button", name=re.compile("Close")).click()
    print('STEP 87', flush=True)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("closed")
    print('STEP 88', flush=True)
    expect(page.locator("#open-count")).to_contain_text("0 open reports")
    print('STEP 89', flush=True)


def test_empty_results_place_errors_and_shared_list_are_accessible(app_ctx: Any, page: Any) -> None:
    lunch, cafe = services()
    report_problem(lunch, ["closed"])
    db.session.commit()
    page.goto("/search?q=underwater+basket+weaving")
    expect(page.locator("#no-results")).to_be_visible()
    assert_accessible(page)
    page.goto("/search?q=lunch&where=Smethwik")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    from microdir.shortlist import encode_ids

    page.goto(f"/shortlist/shared?ids={encode_ids([lunch.id, cafe.id])}")
    expect(page.locator("#shortlist h2")).to_have_count(2)
    assert_accessible(page)
    page.goto("/shortlist")
    assert_accessible(page)
