"""The provider's inbox: only their organisation's referrals; accept, decline, first contact, taking part, close."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, CloseOutcome, DeclineReason, Referral
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral, provider_for


def _stored(referral_id: str) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def _act(client_request: ClientRequest, referral: Referral, action: str) -> None:
    page = client_request.get(f"/inbox/{referral.id}")
    data = page.form_data(f"form[action$='/act/{action}']")
    response = client_request.client.post(f"/inbox/{referral.id}/act/{action}", data=data)
    assert response.status_code == 302


def test_the_inbox_lists_only_sent_referrals_to_the_provider_s_organisations(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    service = factories.create_service()
    mine = make_referral(S.SENT, service=service, person_name="Ada Mine")
    make_referral(S.DRAFT, service=service, person_name="Not Sent Yet")
    make_referral(S.SENT, person_name="Someone Elsewhere")
    provider = provider_for(service)
    client_request.sign_in(provider)
    page = client_request.get("/inbox/")
    assert [a.get_text(strip=True) for a in page.select("table a")] == ["Ada Mine"]
    audit = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.view_personal_data")).one()
    assert audit.detail["referral_ids"] == [mine.id]


def test_a_provider_accepts_then_records_contact_taking_part_and_closes_with_wellbeing(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.SENT)
    from microdir.domain.referrals import record_scores

    record_scores(referral, referral.created_by, "ons4", "referral",
                  {"life_satisfaction": "4", "worthwhile": "5", "happiness": "6", "anxiety": "8"})
    referral.consent_wording_version = "2026-2-wellbeing"  # the person agreed the provider may see their scores
    db.session.commit()
    provider = provider_for(referral.service)
    client_request.sign_in(provider)
    page = client_request.get(f"/inbox/{referral.id}")
    assert PERSON_NAME in page.text() and "07700 900982" in page.text()
    assert [b.get_text(strip=True) for b in page.select(".govuk-button-group .govuk-button")] == [
        "Accept referral", "Decline referral"]
    _act(client_request, referral, "accept")
    assert _stored(referral.id).status is S.ACCEPTED
    _act(client_request, referral, "first_contact")
    _act(client_request, referral, "engage")
    assert _stored(referral.id).status is S.ENGAGED

    url = f"/inbox/{referral.id}/close"
    page = client_request.post(url, {"outcome": "completed", "life_satisfaction": "7", "worthwhile": "",
                                     "happiness": "5", "anxiety": "3"}, expected_status=200)
    assert page.error_summary() == ["Enter a score for question 2"]
    assert _stored(referral.id).status is S.ENGAGED
    client_request.post(url, {"outcome": "completed", "note": "Came every week", "life_satisfaction": "7",
                              "worthwhile": "5", "happiness": "5", "anxiety": "3"})
    stored = _stored(referral.id)
    assert (stored.status, stored.outcome) == (S.CLOSED, CloseOutcome.COMPLETED)
    page = client_request.get(f"/inbox/{referral.id}")
    assert "3 points better" in page.text() and "5 points better" in page.text()  # anxiety fell 8 -> 3
    assert not page.select(".govuk-button-group")
    # The link worker sees the same outcome and change.
    client_request.sign_out()
    client_request.sign_in(referral.created_by)
    timeline = client_request.get(f"/referrals/{referral.id}")
    assert "Outcome: Completed" in timeline.text() and "Came every week" in timeline.text()


def test_closing_without_scores_is_fine_and_without_an_outcome_is_not(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.ENGAGED)
    client_request.sign_in(provider_for(referral.service))
    page = client_request.post(f"/inbox/{referral.id}/close", {}, expected_status=200)
    assert page.error_summary() == ["Select the outcome of the referral"]
    client_request.post(f"/inbox/{referral.id}/close", {"outcome": "moved_away"})
    assert _stored(referral.id).outcome is CloseOutcome.MOVED_AWAY and _stored(referral.id).scores == []


def test_a_provider_declines_with_a_reason(app_ctx: Any, client_request: ClientRequest) -> None:
    referral = make_referral(S.SENT)
    client_request.sign_in(provider_for(referral.service))
    page = client_request.post(f"/inbox/{referral.id}/decline", {"note": "Try the walking group"}, expected_status=200)
    assert page.error_summary() == ["Select why you are declining the referral"]
    client_request.post(f"/inbox/{referral.id}/decline", {"reason": "not_eligible", "note": "Try the walking group"})
    stored = _stored(referral.id)
    assert (stored.status, stored.decline_reason) == (S.DECLINED, DeclineReason.NOT_ELIGIBLE)
    client_request.sign_out()
    client_request.sign_in(referral.created_by)
    assert "The person is not eligible for this service" in client_request.get(f"/referrals/{referral.id}").text()


def test_an_unknown_action_is_not_found_and_a_wrong_one_is_explained(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.SENT)
    client_request.sign_in(provider_for(referral.service))
    page = client_request.get(f"/inbox/{referral.id}")
    data = page.form_data("form[action$='/act/accept']")
    assert client_request.client.post(f"/inbox/{referral.id}/act/close", data=data).status_code == 404
    assert client_request.client.post(f"/inbox/{referral.id}/act/engage", data=data).status_code == 302
    assert "This referral is sent, so it cannot be marked as taking part now" in client_request.get(
        f"/inbox/{referral.id}").text()
    assert _stored(referral.id).status is S.SENT
