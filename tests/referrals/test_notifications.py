"""Emails on status changes: the referring link workers hear of accept/decline/close/withdraw/expiry, and the
provider of a withdrawal; never with the person's details. Notes between the two sides, on the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import AuditEvent, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, PHONE, S, advance, make_referral

PERSONAL = (PERSON_NAME, "Winifred", PHONE, "07700", "walking frame", "husband")


def _assert_no_personal_data(smtpd: Any, message: Any, referral: Any) -> None:
    text = smtpd.body(message) + message["Subject"]
    for personal in (*PERSONAL, referral.reference):
        assert personal not in text


def _setup() -> tuple[Any, Any, Any]:
    service = factories.create_service(name="Tuesday Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    link_worker = factories.create_user(Role.LINK_WORKER)
    return service, provider, link_worker


@pytest.mark.parametrize(("status", "action", "subject"), [
    (S.SENT, "accept", "Referral to Tuesday Friends accepted"),
    (S.SENT, "decline", "Referral to Tuesday Friends declined"),
    (S.ENGAGED, "close", "Referral to Tuesday Friends closed"),
    (S.SENT, "expire", "Referral to Tuesday Friends expired"),
])
def test_the_link_worker_is_told_of_each_answer_without_personal_data(
    app_ctx: Any, smtpd: Any, status: Any, action: str, subject: str
) -> None:
    service, provider, link_worker = _setup()
    colleague = factories.create_user(Role.LINK_WORKER, team=link_worker.team)  # not involved: not emailed
    referral = make_referral(status, team_user=link_worker, service=service)
    smtpd.messages.clear()
    advance(referral, action, link_worker)
    db.session.commit()
    (message,) = smtpd.to(link_worker.email)
    assert message["Subject"] == subject
    assert f"/referrals/{referral.id}" in smtpd.body(message)
    _assert_no_personal_data(smtpd, message, referral)
    assert smtpd.to(colleague.email) == [] and smtpd.to(provider.email) == []


def test_a_withdrawal_tells_the_provider_but_not_the_link_worker_who_did_it(app_ctx: Any, smtpd: Any) -> None:
    service, provider, link_worker = _setup()
    sender = factories.create_user(Role.LINK_WORKER, team=link_worker.team)
    referral = make_referral(S.DRAFT, team_user=link_worker, service=service)
    advance(referral, "send", sender)  # sender acted on it, so they hear of changes too
    db.session.commit()
    smtpd.messages.clear()
    advance(referral, "withdraw", link_worker)
    db.session.commit()
    (to_provider,) = smtpd.to(provider.email)
    assert to_provider["Subject"] == "Referral to Tuesday Friends withdrawn"
    assert "do not contact the person" in smtpd.body(to_provider)
    _assert_no_personal_data(smtpd, to_provider, referral)
    assert smtpd.to(link_worker.email) == []
    assert len(smtpd.to(sender.email)) == 1


def test_a_withdrawn_draft_tells_no_provider(app_ctx: Any, smtpd: Any) -> None:
    service, provider, link_worker = _setup()
    referral = make_referral(S.DRAFT, team_user=link_worker, service=service)
    advance(referral, "withdraw", link_worker)
    db.session.commit()
    assert smtpd.to(provider.email) == []


def test_the_team_is_told_when_the_link_worker_has_left(app_ctx: Any, smtpd: Any) -> None:
    service, _, link_worker = _setup()
    colleague = factories.create_user(Role.LINK_WORKER, team=link_worker.team)
    referral = make_referral(S.SENT, team_user=link_worker, service=service)
    link_worker.active = False
    db.session.commit()
    advance(referral, "accept", link_worker)
    db.session.commit()
    assert smtpd.to(link_worker.email) == [] and len(smtpd.to(colleague.email)) == 1


def test_notes_go_both_ways_on_the_timeline_without_changing_the_status(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    service, provider, link_worker = _setup()
    referral = make_referral(S.ACCEPTED, team_user=link_worker, service=service)
    version = referral.version
    smtpd.messages.clear()
    client_request.sign_in(provider)
    client_request.post(f"/inbox/{referral.id}/note", {"message": "We tried to call at teatime"},
                        form_url=f"/inbox/{referral.id}")
    page = client_request.get(f"/inbox/{referral.id}")
    assert "Note added" in page.text() and "We tried to call at teatime" in page.text()
    (told,) = smtpd.to(link_worker.email)
    assert "added a note" in smtpd.body(told) and "teatime" not in smtpd.body(told)
    client_request.sign_out()

    client_request.sign_in(link_worker)
    empty = client_request.post(f"/referrals/{referral.id}/note", {"message": "  "},
                                form_url=f"/referrals/{referral.id}")
    assert empty.status == 302
    assert "Enter a note" in client_request.get(f"/referrals/{referral.id}").text()
    client_request.post(f"/referrals/{referral.id}/note", {"message": "Best after 2pm"},
                        form_url=f"/referrals/{referral.id}")
    timeline = client_request.get(f"/referrals/{referral.id}")
    headings = [h.get_text(strip=True) for h in timeline.select("ol.app-timeline h3")]
    assert headings[:2] == ["Note", "Note"] and "Best after 2pm" in timeline.text()
    assert len(smtpd.to(provider.email)) == 1

    db.session.expire_all()
    stored = db.session.get(type(referral), referral.id)
    assert stored.status is S.ACCEPTED and stored.version == version
    audits = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.note").order_by(AuditEvent.id)).all()
    assert [(a.actor_id, a.detail) for a in audits] == [(provider.id, {"actor_kind": "provider"}),
                                                         (link_worker.id, {"actor_kind": "team"})]
    assert all("2pm" not in str(a.detail) for a in audits)


def test_outsiders_cannot_add_notes(app_ctx: Any, client_request: ClientRequest) -> None:
    referral = make_referral(S.SENT)
    other_provider = factories.create_user(Role.PROVIDER)
    with pytest.raises(ops.ReferralError):
        ops.add_note(referral, other_provider, "Hello")
    client_request.sign_in(other_provider)
    token_page = client_request.get("/inbox/")
    response = client_request.client.post(f"/inbox/{referral.id}/note",
                                          data={"csrf_token": token_page.form_data("form")["csrf_token"]
                                                if token_page.select("form[method=post]") else "", "message": "x"})
    assert response.status_code in (400, 403)
    assert [e.action for e in referral.events].count("note") == 0
