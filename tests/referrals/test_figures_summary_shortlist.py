"""Provider response figures on the listing, the GP record summary, and shortlist to draft referrals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import CapacityStatus, Referral, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, advance, make_referral

# ---- response figures -------------------------------------------------------------------------------------------


def _answered(service: Any, action: str, days: float, sent: datetime) -> Referral:
    referral = make_referral(S.SENT, service=service)
    advance(referral, action, referral.created_by)
    referral.sent_at, referral.responded_at = sent, sent + timedelta(days=days)
    db.session.commit()
    return referral


def test_figures_need_five_referrals_in_twelve_months(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Tuesday Friends")
    now = datetime.now().replace(microsecond=0)
    recent = now - timedelta(days=30)
    for action, days in (("accept", 1), ("accept", 2), ("decline", 4), ("accept", 6)):
        _answered(service, action, days, recent)
    _answered(service, "accept", 1, now - timedelta(days=400))  # too old to count
    link_worker = factories.create_user(Role.LINK_WORKER)
    client_request.sign_in(link_worker)
    assert ops.response_figures(service.organization_id) is None
    assert client_request.get(f"/services/{service.id}").select("#response-figures") == []

    expired = make_referral(S.EXPIRED, service=service)  # the fifth: counts as not accepted, has no reply time
    expired.sent_at = recent
    db.session.commit()
    figures = ops.response_figures(service.organization_id)
    assert figures == ops.ResponseFigures(referrals=5, median_days_to_reply=3.0, share_accepted=0.6)
    page = client_request.get(f"/services/{service.id}")
    lines = [li.get_text(strip=True) for li in page.select("#response-figures li")]
    assert lines == ["Median time to reply: 3.0 days", "Accepted: 60% of referrals",
                     "Based on 5 referrals in the last 12 months"]


@pytest.mark.parametrize(("role", "sees"), [(Role.MODERATOR, True), (Role.COMMISSIONER, True), (Role.ADMIN, True),
                                            (Role.PROVIDER, False), (None, False)])
def test_who_sees_the_figures(app_ctx: Any, client_request: ClientRequest, role: Any, sees: bool) -> None:
    service = factories.create_service()
    for n in range(5):
        _answered(service, "accept", n + 1, datetime.now() - timedelta(days=10))
    if role is not None:
        client_request.sign_in(factories.create_user(role))
    page = client_request.get(f"/services/{service.id}")
    assert bool(page.select("#response-figures")) is sees
    assert PERSON_NAME not in page.text()


# ---- GP record summary ------------------------------------------------------------------------------------------


def test_the_gp_summary_says_what_to_whom_the_outcome_and_the_change(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.ENGAGED)
    ops.record_scores(referral, referral.created_by, "ons4", "referral",
                      {"life_satisfaction": 4, "worthwhile": 5, "happiness": 6, "anxiety": 8})
    advance(referral, "close", referral.created_by)
    ops.record_scores(referral, referral.created_by, "ons4", "close",
                      {"life_satisfaction": 7, "worthwhile": 5, "happiness": 5, "anxiety": 3})
    db.session.commit()
    client_request.sign_in(referral.created_by)
    page = client_request.get(f"/referrals/{referral.id}/gp-summary")
    text = page.select("#gp-summary")[0].get_text()
    assert f"Referred to: {referral.service.name} ({referral.organization.name})" in text
    assert "What matters to the person: Loneliness and isolation" in text
    assert "Outcome: Completed" in text
    assert "- Life satisfaction: 4 to 7 (3 points better)" in text and "- Anxiety: 8 to 3 (5 points better)" in text
    assert "- Happiness: 6 to 5 (1 point worse)" in text
    assert PERSON_NAME not in text and "07700" not in text
    assert "Code:" not in text and "No clinical codes are set up" in page.text()

    app_ctx.config["GP_RECORD_CODES"] = {"referred": {"code": "1000001", "term": "Referral to a community service"},
                                         "completed": {"code": "1000002"}}
    try:
        text = client_request.get(f"/referrals/{referral.id}/gp-summary").select("#gp-summary")[0].get_text()
    finally:
        app_ctx.config["GP_RECORD_CODES"] = {}
    assert "Code: 1000001 Referral to a community service" in text and "Code: 1000002" in text
    # Only the referring team.
    client_request.sign_out()
    client_request.sign_in(factories.create_user(Role.LINK_WORKER))
    client_request.get(f"/referrals/{referral.id}/gp-summary", expected_status=403)


def test_a_declined_referral_s_summary_gives_the_reason(app_ctx: Any) -> None:
    referral = make_referral(S.DECLINED)
    assert "Outcome: Declined (We have no space at the moment)" in ops.gp_record_summary(referral)


# ---- shortlist to drafts ----------------------------------------------------------------------------------------

DETAILS = {"person_name": PERSON_NAME, "contact_method": "phone", "contact_phone": "07700 900982",
           "needs": ["loneliness"]}


def _shortlist(client_request: ClientRequest, *services: Any) -> None:
    for service in services:
        client_request.post("/shortlist/add", {"service_id": service.id, "next": "/shortlist"},
                            form_url=f"/services/{service.id}")


def test_a_shortlist_becomes_one_draft_per_chosen_service(app_ctx: Any, client_request: ClientRequest) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    a = factories.create_service(name="Art Club")
    b = factories.create_service(name="Bowls Club")
    c = factories.create_service(name="Choir")
    full = factories.create_service(name="Full Friends", capacity_status=CapacityStatus.FULL)
    client_request.sign_in(link_worker)
    _shortlist(client_request, a, b, c, full)
    shortlist = client_request.get("/shortlist")
    assert shortlist.select("#refer-shortlist")[0]["href"] == "/referrals/from-shortlist"

    page = client_request.get("/referrals/from-shortlist")
    boxes = {i["value"]: i.has_attr("checked") for i in page.select("input[name=services]")}
    assert boxes == {a.id: True, b.id: True, c.id: True}
    assert "Full Friends (full)" in page.select("#cannot-refer")[0].get_text()

    page = client_request.post("/referrals/from-shortlist", {**DETAILS, "services": []}, expected_status=200)
    assert page.error_summary() == ["Select at least one service"]
    page = client_request.post("/referrals/from-shortlist", {"services": [a.id], "contact_method": "phone"},
                               expected_status=200)
    assert page.error_summary() == ["Enter the person’s full name", "Enter a phone number"]
    assert db.session.scalars(db.select(Referral)).all() == []

    page = client_request.post("/referrals/from-shortlist", {**DETAILS, "services": [a.id, full.id]},
                               expected_status=200)  # a crafted post: full services are not offered
    assert page.error_summary() == ["Select services from your shortlist that can take a referral"]
    done = client_request.post("/referrals/from-shortlist", {**DETAILS, "services": [a.id, c.id]})
    assert done.response.headers["Location"].endswith("/referrals/?status=draft")
    caseload = client_request.get("/referrals/?status=draft")
    assert "2 draft referrals started" in caseload.text()
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in caseload.select("tbody tr")]
    assert sorted(r[1] for r in rows) == ["Art Club", "Choir"] and {r[0] for r in rows} == {PERSON_NAME}
    drafts = db.session.scalars(db.select(Referral)).all()
    assert all(d.status is S.DRAFT and d.consent_given_at is None and d.team_id == link_worker.team_id
               for d in drafts)


def test_residents_and_providers_do_not_get_the_referral_button(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service()
    _shortlist(client_request, service)
    assert client_request.get("/shortlist").select("#refer-shortlist") == []
    client_request.get("/referrals/from-shortlist", expected_status=302)  # to sign in
