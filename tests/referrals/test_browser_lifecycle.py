"""Browser journeys for the referral lifecycle: the person withdraws through their consent receipt without
JavaScript (by the emailed link, and by reference + a detail), and axe-core on every page this work added."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.models import Referral, Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in, sign_out
from tests.referrals.helpers import S, advance, make_referral, provider_for

pytestmark = pytest.mark.browser


def _stored(referral_id: str) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def test_the_person_withdraws_through_the_emailed_receipt_without_javascript(
    app_ctx: Any, nojs_page: Any, smtpd: Any
) -> None:
    page = nojs_page
    link_worker = factories.create_user(Role.LINK_WORKER)
    service = factories.create_service(name="Smethwick Tuesday Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])

    sign_in(page, link_worker)
    page.goto(f"/referrals/new?service={service.id}")
    page.get_by_label("Full name").fill("Winifred Bassey")
    page.get_by_label("Email", exact=True).check()
    page.get_by_label("Email address").fill("winifred@example.com")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("The person agreed to share these details, for this purpose").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send referral").click()
    expect(page.locator("main")).to_contain_text("We have emailed the person a receipt")
    reference = page.locator(".govuk-panel__body strong").inner_text()
    sign_out(page)

    (receipt,) = smtpd.to("winifred@example.com")
    body = smtpd.body(receipt)
    assert reference in body
    link = re.search(r"https?://\S+/your-referral/withdraw/\S+", body).group(0)
    smtpd.messages.clear()

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Withdraw your referral to Smethwick Tuesday Friends?")
    expect(page.locator("main")).not_to_contain_text("Winifred")
    assert_accessible(page)
    page.get_by_role("button", name="Withdraw my referral").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral withdrawn")
    assert_accessible(page)

    stored = db.session.scalars(db.select(Referral)).one()
    db.session.refresh(stored)
    assert stored.status is S.WITHDRAWN and stored.person_name is None and stored.contact_details is None
    assert len(smtpd.to(provider.email)) == 1 and len(smtpd.to(link_worker.email)) == 1

    page.goto(link)  # used again: nothing left
    expect(page.locator("h1")).to_have_text("There is nothing left to withdraw")


def test_the_person_withdraws_with_reference_and_date_of_birth_without_javascript(
    app_ctx: Any, nojs_page: Any
) -> None:
    page = nojs_page
    referral = make_referral(S.ACCEPTED, date_of_birth=date(1948, 3, 27))
    page.goto("/your-referral/")
    page.get_by_label("Reference number").fill(referral.reference)
    page.get_by_label("Day").fill("28")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1948")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("We could not find a referral")
    assert_accessible(page)
    page.get_by_label("Day").fill("27")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text(f"Withdraw your referral to {referral.service.name}?")
    page.get_by_role("button", name="Withdraw my referral").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Referral withdrawn")
    assert _stored(referral.id).status is S.WITHDRAWN


def test_every_new_referral_page_is_accessible(app_ctx: Any, page: Any) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    closed = make_referral(S.ENGAGED, team_user=link_worker)
    advance(closed, "close", link_worker)
    db.session.commit()
    sent = make_referral(S.SENT, team_user=link_worker)
    sent.receipt_sms_text = "microdir: you were referred. Ref MD-XXXX-XXXX."
    db.session.commit()
    shortlisted = factories.create_service(name="Art Club")

    # The person's pages, with their error states.
    page.goto("/your-referral/")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.goto("/your-referral/withdraw/not-a-token")
    expect(page.locator("h1")).to_have_text("This link does not work")
    assert_accessible(page)
    for outcome in ("withdrawn", "erased", "nothing"):
        page.goto(f"/your-referral/withdrawn?outcome={outcome}")
        assert_accessible(page)

    # The link worker's: timeline with notes and the text receipt, the GP summary, shortlist to drafts.
    sign_in(page, link_worker)
    for path in [f"/referrals/{sent.id}", f"/referrals/{closed.id}/gp-summary"]:
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
    page.goto(f"/referrals/{sent.id}")
    page.get_by_role("button", name="Add note").click()  # empty: told, on the same page
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Enter a note")
    assert_accessible(page)
    page.goto(f"/services/{shortlisted.id}")
    with page.expect_response("**/shortlist/add"):  # the shortlist script adds it in the background
        page.get_by_role("button", name=re.compile("Add .*to shortlist|Add to shortlist")).first.click()
    page.goto("/referrals/from-shortlist")
    assert_accessible_allowing_conditional_reveal(page)
    page.get_by_role("button", name="Start draft referrals").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible_allowing_conditional_reveal(page)
    sign_out(page)

    # The provider's inbox page with its notes form.
    sign_in(page, provider_for(sent.service))
    page.goto(f"/inbox/{sent.id}")
    assert_accessible(page)
    sign_out(page)

    # The admin's: find, reason (and its error), the referral, subject access (and its error), the export page.
    sign_in(page, factories.create_user(Role.ADMIN))
    page.goto("/admin/referrals/?reference=MD-2222-2222")
    assert_accessible(page)
    page.goto(f"/admin/referrals/{sent.id}/access")
    assert_accessible(page)
    page.get_by_role("button", name="See the referral").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why do you need to see this referral?").fill("Complaint C-2026-114 about this referral")
    page.get_by_role("button", name="See the referral").click()
    expect(page.locator("h1")).to_have_text(f"Referral {sent.reference}")
    assert_accessible(page)
    page.goto("/admin/referrals/subject-access")
    assert_accessible(page)
    page.get_by_role("button", name="Show a printable page").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Why are you making this export?").fill("Subject access request SAR-2026-7")
    page.get_by_label("Reference number").fill(closed.reference)
    page.get_by_role("button", name="Show a printable page").click()
    expect(page.locator("h1")).to_have_text("What we hold about this person")
    assert_accessible(page)
    sign_out(page)

    # Moderators see the reply figures on a listing (five referrals to one organisation).
    service = factories.create_service()
    for _ in range(5):
        advance(make_referral(S.SENT, service=service), "accept", link_worker)
    db.session.commit()
    sign_in(page, factories.create_user(Role.MODERATOR))
    page.goto(f"/services/{service.id}")
    expect(page.locator("#response-figures")).to_be_visible()
    assert_accessible(page)


def assert_accessible_allowing_conditional_reveal(page: Any) -> None:
    """As in test_browser.py: GOV.UK Frontend's radios script adds aria-expanded to the radios that reveal a
    field, which axe 4.14 reports; allow exactly that rule on the contact method radios, nothing else."""
    from tests.browser.axe import axe_violations

    found = [(v["id"], [n["target"] for n in v["nodes"]]) for v in axe_violations(page)]
    assert found in ([], [("aria-allowed-attr", [["#contact_method"], ["#contact_method-2"], ["#contact_method-3"]])])
