"""Retention: personal fields erased a configurable time after a referral ends; anonymous facts kept; idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import time_machine

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.jobs import _JOBS
from microdir.models import AuditEvent, CloseOutcome, Referral
from tests.referrals.helpers import S, make_referral


def _purge() -> str:
    result = _JOBS["referrals.retention_purge"]()
    db.session.commit()
    return result


def test_personal_fields_are_erased_twelve_months_after_closing(app_ctx: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 10, 9, 0), tick=False):
        closed = make_referral(S.CLOSED)
        ops.record_scores(closed, closed.created_by, "ons4", "referral",
                          {"life_satisfaction": 4, "worthwhile": 5, "happiness": 6, "anxiety": 8})
        declined = make_referral(S.DECLINED)
        db.session.commit()
    with time_machine.travel(datetime(2026, 6, 1, 9, 0), tick=False):
        active = make_referral(S.ENGAGED)

    with time_machine.travel(datetime(2027, 1, 10, 8, 59), tick=False):
        assert _purge() == "0 erased"
    with time_machine.travel(datetime(2027, 1, 10, 9, 0), tick=False):
        assert _purge() == "2 erased"
        assert _purge() == "0 erased"

    db.session.expire_all()
    for referral_id in (closed.id, declined.id):
        stored = db.session.get(Referral, referral_id)
        assert stored.erased_at == datetime(2027, 1, 10, 9, 0)
        assert (stored.person_name, stored.contact_method, stored.contact_details, stored.reasons_text,
                stored.provider_notes) == (None, None, None, None, None)
        assert all(e.note is None for e in stored.events)
        assert stored.needs == ["loneliness"] and stored.sent_at is not None and stored.closed_at is not None
    kept = db.session.get(Referral, closed.id)
    assert kept.outcome is CloseOutcome.COMPLETED and kept.scores[0].items["anxiety"] == 8
    assert db.session.get(Referral, active.id).person_name is not None
    audits = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.erase")).all()
    assert sorted(a.object_id for a in audits) == sorted([closed.id, declined.id])


def test_the_retention_period_is_configurable(app_ctx: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 15, 9, 0), tick=False):
        closed = make_referral(S.CLOSED)
    saved = app_ctx.config["REFERRAL_RETENTION_MONTHS"]
    app_ctx.config["REFERRAL_RETENTION_MONTHS"] = 1
    try:
        with time_machine.travel(datetime(2026, 2, 15, 8, 59), tick=False):
            assert _purge() == "0 erased"
        with time_machine.travel(datetime(2026, 2, 15, 9, 0), tick=False):  # one month after closing
            assert _purge() == "1 erased"
    finally:
        app_ctx.config["REFERRAL_RETENTION_MONTHS"] = saved
    assert db.session.get(Referral, closed.id).person_name is None


def test_a_draft_never_sent_is_erased_a_retention_period_after_it_was_started(app_ctx: Any) -> None:
    with time_machine.travel(datetime(2026, 1, 10, 9, 0), tick=False):
        abandoned = make_referral(S.DRAFT)
    with time_machine.travel(datetime(2026, 12, 1, 9, 0), tick=False):
        recent = make_referral(S.DRAFT)

    with time_machine.travel(datetime(2027, 1, 10, 9, 0), tick=False):
        assert _purge() == "1 erased"

    db.session.expire_all()
    assert db.session.get(Referral, abandoned.id).person_name is None
    assert db.session.get(Referral, recent.id).person_name is not None
