"""Nudges for unanswered referrals: remind the provider, then tell the link worker, then expire (a daily job)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ...extensions import db
from ...mail import email_link
from ...models import Referral, ReferralNudge, utcnow
from ...wording import format_date
from .. import audit
from .deadlines import working_days_before
from .notices import organisation_members, referring_link_workers, send_notice
from .states import SYSTEM, S
from .transitions import transition

NUDGE_PROVIDER = "provider_reminder"
NUDGE_LINK_WORKER = "link_worker_unanswered"


def _nudged(referral: Referral, kind: str) -> bool:
    return any(n.kind == kind for n in referral.nudges)


def _record_nudge(referral: Referral, kind: str, recipients: int) -> None:
    referral.nudges.append(ReferralNudge(kind=kind, sent_at=utcnow(), recipients=recipients))
    audit.record(f"referral.nudge.{kind}", "referral", referral.id, actor=None, recipients=recipients)


def chase_unanswered(now: datetime | None = None) -> dict[str, int]:
    """Remind the provider, then tell the link worker, then expire: each once, by working days since sending."""
    now = now or utcnow()
    config = current_app.config
    remind_before = working_days_before(now, int(config["REFERRAL_OVERDUE_WORKING_DAYS"]))
    escalate_before = working_days_before(now, int(config["REFERRAL_ESCALATE_WORKING_DAYS"]))
    expire_before = working_days_before(now, int(config["REFERRAL_EXPIRE_WORKING_DAYS"]))
    counts = {"reminded": 0, "escalated": 0, "expired": 0}
    due = db.session.scalars(db.select(Referral).where(
        Referral.status == S.SENT, Referral.sent_at <= remind_before).order_by(Referral.sent_at, Referral.id)).all()
    for referral in due:
        assert referral.sent_at is not None
        if referral.sent_at <= expire_before:
            transition(referral, "expire", actor=SYSTEM, expected_version=referral.version)  # tells the link worker
            counts["expired"] += 1
            continue
        if not _nudged(referral, NUDGE_PROVIDER):
            members = organisation_members(referral.organization_id)
            link = email_link("inbox.referral", referral_id=referral.id)
            for member in members:
                send_notice(member.email, f"Reminder: a referral to {referral.service.name} is waiting for a reply",
                       f"Hello {member.name},\n\nA link worker sent a referral to {referral.service.name} on "
                       f"{format_date(referral.sent_at)} and is waiting for your reply.\n\nSign in to accept or "
                       f"decline it:\n{link}\n")
            _record_nudge(referral, NUDGE_PROVIDER, len(members))
            counts["reminded"] += 1
        if referral.sent_at <= escalate_before and not _nudged(referral, NUDGE_LINK_WORKER):
            people = referring_link_workers(referral)
            link = email_link("referrals.timeline", referral_id=referral.id)
            for person in people:
                send_notice(person.email, f"No reply yet from {referral.service.name}",
                       f"Hello {person.name},\n\nA referral your team sent to {referral.service.name} on "
                       f"{format_date(referral.sent_at)} has had no reply from {referral.organization.name}. We "
                       f"have reminded them. You may want to contact them, or refer the person somewhere else.\n\n"
                       f"Sign in to see the referral:\n{link}\n")
            _record_nudge(referral, NUDGE_LINK_WORKER, len(people))
            counts["escalated"] += 1
        db.session.flush()
    return counts
