"""Referral outcomes that match practice (issue 15): "did not start", the link worker's baseline and follow-up
wellbeing with a follow-up date the caseload reminds of, either side closes, and the provider sees wellbeing only
when the consent wording said so."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import CloseOutcome, Referral, Role, utcnow
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import S, make_referral, provider_for

SCORES = {"life_satisfaction": "4", "worthwhile": "5", "happiness": "6", "anxiety": "8"}
LATER = {"life_satisfaction": "7", "worthwhile": "7", "happiness": "8", "anxiety": "3"}


def _fresh(referral_id: str) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def _worker(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.LINK_WORKER)
    client_request.sign_in(user)
    return user


def test_the_link_worker_records_that_the_person_did_not_start(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ACCEPTED, team_user=user)
    provider = provider_for(referral.service)
    page = client_request.get(f"/referrals/{referral.id}")
    (link,) = page.select("#did-not-start")
    form = client_request.get(link["href"])
    assert [i["value"] for i in form.select("input[name=outcome]")] == ["not_reached", "changed_mind", "not_suitable"]
    bad = client_request.post(link["href"], {"outcome": "completed"}, expected_status=200)
    assert bad.error_summary() == ["Not a valid choice."] or bad.error_summary()
    client_request.post(link["href"], {"outcome": "changed_mind", "note": "Found a choir nearer home"})
    stored = _fresh(referral.id)
    assert (stored.status, stored.outcome) == (S.CLOSED, CloseOutcome.CHANGED_MIND)
    assert stored.events[-1].action == "did_not_start"
    assert "Did not start: the person changed their mind" in client_request.get(f"/referrals/{referral.id}").text()
    assert [m["Subject"] for m in smtpd.to(provider.email)][-1] == f"Referral to {referral.service.name} closed"


def test_the_provider_records_that_the_person_could_not_be_reached(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.FIRST_CONTACT)
    client_request.sign_in(provider_for(referral.service))
    page = client_request.get(f"/inbox/{referral.id}")
    assert f"/inbox/{referral.id}/did-not-start" in [a["href"] for a in page.select("a")]
    client_request.post(f"/inbox/{referral.id}/did-not-start", {"outcome": "not_reached"})
    assert _fresh(referral.id).outcome is CloseOutcome.NOT_REACHED


def test_either_side_may_close(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ENGAGED, team_user=user)
    page = client_request.get(f"/referrals/{referral.id}")
    (link,) = page.select("#team-close")
    options = [i["value"] for i in client_request.get(link["href"]).select("input[name=outcome]")]
    assert "not_reached" not in options and "completed" in options
    empty = client_request.post(link["href"], {}, expected_status=200)
    assert empty.error_summary() == ["Select the outcome of the referral"]
    client_request.post(link["href"], {"outcome": "completed"})
    assert _fresh(referral.id).status is S.CLOSED


def test_baseline_follow_up_date_and_follow_up_scores(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ACCEPTED, team_user=user)
    ops.record_scores(referral, user, "ons4", "referral", {k: int(v) for k, v in SCORES.items()})
    db.session.commit()
    page = client_request.get(f"/referrals/{referral.id}")
    assert "At referral: 4" in page.select("#baseline-scores")[0].get_text(" ")
    # a date in the past is refused with a message; a real future date is saved
    past = date.today() - timedelta(days=3)
    client_request.post(f"/referrals/{referral.id}/follow-up-date",
                        {"follow_up_on": [str(past.day), str(past.month), str(past.year)]}, form_url=f"/referrals/{referral.id}")
    assert "Follow-up date must be today or in the future" in client_request.get(f"/referrals/{referral.id}").text()
    client_request.post(f"/referrals/{referral.id}/follow-up-date",
                        {"follow_up_on": ["31", "2", "2030"]},
                        form_url=f"/referrals/{referral.id}")
    assert _fresh(referral.id).follow_up_on is None
    today = utcnow().date()
    client_request.post(f"/referrals/{referral.id}/follow-up-date",
                        {"follow_up_on": [str(today.day), str(today.month), str(today.year)]}, form_url=f"/referrals/{referral.id}")
    assert _fresh(referral.id).follow_up_on == today
    # the caseload reminds on the day, as the link worker's action
    caseload = client_request.get("/referrals/?mine=yes")
    assert "Record follow-up wellbeing scores" in caseload.text()
    assert [c.get_text(" ", strip=True) for c in caseload.select(".app-nav-count")] == ["1 waiting"], caseload.select("#navigation")
    client_request.post(f"/referrals/{referral.id}/follow-up", LATER)
    stored = _fresh(referral.id)
    assert ops.scores_at(stored, "ons4", "follow_up").items["anxiety"] == 3
    page = client_request.get(f"/referrals/{referral.id}")
    assert "Change in wellbeing (ONS4)" in page.text()
    assert "Record follow-up wellbeing scores" not in client_request.get("/referrals/?mine=yes").text()


def test_bad_follow_up_scores_are_refused_with_messages(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ENGAGED, team_user=user)
    page = client_request.post(f"/referrals/{referral.id}/follow-up", {**LATER, "anxiety": "11"},
                               expected_status=200)
    assert page.error_summary()
    assert ops.scores_at(_fresh(referral.id), "ons4", "follow_up") is None


def _engaged_with_scores(share: bool) -> tuple[Referral, Any]:
    team_user = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(S.DRAFT, team_user=team_user, consent=False)
    ops.record_consent(referral, team_user, expected_version=referral.version, share_wellbeing=share)
    ops.record_scores(referral, team_user, "ons4", "referral", {k: int(v) for k, v in SCORES.items()})
    for action in ("send", "accept", "first_contact", "engage"):
        actor = team_user if action == "send" else provider_for(referral.service)
        ops.transition(referral, action, actor=actor, expected_version=referral.version)
    ops.record_scores(referral, provider_for(referral.service), "ons4", "close", {k: int(v) for k, v in LATER.items()})
    db.session.commit()
    return referral, team_user


def test_the_provider_sees_wellbeing_only_when_the_consent_wording_said_so(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    kept, _ = _engaged_with_scores(share=False)
    shared, _ = _engaged_with_scores(share=True)
    assert kept.consent_wording_version == "2026-2" and "stay with their link worker’s team" in kept.consent_wording
    assert shared.consent_wording_version == "2026-2-wellbeing" and "may see the wellbeing" in shared.consent_wording
    client_request.sign_in(provider_for(kept.service))
    assert "Change in wellbeing" not in client_request.get(f"/inbox/{kept.id}").text()
    other = ClientRequest(client_request.app)
    other.sign_in(provider_for(shared.service))
    assert "Change in wellbeing" in other.get(f"/inbox/{shared.id}").text()


def test_the_consent_page_records_the_wellbeing_choice(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _worker(client_request)
    referral = make_referral(S.DRAFT, team_user=user, consent=False)
    page = client_request.get(f"/referrals/{referral.id}/consent")
    assert "may see the wellbeing scores" in page.text()
    client_request.post(f"/referrals/{referral.id}/consent", {"agreed": "y", "share_wellbeing": "y"})
    assert _fresh(referral.id).consent_wording_version == "2026-2-wellbeing"
