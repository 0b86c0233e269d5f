"""Who sees a referral: the referring team and the receiving organisation. Nobody else, whatever their role."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from microdir.permissions import can
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral, provider_for

PAGES = ["/referrals/{id}", "/referrals/{id}/details", "/referrals/{id}/consent", "/referrals/{id}/check",
         "/referrals/{id}/gp-summary", "/inbox/{id}", "/inbox/{id}/decline", "/inbox/{id}/close"]
# Admin pages: every other role is refused; an admin without a reason is sent to the reason form (302).
ADMIN_PAGES = ["/admin/referrals/{id}", "/admin/referrals/{id}/access"]


@pytest.mark.parametrize("who", ["other provider", "other team", "moderator", "commissioner", "admin"])
def test_outsiders_get_403_on_every_referral_page(app_ctx: Any, client_request: ClientRequest, who: str) -> None:
    referral = make_referral(S.SENT)
    user = {
        "other provider": lambda: factories.create_user(Role.PROVIDER),
        "other team": lambda: factories.create_user(Role.LINK_WORKER),
        "moderator": lambda: factories.create_user(Role.MODERATOR),
        "commissioner": lambda: factories.create_user(Role.COMMISSIONER),
        "admin": lambda: factories.create_user(Role.ADMIN),
    }[who]()
    client_request.sign_in(user)
    for pattern in PAGES:
        page = client_request.get(pattern.format(id=referral.id), expected_status=403)
        assert PERSON_NAME not in page.text()
    for pattern in ADMIN_PAGES:
        page = client_request.get(pattern.format(id=referral.id), follow_redirects=True,
                                  expected_status=200 if who == "admin" else 403)
        assert PERSON_NAME not in page.text()  # the admin sees only the "why do you need to see this" form
    form = client_request.get("/your-referral/").form_data()  # any page with a form gives a CSRF token
    for url in (f"/referrals/{referral.id}/note", f"/inbox/{referral.id}/note"):
        response = client_request.client.post(url, data={**form, "message": "Nosy"})
        assert response.status_code == 403
    assert "note" not in [e.action for e in referral.events]


def test_provider_a_never_sees_provider_b_s_referrals(app_ctx: Any, client_request: ClientRequest) -> None:
    a, b = make_referral(S.SENT, person_name="Person For A"), make_referral(S.SENT, person_name="Person For B")
    provider_a = provider_for(a.service)
    assert can(provider_a, "referral.respond", a) and not can(provider_a, "referral.respond", b)
    assert not can(provider_a, "referral.view", b)
    client_request.sign_in(provider_a)
    assert "Person For B" not in client_request.get("/inbox/").text()
    client_request.get(f"/inbox/{b.id}", expected_status=403)


def test_team_x_never_sees_team_y_s_referrals(app_ctx: Any, client_request: ClientRequest) -> None:
    x, y = make_referral(S.SENT, person_name="Person Of X"), make_referral(S.SENT, person_name="Person Of Y")
    client_request.sign_in(x.created_by)
    assert can(x.created_by, "referral.view", x) and not can(x.created_by, "referral.view", y)
    assert "Person Of Y" not in client_request.get("/referrals/").text()
    client_request.get(f"/referrals/{y.id}", expected_status=403)


def test_providers_do_not_see_drafts(app_ctx: Any, client_request: ClientRequest) -> None:
    draft = make_referral(S.DRAFT)
    provider = provider_for(draft.service)
    assert not can(provider, "referral.view", draft)
    client_request.sign_in(provider)
    client_request.get(f"/inbox/{draft.id}", expected_status=403)


def test_roles_without_the_capability_are_refused_even_for_their_own_objects(app_ctx: Any) -> None:
    referral = make_referral(S.SENT)
    for role in (Role.MODERATOR, Role.COMMISSIONER, Role.ADMIN):
        user = factories.create_user(role)
        assert not any(can(user, c, referral) for c in ("referral.view", "referral.respond", "referral.create"))
    assert not can(None, "referral.view", referral)


def test_the_link_worker_cannot_use_the_inbox_nor_the_provider_the_caseload(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.SENT)
    client_request.sign_in(referral.created_by)
    client_request.get(f"/inbox/{referral.id}", expected_status=403)
    client_request.sign_out()
    client_request.sign_in(provider_for(referral.service))
    client_request.get(f"/referrals/{referral.id}", expected_status=403)
