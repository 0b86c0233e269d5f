"""The one place a referral's status changes: ``transition`` checks the table, records who/when/note as a
``ReferralEvent``, audits, tells both sides, and guards against two people acting at once with optimistic locking
(``Referral.version``). Operations never commit: the caller does, and after a ``TransitionError`` it rolls back.
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from ...extensions import db
from ...models import CloseOutcome, DeclineReason, Referral, ReferralEvent, User, utcnow
from ...wording import REFERRAL_STATUS_LABELS
from .. import audit
from .notices import tell_both_sides
from .states import ACTIONS, TRANSITIONS, Actor, ConflictError, ReferralError, S, TransitionError, actor_kind


def transition(
    referral: Referral,
    action: str,
    *,
    actor: Actor,
    note: str | None = None,
    reason: DeclineReason | None = None,
    outcome: CloseOutcome | None = None,
    expected_version: int,
) -> ReferralEvent:
    """Move the referral by ``action``, record who/when/note, and audit it; raise TransitionError if not allowed.

    :param expected_version: the ``version`` the actor saw; if the referral has moved on since, nothing
        changes and ConflictError says so. Two writers that loaded the same version race on the UPDATE's
        ``WHERE version = …``: the loser also gets ConflictError (and must roll back).
    """
    if referral.version != expected_version:
        raise ConflictError()
    step = TRANSITIONS.get((referral.status, action))
    if step is None:
        if action not in ACTIONS:
            raise TransitionError(f"“{action}” is not something that can be done to a referral.")
        raise TransitionError(
            f"This referral is {REFERRAL_STATUS_LABELS[referral.status].lower()}, so it cannot be {_past(action)} now."
        )
    kind = actor_kind(referral, actor)
    if kind is None or kind not in step.actors:
        raise TransitionError(f"You cannot {_verb(action)} this referral.")
    if step.needs_reason and not isinstance(reason, DeclineReason):
        raise TransitionError("Select why you are declining the referral.")
    if step.needs_outcome and not isinstance(outcome, CloseOutcome):
        raise TransitionError("Select the outcome of the referral.")
    if step.outcomes is not None and outcome not in step.outcomes:
        raise TransitionError("Select one of the outcomes offered.")
    note = (note or "").strip() or None

    now = utcnow()
    from_status = referral.status
    referral.status = step.to
    if step.to is S.SENT:
        referral.sent_at = now
    if step.to in (S.ACCEPTED, S.DECLINED):
        referral.responded_at = now
    if step.to is S.DECLINED:
        referral.decline_reason = reason
    if step.to in (S.CLOSED, S.WITHDRAWN, S.DECLINED, S.EXPIRED):
        referral.closed_at = now
    if step.to is S.CLOSED:
        referral.outcome = outcome
    user = actor if isinstance(actor, User) else None
    event = ReferralEvent(
        referral=referral, at=now, actor_id=user.id if user else None, actor_kind=kind.value, action=action,
        from_status=from_status, to_status=step.to, note=note,
    )
    db.session.add(event)
    # Never personal data in the audit log: it is kept longer than the referral and read by admins.
    audit.record(
        f"referral.{action}", "referral", referral.id, actor=user,
        actor_kind=kind.value, from_status=from_status.value, to_status=step.to.value,
        **({"decline_reason": reason.value} if reason else {}), **({"outcome": outcome.value} if outcome else {}),
    )
    flush_or_conflict()
    tell_both_sides(referral, action, from_status, user)
    return event


def flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError() from error


def _verb(action: str) -> str:
    return {"first_contact": "record first contact on", "engage": "record taking part on",
            "did_not_start": "record that the person did not start on"}.get(action, action)


def _past(action: str) -> str:
    return {
        "send": "sent", "accept": "accepted", "decline": "declined", "expire": "expired",
        "first_contact": "marked as contacted", "engage": "marked as taking part", "close": "closed",
        "withdraw": "withdrawn", "did_not_start": "closed as not started", "close_inactive": "closed",
    }.get(action, action)


def require_draft(referral: Referral, expected_version: int) -> None:
    if referral.version != expected_version:
        raise ConflictError()
    if referral.status is not S.DRAFT:
        raise ReferralError("This referral has already been sent, so it cannot be changed.")
