"""Retention and erasure: removing the person's details when they withdraw or when the retention period ends,
and closing referrals nobody has touched for months."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ...extensions import db
from ...models import OutboundEmail, Referral, ReferralEvent, ReferralStatus, User, utcnow
from .. import audit
from .consent import consent_template
from .deadlines import months_before
from .states import INACTIVE_CLOSABLE, PERSON, SYSTEM, ActorKind, available_actions
from .transitions import flush_or_conflict, transition


def erase_personal_data(referral: Referral, *, why: str) -> bool:
    """Remove the person's details, keeping anonymous facts (service, dates, needs, outcome, scores). Idempotent."""
    if referral.erased_at is not None:
        return False
    for name in ("person_name", "contact_method", "contact_details", "date_of_birth", "reasons_text",
                 "provider_notes", "receipt_sms_text"):
        setattr(referral, name, None)
    if referral.consent_wording:  # keep what was agreed; older rows may still hold the name
        referral.consent_wording = consent_template(referral.consent_wording, referral.person_name)
    for event in referral.events:
        event.note = None
    if referral.receipt_email_id is not None:
        message = db.session.get(OutboundEmail, referral.receipt_email_id)
        if message is not None and message.sent_at is None:
            db.session.delete(message)  # never sent: do not keep the address for a retry
        elif message is not None:
            message.to = message.body = None  # already erased when sent; never keep them
    referral.erased_at = utcnow()
    db.session.add(ReferralEvent(referral=referral, at=referral.erased_at, actor_kind=ActorKind.SYSTEM.value,
                                 action="erase", from_status=referral.status, to_status=referral.status))
    audit.record("referral.erase", "referral", referral.id, actor=None, why=why)
    flush_or_conflict()
    return True


def withdraw_by_person(referral: Referral) -> str:
    """The person changed their mind: stop the referral (telling both sides) and erase their details.

    Returns "withdrawn", "erased" (it had already ended: details removed) or "nothing" (already removed).
    """
    if referral.erased_at is not None:
        return "nothing"
    if "withdraw" in available_actions(referral, PERSON):
        transition(referral, "withdraw", actor=PERSON, note=None, expected_version=referral.version)
        erase_personal_data(referral, why="withdrawn by the person")
        return "withdrawn"
    erase_personal_data(referral, why="the person asked, after the referral ended")
    return "erased"


def withdraw_for_person(referral: Referral, actor: User, *, expected_version: int) -> ReferralEvent:
    """The person asked their link worker to withdraw: stop the referral (telling both sides) and erase their details.

    A withdrawal is always the person's wish (see TRANSITIONS), so it erases as the consent receipt's does.
    """
    event = transition(referral, "withdraw", actor=actor, expected_version=expected_version)
    erase_personal_data(referral, why="withdrawn by the link worker at the person's request")
    return event


def last_activity(referral: Referral) -> datetime:
    """Return when anyone last did anything on the referral: a step, a note, a wellbeing score."""
    moments = [referral.created_at, *(e.at for e in referral.events), *(s.recorded_at for s in referral.scores)]
    return max(m for m in moments if m is not None)


def close_inactive(now: datetime | None = None) -> int:
    """Close, as "no update", each open referral with no activity for REFERRAL_INACTIVE_MONTHS; return how many.

    Both sides are told (the transition does it). Closing starts the normal retention period.
    """
    now = now or utcnow()
    cutoff = months_before(now, int(current_app.config["REFERRAL_INACTIVE_MONTHS"]))
    recent = db.select(ReferralEvent.referral_id).where(ReferralEvent.at > cutoff)
    candidates = db.session.scalars(db.select(Referral).where(
        Referral.status.in_(INACTIVE_CLOSABLE), Referral.created_at <= cutoff, Referral.id.not_in(recent),
    ).order_by(Referral.id)).all()
    closed = 0
    for referral in candidates:
        if last_activity(referral) > cutoff:
            continue
        transition(referral, "close_inactive", actor=SYSTEM, expected_version=referral.version)
        closed += 1
    return closed


def purge_expired_personal_data(now: datetime | None = None) -> int:
    """Erase personal fields of referrals that ended longer ago than REFERRAL_RETENTION_MONTHS; return how many.

    A draft that was never sent counts from when it was started, so abandoned drafts do not keep details forever.
    """
    cutoff = months_before(now or utcnow(), int(current_app.config["REFERRAL_RETENTION_MONTHS"]))
    ended = db.and_(Referral.closed_at.is_not(None), Referral.closed_at <= cutoff)
    abandoned = db.and_(Referral.status == ReferralStatus.DRAFT, Referral.created_at <= cutoff)
    due = db.session.scalars(db.select(Referral).where(db.or_(ended, abandoned), Referral.erased_at.is_(None))).all()
    return sum(1 for referral in due if erase_personal_data(referral, why="retention period ended"))
