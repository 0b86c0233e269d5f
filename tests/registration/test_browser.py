"""Registration, claims and invitations in Chromium with JavaScript off, and axe-core on every new page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.domain import claims
from microdir.extensions import db
from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in, sign_out
from tests.registration.helpers import PASSWORD, link_in

pytestmark = pytest.mark.browser


def test_a_provider_registers_and_submits_a_listing_without_javascript(app_ctx: Any, nojs_page: Any, smtpd: Any) -> None:
    page = nojs_page
    page.goto("/sign-in")
    page.get_by_role("link", name="Register your service").click()
    expect(page.locator("h1")).to_have_text("Register your service")
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_accessible(page)
    page.get_by_label("What is your email address?").fill("asha@example.com")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    assert_accessible(page)

    page.goto(link_in(smtpd, "asha@example.com", "/register/verify/"))
    expect(page.locator("h1")).to_have_text("Create your account")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Asha Patel")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.locator("h1")).to_have_text("About your organisation")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the name of your organisation")
    assert_accessible(page)
    page.get_by_label("Name of your organisation").fill("Smethwick Knit and Natter")
    page.get_by_label("Describe your organisation").fill("A small group that meets to knit and chat.")
    page.get_by_label("Unincorporated community group").check()
    page.get_by_label("Yes, we are independent").check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.locator("h1")).to_have_text("Your workers")
    assert_accessible(page)
    for number, paid, hours in [(1, "Paid", "18.75"), (2, "Unpaid, for example a volunteer", "12.5"),
                                (3, "Unpaid, for example a volunteer", "25")]:
        page.locator(f"#person-{number}").get_by_label(paid, exact=True).check()
        page.get_by_label(f"Person {number}’s usual hours a week").fill(hours)
    page.get_by_role("button", name="Save and continue").click()

    expect(page.locator("h1")).to_have_text("Register Smethwick Knit and Natter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("This is a micro-provider")
    expect(page.locator("#task-1-status")).to_have_text("Completed")
    expect(page.locator("#task-2-status")).to_have_text("Completed")
    expect(page.locator("#task-3-status")).to_have_text("Not yet started")
    assert_accessible(page)

    page.get_by_role("link", name="Quality checks").click()
    assert_accessible(page)
    page.get_by_role("link", name="Add a quality check").click()
    page.get_by_role("button", name="Save check").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what kind of check it is")
    assert_accessible(page)
    page.get_by_label("DBS check").check()
    page.get_by_label("Certificate, policy or registration number").fill("001234567890")
    page.get_by_role("button", name="Save check").click()
    expect(page.locator("#checks")).to_contain_text("Waiting to be verified")
    page.get_by_label("No, I’ll come back later").check()
    page.get_by_role("button", name="Save and return to your task list").click()
    expect(page.locator("h1")).to_have_text("Register Smethwick Knit and Natter")
    expect(page.get_by_text("Incomplete")).to_be_visible()

    page.goto(page.url.replace("/tasks", "/check"))
    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    expect(page.locator(".govuk-warning-text")).to_contain_text("You need to complete")
    assert_accessible(page)

    # Each section of the listing, from the task list, through the section editor and back.
    tasks = page.url.replace("/check", "/tasks")
    page.goto(tasks)
    _section(page, "What you offer")
    page.get_by_label("Name of the service").fill("Tuesday Knit and Natter")
    page.get_by_label("Describe what you offer").fill("Knitting, tea and a chat for anyone who is lonely.")
    page.get_by_label("Taking new people").check()
    page.get_by_label("Leisure and arts").check()
    _save(page)
    _section(page, "When")
    page.locator("#session-1").get_by_label("Every week").check()
    page.locator("#session-1").get_by_label("Day of the week").select_option(label="Tuesday")
    page.locator("#session-1").get_by_label("Start time").fill("10am")
    _save(page)
    _section(page, "Where and which area you serve")
    page.get_by_label("By phone or online").check()
    _save(page)
    _section(page, "Cost")
    page.get_by_label("Free", exact=True).check()
    _save(page)
    _section(page, "Who it is for")
    page.get_by_label("Who is it for?").fill("Adults who would like company")
    _save(page)
    expect(page.locator(f"#task-{_task_number(page, 'Accessibility')}-status")).to_have_text("Not yet started")
    _section(page, "Accessibility")
    _save(page)  # nothing ticked is an answer too
    expect(page.locator(f"#task-{_task_number(page, 'Accessibility')}-status")).to_have_text("Completed")
    _section(page, "How people get in touch")
    _save(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an email address or a phone number")
    assert_accessible(page)
    page.get_by_label("Email address (optional)").fill("knit@example.org")
    _save(page)

    page.get_by_role("link", name="Check your answers and submit").click()
    expect(page.locator("h1")).to_have_text("Check your answers before you submit")
    expect(page.locator("main")).to_contain_text("Every Tuesday, from 10am")
    expect(page.locator("main")).to_contain_text("knit@example.org")
    assert_accessible(page)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("main")).to_contain_text("What happens next")
    assert_accessible(page)


def _section(page: Any, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    assert_accessible(page)


def _save(page: Any) -> None:
    # Wait for the answer to the form (the task list, or the form again with its errors): reading the next page
    # straight after the click read the page being left when the machine was busy (StopIteration in CI).
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()


def _task_number(page: Any, title: str) -> int:
    titles = [t.strip() for t in page.locator(".govuk-task-list__name-and-hint").all_inner_texts()]
    return next(i for i, text in enumerate(titles, start=1) if text.startswith(title))


def test_claim_moderation_and_invitation_pages_work_without_javascript(
    app_ctx: Any, nojs_page: Any, smtpd: Any
) -> None:
    page = nojs_page
    service = factories.create_service(factories.create_organization(name="Oldbury Walkers", email=None),
                                       name="Wednesday Health Walk")
    provider = factories.create_user(Role.PROVIDER, name="Dee Walker")

    page.goto(f"/services/{service.id}")
    page.get_by_role("link", name="Claim this listing").click()
    expect(page.locator("h1")).to_have_text("Claim Wednesday Health Walk")
    assert_accessible(page)

    sign_in(page, provider)
    page.goto(f"/services/{service.id}/claim")
    page.get_by_role("button", name="Claim this listing").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Tell us how you are connected to this service")
    assert_accessible(page)
    page.get_by_label("How are you connected to this service?").fill("I lead the walks")
    page.get_by_role("button", name="Claim this listing").click()
    expect(page.locator("main")).to_contain_text("A moderator will check your claim")
    assert_accessible(page)

    page.goto("/provider/")
    page.get_by_role("link", name="Invite a colleague").first.click()
    expect(page.locator("h1")).to_have_text("Invite a colleague")
    assert_accessible(page)
    page.goto("/register/verify/not-a-real-link")
    expect(page.locator("h1")).to_have_text("This link does not work")
    assert_accessible(page)
    sign_out(page)

    sign_in(page, factories.create_user(Role.MODERATOR))
    page.goto("/moderation/claims")
    expect(page.locator("#claims-count")).to_have_text("1")
    assert_accessible(page)
    page.get_by_role("link", name="Wednesday Health Walk").click()
    page.get_by_role("button", name="Reject claim").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason you are rejecting this claim")
    assert_accessible(page)
    page.get_by_role("button", name="Approve claim").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Dee Walker can now manage Wednesday Health Walk")
    db.session.expire_all()
    assert claims.pending_claims() == []
    db.session.refresh(provider)
    assert "Oldbury Walkers" in [o.name for o in provider.organizations]
