"""Unanswered referrals: reminder after 5 working days, the link worker told after 10, expired after 14.
Frozen time, real SMTP; running the job again sends nothing new."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.jobs import _JOBS
from microdir.models import Referral, ReferralNudge, Role
from tests import factories
from tests.referrals.helpers import S, make_referral

SENT_ON = datetime(2026, 11, 2, 9, 0)  # a Monday


def _run_job() -> str:
    result = _JOBS["referrals.chase_unanswered"]()
    db.session.commit()
    return result


def _at(moment: str) -> Any:
    return time_machine.travel(datetime.fromisoformat(moment), tick=False)


def _setup() -> tuple[Referral, Any, Any]:
    service = factories.create_service(name="Tuesday Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    link_worker = factories.create_user(Role.LINK_WORKER)
    with time_machine.travel(SENT_ON, tick=False):
        referral = make_referral(S.SENT, team_user=link_worker, service=service)
    return referral, provider, link_worker


def test_the_nudge_schedule_by_working_days_once_each(app_ctx: Any, smtpd: Any) -> None:
    referral, provider, link_worker = _setup()
    subjects = lambda who: [m["Subject"] for m in smtpd.to(who.email)]  # noqa: E731

    with _at("2026-11-06 17:00"):  # Friday: 4 working days
        assert _run_job() == "0 reminded, 0 escalated, 0 expired"
    assert smtpd.messages == []

    with _at("2026-11-09 09:00"):  # Monday: 5 working days (the weekend does not count)
        assert _run_job() == "1 reminded, 0 escalated, 0 expired"
        _run_job()
    assert subjects(provider) == ["Reminder: a referral to Tuesday Friends is waiting for a reply"]
    assert "2 November 2026" in smtpd.body(smtpd.to(provider.email)[0])
    assert subjects(link_worker) == []

    with _at("2026-11-16 09:00"):  # 10 working days
        assert _run_job() == "0 reminded, 1 escalated, 0 expired"
        assert _run_job() == "0 reminded, 0 escalated, 0 expired"
    assert subjects(link_worker) == ["No reply yet from Tuesday Friends"]
    assert len(subjects(provider)) == 1

    with _at("2026-11-19 17:00"):  # 13 working days
        _run_job()
        assert db.session.get(Referral, referral.id).status is S.SENT

    with _at("2026-11-20 09:00"):  # 14 working days
        assert _run_job() == "0 reminded, 0 escalated, 1 expired"
        assert _run_job() == "0 reminded, 0 escalated, 0 expired"
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    assert stored.status is S.EXPIRED
    assert (stored.events[-1].action, stored.events[-1].actor_kind) == ("expire", "system")
    assert subjects(link_worker) == ["No reply yet from Tuesday Friends", "Referral to Tuesday Friends expired"]
    assert sorted(n.kind for n in db.session.scalars(db.select(ReferralNudge))) == [
        "link_worker_unanswered", "provider_reminder"]
    for message in smtpd.messages:
        assert "Winifred" not in smtpd.body(message) and stored.reference not in smtpd.body(message)


def test_an_answered_referral_is_not_chased(app_ctx: Any, smtpd: Any) -> None:
    referral, provider, _ = _setup()
    from tests.referrals.helpers import advance

    with _at("2026-11-03 09:00"):
        advance(referral, "accept", referral.created_by)
        db.session.commit()
    smtpd.messages.clear()
    with _at("2026-12-01 09:00"):
        assert _run_job() == "0 reminded, 0 escalated, 0 expired"
    assert smtpd.to(provider.email) == []


def test_the_numbers_are_configurable(app_ctx: Any, smtpd: Any) -> None:
    referral, provider, link_worker = _setup()
    saved = {k: app_ctx.config[k] for k in ("REFERRAL_OVERDUE_WORKING_DAYS", "REFERRAL_ESCALATE_WORKING_DAYS",
                                             "REFERRAL_EXPIRE_WORKING_DAYS")}
    app_ctx.config.update(REFERRAL_OVERDUE_WORKING_DAYS=1, REFERRAL_ESCALATE_WORKING_DAYS=2,
                          REFERRAL_EXPIRE_WORKING_DAYS=3)
    try:
        with _at("2026-11-04 10:00"):  # 2 working days: reminded and escalated at once
            assert _run_job() == "1 reminded, 1 escalated, 0 expired"
        with _at("2026-11-05 10:00"):
            assert _run_job() == "0 reminded, 0 escalated, 1 expired"
    finally:
        app_ctx.config.update(saved)
    assert len(smtpd.to(provider.email)) == 1 and len(smtpd.to(link_worker.email)) == 2


def test_flask_jobs_run_due_runs_the_referral_jobs(app_ctx: Any, cli_runner: Any, smtpd: Any) -> None:
    referral, provider, _ = _setup()
    with _at("2026-11-09 09:00"):
        first = cli_runner.invoke(args=["jobs", "run-due"])
        second = cli_runner.invoke(args=["jobs", "run-due"])
    assert "referrals.chase_unanswered: 1 reminded, 0 escalated, 0 expired" in first.output
    assert "referrals.chase_unanswered: 0 reminded, 0 escalated, 0 expired" in second.output
    assert "referrals.retention_purge: 0 erased" in first.output
    assert len(smtpd.to(provider.email)) == 1


def test_bank_holidays_are_not_working_days(app_ctx: Any, smtpd: Any) -> None:
    service = factories.create_service(name="Christmas Lunch Club")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    link_worker = factories.create_user(Role.LINK_WORKER)
    with _at("2026-12-18 09:00"):  # a Friday; in England 25 and 28 December 2026 are bank holidays
        make_referral(S.SENT, team_user=link_worker, service=service)

    with _at("2026-12-28 17:00"):  # Mon 21 – Thu 24: 4 working days, Christmas and Boxing Day (observed) skipped
        assert _run_job() == "0 reminded, 0 escalated, 0 expired"
    assert smtpd.to(provider.email) == []
    with _at("2026-12-29 09:00"):  # Tuesday 29th: the fifth working day
        assert _run_job() == "1 reminded, 0 escalated, 0 expired"
    assert len(smtpd.to(provider.email)) == 1


def test_without_a_bank_holiday_region_only_weekends_are_skipped(app_ctx: Any, smtpd: Any) -> None:
    service = factories.create_service(name="Christmas Lunch Club")
    provider = factories.create_user(Role.PROVIDER, organizations=[service.organization])
    with _at("2026-12-18 09:00"):
        make_referral(S.SENT, team_user=factories.create_user(Role.LINK_WORKER), service=service)
    app_ctx.config["BANK_HOLIDAYS_REGION"] = ""
    try:
        with _at("2026-12-25 09:00"):  # Mon 21 – Fri 25: five weekdays
            assert _run_job() == "1 reminded, 0 escalated, 0 expired"
    finally:
        app_ctx.config["BANK_HOLIDAYS_REGION"] = "ENG"
    assert len(smtpd.to(provider.email)) == 1
