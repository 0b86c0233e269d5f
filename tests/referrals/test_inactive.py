"""An open referral nobody has touched for REFERRAL_INACTIVE_MONTHS is closed "no update" by a job, both sides
are told, and the normal retention then erases the person's details (issue 13, item 8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.jobs import _JOBS
from microdir.models import Role
from tests import factories
from tests.referrals.helpers import PERSON_NAME, S, make_referral

STARTED = datetime(2025, 1, 6, 10, 0)


def _at(moment: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(moment), tick=False)


def _run_job() -> str:
    result = _JOBS["referrals.close_inactive"]()
    db.session.commit()
    return result


def test_an_open_referral_with_no_activity_is_closed_no_update_and_then_erased(app_ctx: Any, smtpd: Any) -> None:
    service = factories.create_service(name="Tuesday Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    link_worker = factories.create_user(Role.LINK_WORKER)
    with time_machine.travel(STARTED, tick=False):
        referral = make_referral(S.ENGAGED, team_user=link_worker, service=service)
    smtpd.messages.clear()

    with _at("2025-07-05 09:00"):  # a day short of 6 months: still open
        assert _run_job() == "0 closed with no update"
    with _at("2025-07-07 09:00"):
        assert _run_job() == "1 closed with no update"
        assert _run_job() == "0 closed with no update"  # once only
    assert referral.status is S.CLOSED and referral.outcome is None
    assert referral.events[-1].action == "close_inactive" and referral.events[-1].actor_kind == "system"
    assert ops.ACTION_LABELS["close_inactive"] == "Closed: no update"
    assert [m["Subject"] for m in smtpd.to(link_worker.email)] == ["Referral to Tuesday Friends closed"]
    assert [m["Subject"] for m in smtpd.to(provider.email)] == ["Referral to Tuesday Friends closed"]
    assert "no update for 6 months" in smtpd.body(smtpd.to(provider.email)[0])

    with _at("2026-07-08 09:00"):  # the normal retention, counted from the closing
        assert ops.purge_expired_personal_data() == 1
        db.session.commit()
    assert referral.erased_at is not None and referral.person_name is None
    assert PERSON_NAME not in (referral.consent_wording or "")


def test_any_activity_keeps_a_referral_open(app_ctx: Any) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    with time_machine.travel(STARTED, tick=False):
        accepted = make_referral(S.ACCEPTED, team_user=link_worker)
        sent = make_referral(S.SENT, team_user=link_worker)  # unanswered ones expire instead (their own job)
    with _at("2025-06-01 09:00"):
        ops.add_note(accepted, link_worker, "Any news?")
        db.session.commit()
    with _at("2025-07-07 09:00"):
        assert _run_job() == "0 closed with no update"
    assert accepted.status is S.ACCEPTED and sent.status is S.SENT
    with _at("2025-12-02 09:00"):
        assert _run_job() == "1 closed with no update"
    assert accepted.status is S.CLOSED
