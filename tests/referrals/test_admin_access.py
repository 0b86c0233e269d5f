"""Admins see a referral's personal data only after giving a reason (audited, time-limited, this session only);
subject access exports by reference or by name and date of birth, as JSON and a printable page, each audited."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.models import AuditEvent, Role
from microdir.permissions import can
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral

DOB = date(1948, 3, 27)
REASON = "Complaint C-2026-114 from the person's daughter"


def _audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_an_admin_sees_a_referral_only_under_an_audited_reason_for_a_while(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.SENT)
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    assert not can(admin, "referral.view", referral)

    found = client_request.get(f"/admin/referrals/?reference={referral.reference.lower()}", expected_status=302)
    assert found.response.headers["Location"].endswith(f"/admin/referrals/{referral.id}/access")
    missing = client_request.get("/admin/referrals/?reference=MD-2222-2222")
    assert "There is no referral with that reference number" in missing.text()
    # Straight to the referral: sent to the reason form first, nothing shown.
    redirect = client_request.get(f"/admin/referrals/{referral.id}", expected_status=302)
    assert redirect.response.headers["Location"].endswith("/access")

    page = client_request.post(f"/admin/referrals/{referral.id}/access", {"reason": ""}, expected_status=200)
    assert page.error_summary() == ["Enter why you need to see this referral"]
    page = client_request.post(f"/admin/referrals/{referral.id}/access", {"reason": "because"}, expected_status=200)
    assert page.error_summary() == ["Give a reason of 10 to 1000 characters"]
    assert _audits("referral.admin_access") == []

    start = datetime.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        client_request.post(f"/admin/referrals/{referral.id}/access", {"reason": REASON})
        view = client_request.get(f"/admin/referrals/{referral.id}")
        assert PERSON_NAME in view.text()
    (granted,) = _audits("referral.admin_access")
    assert (granted.actor_id, granted.reason, granted.object_id) == (admin.id, REASON, referral.id)
    views = [a for a in _audits("referral.view_personal_data") if a.detail.get("page") == "admin"]
    assert [(v.actor_id, v.object_id) for v in views] == [(admin.id, referral.id)]
    # Admins read; they never act on a referral, with or without a reason.
    client_request.get(f"/referrals/{referral.id}", expected_status=403)
    client_request.get(f"/inbox/{referral.id}", expected_status=403)

    with time_machine.travel(start + timedelta(minutes=31), tick=False):  # REFERRAL_ADMIN_ACCESS_MINUTES = 30
        client_request.get(f"/admin/referrals/{referral.id}", expected_status=302)

    # Another referral is not opened by this reason; another session (another browser) has no reason at all.
    other = make_referral(S.SENT)
    client_request.get(f"/admin/referrals/{other.id}", expected_status=302)
    elsewhere = ClientRequest(app_ctx)
    elsewhere.sign_in(admin)
    elsewhere.get(f"/admin/referrals/{referral.id}", expected_status=302)


def test_moderators_and_commissioners_never_reach_the_admin_referral_pages(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.SENT)
    for role in (Role.MODERATOR, Role.COMMISSIONER, Role.LINK_WORKER, Role.PROVIDER):
        client_request.sign_in(factories.create_user(role))
        for url in ("/admin/referrals/", f"/admin/referrals/{referral.id}", f"/admin/referrals/{referral.id}/access",
                    "/admin/referrals/subject-access"):
            page = client_request.get(url, expected_status=403)
            assert PERSON_NAME not in page.text()
        client_request.sign_out()


def test_subject_access_by_name_and_date_of_birth_as_a_page_and_as_json(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    first = make_referral(S.CLOSED, date_of_birth=DOB)
    second = make_referral(S.SENT, date_of_birth=DOB, person_name="winifred  OYELARAN-bassey")
    make_referral(S.SENT, date_of_birth=date(1950, 1, 1))  # same name, another person
    make_referral(S.SENT, date_of_birth=DOB, person_name="Someone Else")
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    url = "/admin/referrals/subject-access"

    page = client_request.post(url, {"reason": REASON}, expected_status=200)
    assert page.error_summary() == ["Enter a reference number, or the person’s full name and date of birth"]
    page = client_request.post(url, {"person_name": PERSON_NAME}, expected_status=200)
    assert "Enter why you are making this export" in page.error_summary()
    assert _audits("referral.subject_access_export") == []

    by_name = {"reason": REASON, "person_name": PERSON_NAME, "date_of_birth": ["27", "3", "1948"]}
    page = client_request.post(url, {**by_name, "format": "page"}, expected_status=200)
    assert page.h1 == "What we hold about this person"
    assert {h.get_text(strip=True) for h in page.select("h2")} >= {f"Referral {first.reference}",
                                                                   f"Referral {second.reference}"}
    assert "07700 900982" in page.text() and "Uses a walking frame" in page.text()

    form = client_request.get(url).form_data()
    response = client_request.client.post(url, data={**form, **by_name, "format": "json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    export = json.loads(response.get_data(as_text=True))
    assert sorted(r["reference"] for r in export["referrals"]) == sorted([first.reference, second.reference])
    record = next(r for r in export["referrals"] if r["reference"] == first.reference)
    assert record["date_of_birth"] == "1948-03-27" and record["outcome"] == "Completed"
    assert [h["what"] for h in record["history"]][:2] == ["Draft started", "Sent"]
    assert record["consent"]["wording_version"] == "2026-2"

    audits = _audits("referral.subject_access_export")
    assert [(a.actor_id, a.reason, a.detail["format"], a.detail["found_by"]) for a in audits] == [
        (admin.id, REASON, "page", "name and date of birth"), (admin.id, REASON, "json", "name and date of birth")]
    assert sorted(audits[0].detail["referral_ids"]) == sorted([first.id, second.id])
    assert all(PERSON_NAME not in json.dumps(a.detail) for a in audits)


def test_subject_access_by_reference_and_when_nothing_matches(app_ctx: Any, client_request: ClientRequest) -> None:
    referral = make_referral(S.SENT)
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.post("/admin/referrals/subject-access",
                               {"reason": REASON, "reference": referral.reference, "format": "page"},
                               expected_status=200)
    assert f"Referral {referral.reference}" in page.text() and PERSON_NAME in page.text()
    page = client_request.post("/admin/referrals/subject-access",
                               {"reason": REASON, "reference": "MD-2222-2222", "format": "page"},
                               expected_status=200)
    assert "We hold no referrals that match" in page.text()
    assert len(_audits("referral.subject_access_export")) == 2
