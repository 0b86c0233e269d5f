"""A link worker's caseload: each referral's next action and when it is due, from the referral rules.

The rules are the working-day settings the jobs use (REFERRAL_OVERDUE/ESCALATE/EXPIRE_WORKING_DAYS) and the
follow-up date the link worker sets for the follow-up wellbeing scores. Nothing here changes a referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_

from ..extensions import db
from ..models import Referral, ReferralEvent, ReferralStatus, utcnow
from ..wording import format_date
from . import referrals as ops

S = ReferralStatus

SORTS = {
    "due": "Next action due",
    "sent": "Date sent",
    "activity": "Last activity",
    "status": "Status",
    "service": "Service",
}


@dataclass(frozen=True)
class NextAction:
    text: str  # what happens next, in plain words
    due: date | None  # when it is due, if the rules give a date
    mine: bool  # True when the link worker (the team) is the one to act


@dataclass(frozen=True)
class CaseloadRow:
    referral: Referral
    last_activity: datetime
    next_action: NextAction
    overdue: bool


def working_days_after(moment: datetime, days: int, region: str | None = None) -> date:
    """Return the date ``days`` working days after ``moment`` (weekends and bank holidays skipped)."""
    region = current_app.config["BANK_HOLIDAYS_REGION"] if region is None else region
    current = moment.date()
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if ops.is_working_day(current, region):
            remaining -= 1
    return current


def next_action(referral: Referral, today: date | None = None) -> NextAction:
    """Return the next action on ``referral`` and its due date, from the referral rules."""
    config = current_app.config
    today = today or utcnow().date()
    status = referral.status
    if status is S.DRAFT:
        return NextAction("Finish the referral and send it", None, True)
    if status is S.SENT and referral.sent_at is not None:
        reply_due = working_days_after(referral.sent_at, int(config["REFERRAL_OVERDUE_WORKING_DAYS"]))
        if today <= reply_due:
            return NextAction("Provider accepts or declines", reply_due, False)
        expires = working_days_after(referral.sent_at, int(config["REFERRAL_EXPIRE_WORKING_DAYS"]))
        # Due is when the reply was due, so the row shows as overdue; the text says when it will expire.
        return NextAction(f"Chase the provider: no reply yet (expires {format_date(expires)})", reply_due, True)
    follow_up = referral.follow_up_on
    follow_up_waiting = follow_up is not None and status in ops.FOLLOW_UP_STATUSES \
        and not ops.has_follow_up_scores(referral)
    if follow_up is not None and follow_up_waiting and (follow_up <= today or status in (S.ENGAGED, S.CLOSED)):
        return NextAction("Record follow-up wellbeing scores", follow_up, follow_up <= today)
    if status is S.ACCEPTED:
        return NextAction("Provider makes first contact", None, False)
    if status is S.FIRST_CONTACT:
        return NextAction("Provider records whether they are taking part", None, False)
    if status is S.ENGAGED:
        return NextAction("Close when they finish", None, False)
    if status in (S.DECLINED, S.EXPIRED):
        return NextAction("Consider referring them somewhere else", None, False)
    return NextAction("Nothing: this referral has ended", None, False)


def is_overdue(action: NextAction, today: date | None = None) -> bool:
    return action.due is not None and action.due < (today or utcnow().date())


def _last_activity(referral_ids: list[str]) -> dict[str, datetime]:
    if not referral_ids:
        return {}
    rows = db.session.execute(
        db.select(ReferralEvent.referral_id, func.max(ReferralEvent.at))
        .where(ReferralEvent.referral_id.in_(referral_ids))
        .group_by(ReferralEvent.referral_id)
    )
    return {referral_id: at for referral_id, at in rows}


def caseload_rows(
    team_id: str,
    *,
    status: ReferralStatus | None = None,
    needs_my_action: bool = False,
    reference: str | None = None,
    sort: str = "due",
    today: date | None = None,
) -> list[CaseloadRow]:
    """Return the team's referrals as caseload rows, filtered and sorted."""
    today = today or utcnow().date()
    query = db.select(Referral).where(Referral.team_id == team_id)
    if status is not None:
        query = query.where(Referral.status == status)
    if reference:
        wanted = ops.normalise_reference(reference)
        query = query.where(or_(Referral.reference == wanted, Referral.reference.contains(wanted.removeprefix("MD-"))))
    referrals = list(db.session.scalars(query.order_by(Referral.created_at.desc(), Referral.id)))
    activity = _last_activity([r.id for r in referrals])
    rows = []
    for referral in referrals:
        action = next_action(referral, today)
        if needs_my_action and not action.mine:
            continue
        rows.append(CaseloadRow(referral, activity.get(referral.id, referral.created_at), action,
                                is_overdue(action, today)))
    far = date.max
    keys = {
        "due": lambda r: (not r.next_action.mine, r.next_action.due or far, r.referral.reference),
        "sent": lambda r: (r.referral.sent_at is None, -(r.referral.sent_at or datetime.min).timestamp()
                           if r.referral.sent_at else 0, r.referral.reference),
        "activity": lambda r: (-r.last_activity.timestamp(), r.referral.reference),
        "status": lambda r: (list(S).index(r.referral.status), r.referral.reference),
        "service": lambda r: (r.referral.service.name.lower(), r.referral.reference),
    }
    rows.sort(key=keys.get(sort, keys["due"]))
    return rows


def count_needing_action(team_id: str, now: datetime | None = None) -> int:
    """How many of the team's referrals wait for the team: drafts, unanswered past the reply time, follow-ups due.

    Count queries only (for the navigation on every page).
    """
    now = now or utcnow()
    drafts_and_chases = db.session.scalar(
        db.select(func.count()).select_from(Referral).where(
            Referral.team_id == team_id,
            or_(Referral.status == S.DRAFT, (Referral.status == S.SENT) & (Referral.sent_at < ops.overdue_cutoff(now))),
        )
    ) or 0
    return int(drafts_and_chases) + ops.count_follow_ups_due(team_id, now.date())


def other_referrals_for_person(referral: Referral) -> list[Referral]:
    """The same person's other referrals in the same team, matched in memory by the details they gave.

    The personal fields are encrypted, so they cannot be matched in SQL: the team's referrals are decrypted in
    memory and compared by name plus date of birth or contact details (both normalised). Nothing is stored.
    """
    if referral.erased_at is not None or not referral.person_name:
        return []

    def key(r: Referral) -> tuple[str, str]:
        return (" ".join((r.person_name or "").lower().split()), "")

    name = key(referral)[0]
    contact = "".join((referral.contact_details or "").lower().split())
    others = db.session.scalars(
        db.select(Referral).where(Referral.team_id == referral.team_id, Referral.id != referral.id,
                                  Referral.erased_at.is_(None))
        .order_by(Referral.created_at.desc())
    )
    matches = []
    for other in others:
        if key(other)[0] != name:
            continue
        same_birth = referral.date_of_birth is not None and other.date_of_birth == referral.date_of_birth
        other_contact = "".join((other.contact_details or "").lower().split())
        same_contact = bool(contact) and other_contact == contact
        if same_birth or same_contact:
            matches.append(other)
    return matches
