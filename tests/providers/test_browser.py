"""Provider and moderator journeys in Chromium with JavaScript off, and axe-core on every new page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.models import Role
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in, sign_out
from tests.providers.helpers import new_listing

pytestmark = pytest.mark.browser


def _found(text: str) -> list[str]:
    return [hit.service_id for hit in search_services(SearchRequest(text=text)).hits]


def test_provider_change_is_reviewed_approved_and_found_without_javascript(
    app_ctx: Any, nojs_page: Any, search_index: Any, smtpd: Any
) -> None:
    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    moderator = factories.create_user(Role.MODERATOR)

    sign_in(page, provider)
    page.goto("/provider/")
    expect(page.locator("main")).to_contain_text("This is a micro-provider")
    assert_accessible(page)
    page.get_by_role("link", name="Change Tuesday Tea Club").click()
    expect(page.locator("h1")).to_have_text("Change Tuesday Tea Club")
    assert_accessible(page)

    page.get_by_label("Name of the service").fill("Tuesday Crumpet Club")
    page.get_by_label("Phone number (optional)").fill("not a number")
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a phone number, like 01632 960 001")
    expect(page.get_by_label("Name of the service")).to_have_value("Tuesday Crumpet Club")
    assert_accessible(page)
    page.get_by_label("Phone number (optional)").fill("0121 496 0000")
    page.get_by_label("Waiting list").check()
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent to a moderator")
    expect(page.locator("main")).to_contain_text("Change waiting for review")
    assert _found("crumpet") == []  # not live until a moderator approves
    sign_out(page)

    sign_in(page, moderator)
    page.goto("/moderation/revisions/")
    expect(page.locator("#count-changes")).to_have_text("1")
    assert_accessible(page)
    page.get_by_role("link", name="Tuesday Tea Club").click()
    diff = page.locator("#diff")
    expect(diff.locator("tbody")).to_have_count(3)
    expect(diff.locator("tbody").nth(0)).to_contain_text("Tuesday Tea Club")
    expect(diff.locator("tbody").nth(0)).to_contain_text("Tuesday Crumpet Club")
    expect(diff.locator("ins")).to_have_text(["Crumpet"])  # the changed word marked, and axe-checked below
    expect(diff).to_contain_text("0121 496 0000")
    expect(diff).to_contain_text("Waiting list")
    assert_accessible(page)
    page.get_by_role("button", name="Reject change").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason you are rejecting this change")
    assert_accessible(page)
    page.get_by_role("button", name="Approve change").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The change to Tuesday Crumpet Club is now live")

    db.session.expire_all()
    assert _found("crumpet") == [service.id]
    sign_out(page)


def test_other_provider_pages_are_accessible(app_ctx: Any, nojs_page: Any) -> None:
    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    new_listing(organization, provider, name="Knit and Natter")

    sign_in(page, provider)
    page.goto(f"/provider/organisations/{organization.id}/workers")
    expect(page.locator("#verdict")).to_contain_text("This is a micro-provider")
    assert_accessible(page)
    page.get_by_role("button", name="Add another person").click()  # no JavaScript: the page comes back a row longer
    expect(page.locator("#person-7")).to_be_visible()
    for number in range(1, 8):
        page.locator(f"#person-{number}").get_by_label("Paid", exact=True).check()
        page.get_by_label(f"Person {number}’s usual hours a week").fill("37.5")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#verdict")).to_contain_text("This is not a micro-provider")
    assert_accessible(page)

    page.goto(f"/provider/organisations/{organization.id}/checks/new")
    page.get_by_role("button", name="Save check").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what kind of check it is")
    assert_accessible(page)
    page.get_by_label("DBS check").check()
    page.get_by_label("Certificate, policy or registration number").fill("001234567890")
    page.get_by_role("button", name="Save check").click()
    expect(page.locator("main")).to_contain_text("Waiting to be verified")
    sign_out(page)

    sign_in(page, factories.create_user(Role.MODERATOR))
    page.goto("/moderation/revisions/quality-checks")
    expect(page.locator("#checks")).to_contain_text("001234567890")
    assert_accessible(page)
    page.goto("/moderation/revisions/")
    page.get_by_role("link", name="Knit and Natter").click()
    expect(page.locator("#diff")).to_contain_text("Everything in the new listing")
    assert_accessible(page)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Knit and Natter is now published")
