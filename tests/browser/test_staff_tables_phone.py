"""Staff tables on a phone (390 × 844), in Chromium: a wide table scrolls in its own box, not the whole page."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import audit
from microdir.extensions import db
from microdir.models import ProblemReport, Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in, sign_out
from tests.referrals.helpers import make_referral, provider_for

pytestmark = pytest.mark.browser

LONG_NAME = "Wednesbury and Darlaston Community Befriending and Wellbeing Partnership"


def _assert_page_does_not_scroll_sideways(page: Any, path: str) -> None:
    page.goto(path)
    wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + e.getBoundingClientRect().right).slice(0, 8).join(' | ')")
    assert page.evaluate("document.documentElement.scrollWidth") == 390, f"{path} scrolls sideways: {wide}"
    regions = page.locator("main .app-table-scroll[role=region][tabindex='0'][aria-label]")
    assert regions.count() >= 1, f"{path}: no scrolling table box"


def test_staff_tables_scroll_in_their_own_box_not_the_whole_page_on_a_phone(app_ctx: Any, page: Any) -> None:
    # The walker found the caseload 940 px wide, accounts 976, audit log 1122, open data 772, moderation 458–508 and
    # the provider inbox 441 on a 390 px phone: the whole page, header and all, scrolled sideways.
    service = factories.create_service(name=LONG_NAME)
    link_worker = factories.create_user(Role.LINK_WORKER, email="lee.linkworker.phone@example.com")
    make_referral(team_user=link_worker, service=service)
    provider = provider_for(service)
    moderator = factories.create_user(Role.MODERATOR, email="mo.phone@example.com")
    admin = factories.create_user(Role.ADMIN, email="ada.administrator.with.a.long.address@example.com")
    db.session.add(ProblemReport(service=service, reasons=["closed"], details="The phone number is not answered"))
    audit.record("user.role_change", "user", admin.id, actor=admin, team_id=None, role_from="provider")
    db.session.commit()

    for person, paths in [
        (link_worker, ["/referrals/"]),
        (provider, ["/inbox/"]),
        (moderator, ["/moderation/"]),
        (admin, ["/admin/users", "/admin/audit", "/admin/open-data"]),
    ]:
        page.set_viewport_size({"width": 1280, "height": 900})  # "Sign out" shows without opening the menu
        sign_in(page, person)
        page.set_viewport_size({"width": 390, "height": 844})
        for path in paths:
            _assert_page_does_not_scroll_sideways(page, path)
        assert_accessible(page)  # the scrolling box can be focused and is named
        sign_out(page)


def test_a_review_of_a_new_listing_fits_a_phone(app_ctx: Any, page: Any) -> None:
    # The walk found the review page 533 px wide on a 390 px phone: an email address would not break, and a new
    # listing's table kept an empty "Published" column.
    from tests.providers.helpers import new_listing

    organization = factories.create_organization(name=LONG_NAME)
    provider = factories.create_user(Role.PROVIDER, organizations=[organization], email="pat.phone@example.com")
    _, revision = new_listing(organization, provider, name=LONG_NAME,
                              email="hello@wednesbury-and-darlaston-befriending.example.org")
    moderator = factories.create_user(Role.MODERATOR, email="mo.review.phone@example.com")
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, moderator)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/moderation/revisions/", f"/moderation/revisions/{revision.id}"):
        _assert_page_does_not_scroll_sideways(page, path)
    assert page.locator("#diff thead th").all_inner_texts() == ["Proposed"]  # a new listing: one column
    assert_accessible(page)
