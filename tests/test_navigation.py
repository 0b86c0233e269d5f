"""Navigation depends on who is signed in, and a link worker can refer from a listing."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest

EXPECTED = {
    None: ["Find services", "Your shortlist (0)", "Sign in"],
    Role.PROVIDER: ["Find services", "Your shortlist (0)", "Your listings", "Referrals", "Your account", "Sign out"],
    Role.LINK_WORKER: ["Find services", "Your shortlist (0)", "Your caseload", "Your account", "Sign out"],
    Role.MODERATOR: ["Find services", "Your shortlist (0)", "Moderation", "Your account", "Sign out"],
    Role.COMMISSIONER: ["Find services", "Your shortlist (0)", "Insight", "Your account", "Sign out"],
    Role.ADMIN: ["Find services", "Your shortlist (0)", "Moderation", "Insight", "Admin", "Accounts", "Referrals", "Open data", "Your account", "Sign out"],
}


@pytest.mark.parametrize("role", list(EXPECTED), ids=lambda r: r.value if r else "anonymous")
def test_navigation_for_each_role(app_ctx: Any, client_request: ClientRequest, role: Role | None) -> None:
    if role is not None:
        client_request.sign_in(factories.create_user(role))
    page = client_request.get("/")
    links = [a.get_text(strip=True) for a in page.select(".govuk-service-navigation__list a")]
    assert links == EXPECTED[role]


def test_only_link_workers_see_refer_on_a_listing(app_ctx: Any, client_request: ClientRequest, app: Any) -> None:
    service = factories.create_service()
    assert not client_request.get(f"/services/{service.id}").select("#refer")
    link_worker = ClientRequest(app)
    link_worker.sign_in(factories.create_user(Role.LINK_WORKER))
    (refer,) = link_worker.get(f"/services/{service.id}").select("#refer")
    assert refer["href"] == f"/referrals/new?service={service.id}"
    assert link_worker.get(refer["href"]).status == 200
