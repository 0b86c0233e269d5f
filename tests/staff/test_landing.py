"""Each role lands on its work after signing in, and the navigation counts what waits (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import make_referral, provider_for


def _land(client_request: ClientRequest, user: Any, next_url: str | None = None) -> str:
    """Sign in through the forms (with the two-factor code where the role has it); return where it lands."""
    page = client_request.sign_in(user, next=next_url)
    return page.response.headers["Location"]


@pytest.mark.parametrize(("role", "where"), [
    (Role.LINK_WORKER, "/referrals/"),
    (Role.PROVIDER, "/provider/"),
    (Role.MODERATOR, "/moderation/"),
    (Role.COMMISSIONER, "/insights/"),  # the insight pages exist now
    (Role.ADMIN, "/admin/"),
])
def test_each_role_lands_on_its_work(app_ctx: Any, client_request: ClientRequest, role: Role, where: str) -> None:
    user = factories.create_user(role, **({"organizations": [factories.create_organization()]}
                                          if role is Role.PROVIDER else {}))
    location = _land(client_request, user)
    assert location.endswith(where), location
    client_request.get(location)  # and the page opens


def test_a_safe_next_still_wins_and_an_unsafe_one_lands_on_work(app_ctx: Any, app: Any) -> None:
    user = factories.create_user(Role.MODERATOR)
    assert _land(ClientRequest(app), user, "/account/").endswith("/account/")
    assert _land(ClientRequest(app), user, "//evil.example/").endswith("/moderation/")


def test_a_provider_with_referrals_waiting_lands_on_the_inbox(app_ctx: Any, client_request: ClientRequest) -> None:
    from microdir.models import ReferralStatus

    referral = make_referral(ReferralStatus.SENT)
    provider = provider_for(referral.service)
    location = _land(client_request, provider)
    assert location.endswith("/inbox/")
    page = client_request.get(location)
    (count,) = page.select(".govuk-service-navigation__list .app-nav-count")
    assert count.get_text(" ", strip=True) == "1 waiting"


def test_the_commissioner_lands_on_insights_once_it_exists() -> None:
    from types import SimpleNamespace

    from flask import Flask

    from microdir.landing import landing_url

    probe = Flask(__name__)
    probe.add_url_rule("/insights", "insights.index", lambda: "insights")
    with probe.test_request_context():
        assert landing_url(SimpleNamespace(role=Role.COMMISSIONER)) == "/insights"


def test_link_worker_navigation_counts_drafts_and_unanswered(app_ctx: Any, client_request: ClientRequest) -> None:
    from microdir.models import ReferralStatus

    worker = factories.create_user(Role.LINK_WORKER)
    make_referral(ReferralStatus.DRAFT, team_user=worker)
    make_referral(ReferralStatus.ACCEPTED, team_user=worker)  # the provider acts next: not counted
    client_request.sign_in(worker)
    page = client_request.get("/")
    (count,) = page.select(".app-nav-count")
    assert count.get_text(" ", strip=True) == "1 waiting"
    assert count.find_parent("a")["href"] == "/referrals/"


def test_moderator_navigation_counts_reports(app_ctx: Any, client_request: ClientRequest) -> None:
    from microdir.domain import reports
    from microdir.extensions import db

    service = factories.create_service()
    reports.report_problem(service, [next(iter(reports.REASONS))])
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    (count,) = client_request.get("/").select(".app-nav-count")
    assert count.get_text(" ", strip=True) == "1 waiting"
