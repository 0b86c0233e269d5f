"""The consent receipt and withdrawing through it: reference number, receipt email or text to read out, the
signed link or the public page (reference + a detail), both sides told, the personal data erased."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, ContactMethod, OutboundEmail, Referral, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral

EMAIL = "winifred@example.com"
DOB = date(1948, 3, 27)


def _stored(referral_id: str) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def _send(client_request: ClientRequest, referral: Referral) -> Any:
    return client_request.post(f"/referrals/{referral.id}/send", form_url=f"/referrals/{referral.id}/check",
                               expected_status=200, follow_redirects=True)


def test_an_emailed_receipt_and_withdrawing_through_its_link(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    service = factories.create_service(name="Tuesday Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    link_worker = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(S.DRAFT, team_user=link_worker, service=service, contact_method=ContactMethod.EMAIL,
                             contact_details=EMAIL, date_of_birth=DOB)
    client_request.sign_in(link_worker)
    sent = _send(client_request, referral)
    assert "We have emailed the person a receipt" in sent.text() and referral.reference in sent.text()

    (receipt,) = smtpd.to(EMAIL)
    body = smtpd.body(receipt)
    assert referral.reference in body and service.organization.name in body and "Tuesday Friends" in body
    assert "- your date of birth" in body and "so that Tuesday Friends can contact" in body
    # What matters to the person is said in general terms: the needs themselves may be health data.
    assert "- what matters to you, as you told your link worker" in body and "Loneliness" not in body
    # Nothing of the person is kept in the outbound store once the receipt is sent.
    stored_email = db.session.get(OutboundEmail, _stored(referral.id).receipt_email_id)
    assert stored_email.sent_at is not None and (stored_email.to, stored_email.body) == (None, None)
    link = re.search(r"https?://[^/\s]+(/your-referral/withdraw/\S+)", body).group(1)
    client_request.sign_out()
    smtpd.messages.clear()

    page = client_request.get(link)
    assert page.h1 == "Withdraw your referral to Tuesday Friends?"
    assert PERSON_NAME not in page.text()  # a forwarded link shows nothing about the person
    done = client_request.post(link)
    assert done.response.headers["Location"].endswith("/your-referral/withdrawn?outcome=withdrawn")
    assert "Referral withdrawn" in client_request.get("/your-referral/withdrawn?outcome=withdrawn").text()

    stored = _stored(referral.id)
    assert stored.status is S.WITHDRAWN and stored.erased_at is not None
    assert (stored.person_name, stored.contact_details, stored.date_of_birth, stored.reasons_text,
            stored.provider_notes) == (None, None, None, None, None)
    assert stored.needs == ["loneliness"] and stored.service_id == service.id  # anonymous facts kept
    assert PERSON_NAME not in stored.consent_wording and "The person agreed" in stored.consent_text
    assert [e.action for e in stored.events][-2:] == ["withdraw", "erase"]
    assert stored.events[-2].actor_kind == "person"
    assert [m["Subject"] for m in smtpd.to(provider.email)] == ["Referral to Tuesday Friends withdrawn"]
    assert [m["Subject"] for m in smtpd.to(link_worker.email)] == ["Referral to Tuesday Friends withdrawn"]
    erase = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.erase")).one()
    assert erase.detail == {"why": "withdrawn by the person"}

    # The link again: nothing left to withdraw.
    again = client_request.get(link, expected_status=302)
    assert again.response.headers["Location"].endswith("outcome=nothing")
    client_request.sign_in(link_worker)
    assert "The person’s details were removed on" in client_request.get(f"/referrals/{referral.id}").text()


def test_a_phone_receipt_is_a_text_for_the_link_worker_to_read_out(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(S.DRAFT, team_user=link_worker)  # by phone
    client_request.sign_in(link_worker)
    sent = _send(client_request, referral)
    (text,) = sent.select("#receipt-text")
    assert referral.reference in text.get_text() and "/your-referral/" in text.get_text()
    assert "last 4 digits" in text.get_text() and PERSON_NAME not in text.get_text()
    assert "We do not send text messages" in sent.text()
    assert referral.reference in client_request.get(f"/referrals/{referral.id}").select("#receipt-text")[0].get_text()
    assert [m["To"] for m in smtpd.messages if referral.reference in smtpd.body(m)] == []


def test_the_public_page_needs_the_reference_and_a_matching_detail(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    referral = make_referral(S.ACCEPTED, date_of_birth=DOB)  # phone 07700 900982
    url = "/your-referral/"
    page = client_request.post(url, {"reference": ""}, expected_status=200)
    assert page.error_summary() == ["Enter your reference number"]
    page = client_request.post(url, {"reference": referral.reference}, expected_status=200)
    assert page.error_summary() == [
        "Enter your date of birth, the last 4 digits of your phone number or your email address"]
    page = client_request.post(url, {"reference": referral.reference, "phone_last4": "98"}, expected_status=200)
    assert page.error_summary() == ["Enter the last 4 digits of your phone number, like 0982"]
    not_found = "We could not find a referral with that reference number and detail. Check them and try again"
    for wrong in ({"reference": referral.reference, "phone_last4": "1234"},
                  {"reference": referral.reference, "date_of_birth": ["28", "3", "1948"]},
                  {"reference": "MD-2222-2222", "phone_last4": "0982"}):
        assert client_request.post(url, wrong, expected_status=200).error_summary() == [not_found]
    assert _stored(referral.id).status is S.ACCEPTED

    # Typed loosely: lower case, no dashes; the date of birth matches.
    loose = referral.reference.lower().replace("-", " ")
    found = client_request.post(url, {"reference": loose, "date_of_birth": ["27", "3", "1948"]})
    confirm = found.response.headers["Location"]
    assert "/your-referral/withdraw/" in confirm
    page = client_request.get(confirm)
    assert page.h1 == f"Withdraw your referral to {referral.service.name}?"
    client_request.post(confirm)
    stored = _stored(referral.id)
    assert stored.status is S.WITHDRAWN and stored.person_name is None


def test_a_closed_referral_cannot_be_withdrawn_but_its_details_can_be_erased(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.CLOSED)
    found = client_request.post("/your-referral/", {"reference": referral.reference, "phone_last4": "0982"})
    confirm = found.response.headers["Location"]
    page = client_request.get(confirm)
    assert page.h1 == "Delete your details from this referral?"
    assert [b.get_text(strip=True) for b in page.select("main button")] == ["Delete my details"]
    done = client_request.post(confirm)
    assert done.response.headers["Location"].endswith("outcome=erased")
    stored = _stored(referral.id)
    assert stored.status is S.CLOSED and stored.erased_at is not None and stored.person_name is None


def test_a_tampered_link_does_not_work(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/your-referral/withdraw/not-a-real-token", expected_status=404)
    assert page.h1 == "This link does not work"


def test_the_public_withdraw_page_is_rate_limited(app_ctx: Any, client_request: ClientRequest) -> None:
    referral = make_referral(S.SENT)
    form = client_request.get("/your-referral/").form_data()
    statuses = [client_request.client.post("/your-referral/", data={**form, "reference": referral.reference,
                                                                      "phone_last4": f"{n:04d}"}).status_code
                for n in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    # Even the right detail is refused until the hour is up.
    right = client_request.client.post("/your-referral/", data={**form, "reference": referral.reference,
                                                                 "phone_last4": "0982"})
    assert right.status_code == 429
