"""Issue 15 in Chromium, with axe on every page: each staff role lands on its work and does the main thing there,
without JavaScript where the page has a form (nojs_page) and with it elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.domain import reports
from microdir.extensions import db
from microdir.models import ReferralStatus, Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in
from tests.referrals.helpers import make_referral, provider_for

pytestmark = pytest.mark.browser


def test_link_worker_lands_on_the_caseload_and_records_did_not_start(app_ctx: Any, nojs_page: Any) -> None:
    page = nojs_page
    worker = factories.create_user(Role.LINK_WORKER, email="lw.browser@example.com")
    make_referral(ReferralStatus.DRAFT, team_user=worker, person_name="Dora Draft")
    accepted = make_referral(ReferralStatus.ACCEPTED, team_user=worker, person_name="Abe Accepted")
    sign_in(page, worker)
    expect(page.locator("h1")).to_have_text("Your team’s referrals")
    expect(page.locator(".app-nav-count")).to_contain_text("1")
    assert_accessible(page)
    page.get_by_label("Only those that need my action").check()
    page.get_by_role("button", name="Show referrals").click()
    expect(page.locator("#caseload tbody tr")).to_have_count(1)
    page.goto(f"/referrals/{accepted.id}")
    assert_accessible(page)
    page.get_by_role("link", name="The person did not start").click()
    page.get_by_role("button", name="Close referral").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select why the person did not start")
    assert_accessible(page)
    page.get_by_label("The person changed their mind").check()
    page.get_by_role("button", name="Close referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("the person did not start")
    assert_accessible(page)


def test_provider_lands_on_the_inbox(app_ctx: Any, page: Any) -> None:
    referral = make_referral(ReferralStatus.SENT)
    sign_in(page, provider_for(referral.service))
    expect(page.locator("h1")).to_have_text("Referrals to your organisation")
    assert_accessible(page)


def test_moderator_lands_on_the_queue_filters_it_and_corrects_a_reported_listing(
    app_ctx: Any, nojs_page: Any
) -> None:
    page = nojs_page
    service = factories.create_service(name="Reported Lunch Club")
    reports.report_problem(service, ["wrong_time"], "Wednesdays now")
    db.session.commit()
    sign_in(page, factories.create_user(Role.MODERATOR, email="mod.staff@example.com"))
    expect(page.locator("h1")).to_have_text("Moderation")
    assert_accessible(page)
    page.get_by_role("link", name="Problems reported by residents").click()
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Look at the report about Reported Lunch Club").click()
    expect(page.locator("#open-reports")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Correct this listing").click()
    page.get_by_label("Name of the service").fill("Reported Lunch Club (Wednesdays)")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is published")
    assert_accessible(page)


def test_admin_lands_on_admin_home_and_reads_the_audit_log(app_ctx: Any, nojs_page: Any) -> None:
    page = nojs_page
    person = factories.create_user(Role.COMMISSIONER, name="Cora Commissioner")
    sign_in(page, factories.create_user(Role.ADMIN, email="admin.staff@example.com"))
    expect(page.locator("h1")).to_have_text("Admin")
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("h1")).to_have_text("Audit log")
    assert_accessible(page)
    page.get_by_label("From (YYYY-MM-DD)").fill("not a date")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("From must be a real date")
    assert_accessible(page)
    page.goto("/admin/users")
    page.get_by_role("link", name=f"Stop sign-in for {person.name}").click()
    expect(page.locator("h1")).to_contain_text("Are you sure")
    assert_accessible(page)
    page.get_by_role("button", name="Stop sign-in").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("can no longer sign in")
