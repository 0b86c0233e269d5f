"""A link worker refers someone: details, consent, check, send; capacity; caseload; timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, CapacityStatus, Referral, Role, utcnow
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral

DETAILS = {
    "person_name": PERSON_NAME,
    "contact_method": "phone",
    "contact_phone": "07700 900982",
    "needs": ["loneliness", "older-people"],
    "reasons_text": "Would like company on Tuesdays",
    "provider_notes": "Uses a walking frame",
}


def _sign_in(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.LINK_WORKER)
    client_request.sign_in(user)
    return user


def _only_referral() -> Referral:
    db.session.expire_all()
    return db.session.scalars(db.select(Referral)).one()


def test_a_link_worker_refers_someone_and_the_organisation_is_emailed_without_personal_data(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    user = _sign_in(client_request)
    service = factories.create_service(name="Tuesday Friends")
    member = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    outsider = factories.create_user(Role.PROVIDER)

    page = client_request.get(f"/referrals/new?service={service.id}")
    assert page.h1 == "Refer someone to Tuesday Friends About the person" or "About the person" in page.h1
    consent = client_request.post(f"/referrals/new?service={service.id}", DETAILS)
    referral = _only_referral()
    assert consent.response.headers["Location"].endswith(f"/referrals/{referral.id}/consent")
    assert referral.status is S.DRAFT and referral.team_id == user.team_id

    page = client_request.get(f"/referrals/{referral.id}/consent")
    assert "agreed that I can share" in page.text() and service.organization.name in page.text()
    client_request.post(f"/referrals/{referral.id}/consent", {"agreed": "y"})
    referral = _only_referral()
    assert referral.consent_given_at is not None and referral.consent_wording_version == "2026-2"
    assert PERSON_NAME in referral.consent_text and referral.reference in referral.consent_wording

    check = client_request.get(f"/referrals/{referral.id}/check")
    assert "Loneliness and isolation" in check.text() and "07700 900982" in check.text()
    answer = client_request.post(f"/referrals/{referral.id}/send", form_url=f"/referrals/{referral.id}/check")
    # Redirected to the confirmation, so refreshing it shows it again instead of posting the form a second time.
    assert answer.response.headers["Location"].endswith(f"/referrals/{referral.id}/sent")
    for _ in range(2):
        sent = client_request.get(f"/referrals/{referral.id}/sent")
        assert "Referral sent" in sent.text() and referral.reference in sent.text()
        assert "already been sent" not in sent.text()
    referral = _only_referral()
    assert referral.status is S.SENT and referral.sent_at is not None
    assert [e.action for e in referral.events] == ["create", "send"]

    assert smtpd.to(outsider.email) == []
    (message,) = smtpd.to(member.email)
    body = smtpd.body(message)
    assert "/inbox/" in body and "Tuesday Friends" in body
    for personal in (PERSON_NAME, "Winifred", "07700", "walking frame", "Tuesdays", referral.reference):
        assert personal not in body and personal not in message["Subject"]


def test_bad_details_get_messages_and_create_nothing(app_ctx: Any, client_request: ClientRequest) -> None:
    _sign_in(client_request)
    service = factories.create_service()
    url = f"/referrals/new?service={service.id}"
    page = client_request.post(url, {"person_name": "", "contact_method": "phone", "contact_phone": ""},
                               expected_status=200)
    assert page.title.startswith("Error: ")
    assert page.error_summary() == ["Enter the person’s full name", "Enter a phone number"]
    page = client_request.post(url, {**DETAILS, "contact_method": "email", "contact_email": "not-an-email",
                                     "date_of_birth": ["31", "2", "1950"]}, expected_status=200)
    assert "Enter an email address in the correct format, like name@example.com" in page.error_summary()
    assert "Date of birth must be a real date, for example 27 3 1948" in page.error_summary()
    page = client_request.post(url, {"person_name": "A"}, expected_status=200)
    assert page.error_summary() == ["Select how the person wants to be contacted"]
    assert db.session.scalars(db.select(Referral)).all() == []


def test_without_consent_the_referral_cannot_be_sent(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.DRAFT, team_user=user, consent=False)
    page = client_request.post(f"/referrals/{referral.id}/consent", {}, expected_status=200)
    assert page.error_summary() == ["Confirm that the person agreed, or tell us they did not"]
    # The check page will not even show without consent...
    redirect = client_request.get(f"/referrals/{referral.id}/check", expected_status=302)
    assert redirect.response.headers["Location"].endswith("/consent")
    # ...and a crafted send is refused with the explanation page.
    token = page.form_data()["csrf_token"]
    response = client_request.client.post(f"/referrals/{referral.id}/send",
                                          data={"csrf_token": token, "expected_version": str(referral.version)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cannot-send")
    explained = client_request.get(f"/referrals/{referral.id}/cannot-send")
    assert explained.h1 == "You cannot send this referral"
    assert "give the person the details" in explained.text()
    assert _only_referral().status is S.DRAFT


def test_a_full_service_blocks_sending_and_offers_similar_services(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    full = factories.create_service(name="Full Friends", capacity_status=CapacityStatus.FULL)
    near = factories.create_service(name="Near Friends", latitude=52.497, longitude=-1.973)
    factories.create_service(name="Far Friends", latitude=53.4, longitude=-2.15)
    factories.create_service(name="Also Full", capacity_status=CapacityStatus.FULL)
    factories.create_service(name="Lunch", categories=("drop-ins-lunch-clubs",))
    page = client_request.get(f"/referrals/new?service={full.id}")
    assert page.h1 == "Full Friends is full"
    offered = [a.get_text(strip=True) for a in page.select("main ul.govuk-list a")]
    assert offered == ["Refer to Near Friends", "Refer to Far Friends"]
    assert not page.select("form[method=post]")

    # A service that fills up after the draft was made blocks the send itself.
    referral = make_referral(S.DRAFT, team_user=user, service=near)
    near.capacity_status = CapacityStatus.FULL
    db.session.commit()
    check = client_request.get(f"/referrals/{referral.id}/check")
    page = client_request.post(f"/referrals/{referral.id}/send", form_url=f"/referrals/{referral.id}/check",
                               expected_status=200)
    assert page.h1 == "Near Friends is full" and "Refer to Far Friends" in page.text()
    assert check.status == 200 and _only_referral_by(referral.id).status is S.DRAFT


def _only_referral_by(referral_id: str) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def test_a_waiting_list_warns_and_records_that_the_warning_was_seen(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    service = factories.create_service(name="Busy Friends", capacity_status=CapacityStatus.WAITING_LIST)
    referral = make_referral(S.DRAFT, team_user=user, service=service)
    check = client_request.get(f"/referrals/{referral.id}/check")
    assert "Busy Friends has a waiting list" in check.text()
    client_request.post(f"/referrals/{referral.id}/send", form_url=f"/referrals/{referral.id}/check",
                        expected_status=200, follow_redirects=True)
    stored = _only_referral_by(referral.id)
    assert stored.status is S.SENT and stored.capacity_warning_seen is True


def test_a_service_that_gets_a_waiting_list_after_the_check_page_is_not_sent_blind(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.DRAFT, team_user=user)
    check = client_request.get(f"/referrals/{referral.id}/check")  # no warning shown: taking new people
    referral.service.capacity_status = CapacityStatus.WAITING_LIST
    db.session.commit()
    response = client_request.client.post(f"/referrals/{referral.id}/send", data=check.form_data())
    assert response.status_code == 302 and response.headers["Location"].endswith("/check")
    assert "now has a waiting list" in client_request.get(f"/referrals/{referral.id}/check").text()
    assert _only_referral_by(referral.id).status is S.DRAFT


def test_wellbeing_at_referral_is_optional_and_validated(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.DRAFT, team_user=user)
    url = f"/referrals/{referral.id}/wellbeing"
    page = client_request.post(url, {"life_satisfaction": "12", "worthwhile": "5", "happiness": "", "anxiety": "x"},
                               expected_status=200)
    assert page.error_summary() == [
        "Score for question 1 must be between 0 and 10",
        "Enter a score for question 3",
        "Score for question 4 must be a whole number between 0 and 10",
    ]
    client_request.post(url, {"life_satisfaction": "4", "worthwhile": "5", "happiness": "6", "anxiety": "8"})
    stored = _only_referral_by(referral.id)
    assert [(s.stage, s.items) for s in stored.scores] == [
        ("referral", {"life_satisfaction": 4, "worthwhile": 5, "happiness": 6, "anxiety": 8})]


def test_caseload_shows_the_team_s_referrals_filtered_by_status_and_overdue(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    user = _sign_in(client_request)
    colleague = factories.create_user(Role.LINK_WORKER, team=user.team)
    make_referral(S.SENT, team_user=user, person_name="Ada Mine")
    make_referral(S.ACCEPTED, team_user=colleague, person_name="Bea Colleague")
    make_referral(S.SENT, person_name="Cy Other Team")
    old = make_referral(S.SENT, team_user=colleague, person_name="Dot Overdue")
    old.sent_at = utcnow() - timedelta(days=10)
    db.session.commit()

    names = lambda page: sorted(a.get_text(strip=True) for a in page.select("table tbody a"))  # noqa: E731
    assert names(client_request.get("/referrals/")) == ["Ada Mine", "Bea Colleague", "Dot Overdue"]
    assert names(client_request.get("/referrals/?status=accepted")) == ["Bea Colleague"]
    assert names(client_request.get("/referrals/?overdue=yes")) == ["Dot Overdue"]
    assert names(client_request.get("/referrals/?status=nonsense")) == ["Ada Mine", "Bea Colleague", "Dot Overdue"]
    assert "Overdue" in client_request.get(f"/referrals/{old.id}").text()


def test_the_timeline_shows_every_step_and_each_view_is_audited(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.ENGAGED, team_user=user)
    page = client_request.get(f"/referrals/{referral.id}")
    headings = [h.get_text(strip=True) for h in page.select("ol.app-timeline h3")]
    assert headings == ["Taking part", "First contact made", "Accepted", "Sent", "Draft started"]
    assert PERSON_NAME in page.text()
    views = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.view_personal_data",
                                                           AuditEvent.object_id == referral.id)).all()
    assert [(v.actor_id, v.detail["page"]) for v in views] == [(user.id, "timeline")]


def test_the_team_withdraws_a_referral_for_the_person_and_their_details_are_deleted(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.SENT, team_user=user)
    provider = factories.create_user(Role.PROVIDER, organizations=[referral.service.organization])
    page = client_request.get(f"/referrals/{referral.id}")
    assert "The person’s details and the notes on this referral will then be deleted" in page.text()

    client_request.post(f"/referrals/{referral.id}/withdraw", {}, form_url=f"/referrals/{referral.id}")
    stored = _only_referral_by(referral.id)
    assert stored.status is S.WITHDRAWN and stored.erased_at is not None
    assert (stored.person_name, stored.contact_details, stored.reasons_text) == (None, None, None)
    assert [e.action for e in stored.events[-2:]] == ["withdraw", "erase"]
    page = client_request.get(f"/referrals/{referral.id}")
    assert "Withdraw referral" not in page.text() and PERSON_NAME not in page.text()
    assert stored.reference in page.text()
    assert [m["Subject"] for m in smtpd.to(provider.email)] == [f"Referral to {referral.service.name} withdrawn"]


def test_viewing_recorded_wellbeing_scores_is_audited(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.DRAFT, team_user=user)
    client_request.get(f"/referrals/{referral.id}/wellbeing")
    views = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.view_personal_data",
                                                           AuditEvent.object_id == referral.id)).all()
    assert [(v.actor_id, v.detail["page"]) for v in views] == [(user.id, "wellbeing")]


def test_a_name_of_only_spaces_is_refused(app_ctx: Any, client_request: ClientRequest) -> None:
    _sign_in(client_request)
    service = factories.create_service(name="Tuesday Friends")
    page = client_request.post(f"/referrals/new?service={service.id}", {**DETAILS, "person_name": "   \t "},
                               expected_status=200)
    assert page.error_summary() == ["Enter the person’s full name"]
    assert db.session.scalars(db.select(Referral)).all() == []


def test_pressing_continue_twice_makes_one_draft(app_ctx: Any, client_request: ClientRequest) -> None:
    _sign_in(client_request)
    service = factories.create_service(name="Tuesday Friends")
    form = client_request.get(f"/referrals/new?service={service.id}")
    payload = {**form.form_data(), **DETAILS}
    first = client_request.client.post(f"/referrals/new?service={service.id}", data=payload)
    second = client_request.client.post(f"/referrals/new?service={service.id}", data=payload)
    referral = _only_referral()  # one draft, not two
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/referrals/{referral.id}/consent"


def test_pressing_add_note_twice_adds_one_note(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    referral = make_referral(S.SENT, team_user=user)
    page = client_request.get(f"/referrals/{referral.id}")
    payload = {**page.form_data(f"form[action$='/referrals/{referral.id}/note']"), "message": "Called her today"}
    for _ in range(2):
        assert client_request.client.post(f"/referrals/{referral.id}/note", data=payload).status_code == 302
    db.session.expire_all()
    assert [e.note for e in referral.events if e.action == "note"] == ["Called her today"]
