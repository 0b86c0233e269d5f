"""Wellbeing scores at referral, follow-up and close, and the link worker's follow-up date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ...extensions import db
from ...models import Referral, User, WellbeingScore, utcnow
from .. import audit, outcomes
from .states import FOLLOW_UP_STATUSES, ActorKind, ConflictError, ReferralError, actor_kind
from .transitions import flush_or_conflict

STAGES = ("referral", "follow_up", "close")  # baseline; the link worker's follow-up; the provider's at close


def record_scores(
    referral: Referral, actor: User, scale_code: str, stage: str, answers: Mapping[str, Any]
) -> WellbeingScore:
    """Validate and store wellbeing answers for a stage ("referral" or "close"), replacing earlier ones."""
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}")
    scale = outcomes.get_scale(scale_code)
    scores = outcomes.validate_scores(scale, answers)
    for old in [s for s in referral.scores if s.scale == scale_code and s.stage == stage]:
        referral.scores.remove(old)
    score = WellbeingScore(scale=scale_code, stage=stage, items=scores, total=outcomes.total(scale, scores),
                           recorded_by_id=actor.id)
    referral.scores.append(score)
    audit.record("referral.record_scores", "referral", referral.id, actor=actor, scale=scale_code, stage=stage)
    db.session.flush()
    return score


def set_follow_up(referral: Referral, user: User, on: date, *, expected_version: int) -> None:
    """Set when the link worker asks the wellbeing questions again (the caseload reminds them on the day)."""
    if referral.version != expected_version:
        raise ConflictError()
    if actor_kind(referral, user) is not ActorKind.TEAM or referral.status not in FOLLOW_UP_STATUSES:
        raise ReferralError("You cannot set a follow-up date on this referral.")
    if on < utcnow().date():
        raise ReferralError("Follow-up date must be today or in the future")
    referral.follow_up_on = on
    audit.record("referral.follow_up_date", "referral", referral.id, actor=user, on=on.isoformat())
    flush_or_conflict()


def count_follow_ups_due(team_id: str, today: date) -> int:
    """How many of the team's open referrals have a follow-up due by ``today`` and no follow-up scores yet."""
    due = db.session.scalars(db.select(Referral).where(
        Referral.team_id == team_id, Referral.status.in_(FOLLOW_UP_STATUSES),
        Referral.follow_up_on.is_not(None), Referral.follow_up_on <= today))
    return sum(1 for r in due if not has_follow_up_scores(r))


def scores_at(referral: Referral, scale_code: str, stage: str) -> WellbeingScore | None:
    return next((s for s in referral.scores if s.scale == scale_code and s.stage == stage), None)


def has_follow_up_scores(referral: Referral) -> bool:
    """True once follow-up scores are recorded on any scale the follow-up offers: the follow-up is done."""
    return any(s.stage == "follow_up" for s in referral.scores)


def follow_up_scales(referral: Referral) -> list[tuple[outcomes.Scale, WellbeingScore | None]]:
    """Return every scale the follow-up offers (ONS4, then OUTCOME_SCALES), each with its follow-up scores if any."""
    return [(scale, scores_at(referral, code, "follow_up")) for code, scale in outcomes.scales().items()]


def wellbeing_change(referral: Referral, scale_code: str = "ons4") -> list[outcomes.ItemChange]:
    """Return the per-item change between referral and the latest later scores (follow-up or close)."""
    before = scores_at(referral, scale_code, "referral")
    later = [s for s in (scores_at(referral, scale_code, "follow_up"), scores_at(referral, scale_code, "close")) if s]
    after = max(later, key=lambda s: (s.recorded_at, s.id or 0)) if later else None
    if before is None or after is None:
        return []
    return outcomes.change(outcomes.get_scale(scale_code), before.items, after.items)
