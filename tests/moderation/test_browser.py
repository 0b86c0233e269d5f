"""Moderators' listing page and the providers' "still right" page in Chromium: no-JS journeys and axe-core."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from microdir.domain import reports
from microdir.domain.provider_profiles import record_quality_check
from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import CapacityStatus, ListingStatus, QualityCheckType, Role, VerifiedHow, utcnow
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in
from tests.conftest import Inbox
from tests.moderation.helpers import LINK, provider_with_listing

pytestmark = pytest.mark.browser


def _reminder_link(smtpd: Inbox, address: str) -> str:
    found = LINK.search(smtpd.body(smtpd.to(address)[-1]))
    assert found
    return urlsplit(found.group(0)).path


def test_open_the_reminder_link_and_confirm_still_right_without_javascript(
    app_ctx: Any, nojs_page: Any, smtpd: Inbox
) -> None:
    _, provider, listing = provider_with_listing(last_verified_at=utcnow() - timedelta(days=200))
    run_due()
    page = nojs_page
    page.goto(_reminder_link(smtpd, provider.email))  # not signed in: no password needed

    expect(page.locator("h1")).to_have_text("Is Tuesday Tea Club still right?")
    assert_accessible(page)
    page.get_by_label("Places (optional)").fill("several")
    page.get_by_role("button", name="Confirm it is still right").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Places must be a whole number, like 6")
    assert_accessible(page)
    page.get_by_label("Waiting list").check()
    page.get_by_label("Places (optional)").fill("2")
    page.get_by_role("button", name="Confirm it is still right").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Listing confirmed")
    expect(page.locator("#capacity")).to_have_text("We have recorded: Waiting list, 2 places.")
    assert_accessible(page)

    db.session.expire_all()
    assert listing.verified_how is VerifiedHow.PROVIDER_CONFIRMED
    assert listing.capacity_status is CapacityStatus.WAITING_LIST and listing.capacity_places == 2
    assert utcnow() - listing.last_verified_at < timedelta(minutes=5)

    page.goto(_reminder_link(smtpd, provider.email))  # the same link again
    expect(page.locator("h1")).to_have_text("This link has already been used.")
    assert_accessible(page)


def test_moderator_suspends_and_reinstates_without_javascript(app_ctx: Any, nojs_page: Any) -> None:
    _, _, listing = provider_with_listing(name="Marmalade Morning")
    reports.report_problem(listing, ["closed"], "It stopped in May")
    db.session.commit()
    page = nojs_page
    sign_in(page, factories.create_user(Role.MODERATOR))
    page.goto("/moderation/")
    page.get_by_role("link", name=re.compile("Suspend, archive or check")).click()
    expect(page.locator("h1")).to_have_text("Moderate Marmalade Morning")
    page.get_by_role("button", name="Suspend listing").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you are suspending this listing")
    assert_accessible(page)
    page.get_by_label("Why are you suspending this listing?").fill("Residents say it stopped in May.")
    page.get_by_role("button", name="Suspend listing").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is suspended")
    expect(page.locator("#hold-reason")).to_contain_text("Residents say it stopped in May.")
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.SUSPENDED
    page.get_by_role("button", name="Publish it again").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is published again")
    db.session.expire_all()
    assert listing.listing_status is ListingStatus.PUBLISHED


def test_moderation_pages_are_accessible(app_ctx: Any, page: Any, smtpd: Inbox) -> None:
    organization, provider, listing = provider_with_listing(last_verified_at=utcnow() - timedelta(days=340))
    run_due()
    reports.report_problem(listing, ["wrong_time"], "Wednesdays now")
    record_quality_check(organization, QualityCheckType.DBS, provider, reference="D1", description=None,
                         cover_amount=None, expires_on=utcnow().date() - timedelta(days=20))  # lapsed, past the grace
    db.session.commit()
    sign_in(page, factories.create_user(Role.MODERATOR))

    page.goto("/moderation/")
    expect(page.locator("#queue tbody tr")).to_have_count(3)
    assert_accessible(page)
    page.goto(f"/moderation/listings/{listing.id}")
    assert_accessible(page)
    page.get_by_label("It is not a micro-provider").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Why? (needed when you override the rule)").fill("Part of a national charity.")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("#verdict")).to_have_text("This is not a micro-provider")
    assert_accessible(page)
    page.goto("/listing-check/not-a-token")
    expect(page.locator("h1")).to_have_text("This link is not right.")
    assert_accessible(page)
