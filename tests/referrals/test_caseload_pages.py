"""A long caseload comes in pages of 50, and each page keeps the link worker's filters and sort."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from microdir.models import ReferralStatus, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import make_referral


def test_a_long_caseload_is_paged_and_the_page_links_keep_the_filters_and_sort(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # The demo link worker's caseload was 257 rows on one page, about 30,000 px tall.
    link_worker = factories.create_user(Role.LINK_WORKER)
    service = factories.create_service(name="Tuesday Tea Club")
    for _ in range(51):
        make_referral(ReferralStatus.SENT, team_user=link_worker, service=service)
    make_referral(ReferralStatus.DRAFT, team_user=link_worker, service=service)  # filtered out by status
    client_request.sign_in(link_worker)

    first = client_request.get("/referrals/?status=sent&sort=service")
    assert len(first.select("#caseload tbody tr")) == 50
    assert first.soup.select_one("#caseload caption").get_text(strip=True) == (
        "51 referrals, sorted by service, page 1 of 2")
    next_link = first.soup.select_one(".govuk-pagination__next a")
    assert next_link is not None  # a plain link: works without JavaScript
    assert parse_qs(urlsplit(next_link["href"]).query) == {"status": ["sent"], "sort": ["service"], "page": ["2"]}

    second = client_request.get(next_link["href"])
    assert len(second.select("#caseload tbody tr")) == 1
    previous = second.soup.select_one(".govuk-pagination__prev a")
    assert parse_qs(urlsplit(previous["href"]).query) == {"status": ["sent"], "sort": ["service"]}
    assert second.soup.select_one("#status option[selected]")["value"] == "sent"


def test_a_page_number_that_is_not_a_number_or_too_big_shows_a_page_not_an_error(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    make_referral(ReferralStatus.SENT, team_user=link_worker)
    client_request.sign_in(link_worker)
    for page in ("x", "-3", "99"):
        shown = client_request.get(f"/referrals/?page={page}")
        assert len(shown.select("#caseload tbody tr")) == 1
        assert not shown.select(".govuk-pagination")
