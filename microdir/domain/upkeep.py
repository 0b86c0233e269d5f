"""Keeping listings right over time: chasing listings nobody has confirmed, the one-click "still right" link,
quality checks that expire, and deleting archived listings for good.

Every operation here is idempotent: what was sent or done is a row (``models/upkeep.py``), unique per listing
or check and period, so running a job again sends nothing twice. Jobs in ``microdir/jobs/listings.py`` call
these; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..mail import email_link, send_email
from ..models import (
    CapacityStatus,
    ChaseStage,
    ListingHold,
    ListingReminder,
    ListingRevision,
    ListingStatus,
    ProblemReport,
    QualityCheck,
    QualityCheckNotice,
    QualityCheckNoticeKind,
    Referral,
    Service,
    VerifiedHow,
    record_change,
    utcnow,
)
from ..signed_links import LinkInvalid, LinkPurpose, make_link_token, read_link_token
from ..wording import format_date
from . import audit
from .listings import last_confirmed_at, last_confirmed_sql
from .moderation import member_emails

REMINDER_STAGES = frozenset({ChaseStage.FIRST_REMINDER, ChaseStage.SECOND_REMINDER, ChaseStage.HIDDEN})


# ---- stale-listing chasing ---------------------------------------------------------------------------------------

def chase_schedule() -> list[tuple[ChaseStage, int]]:
    """Each stage and the days since the last confirmation after which it is due, from the config."""
    config = current_app.config
    return [
        (ChaseStage.FIRST_REMINDER, int(config["LISTING_FIRST_REMINDER_DAYS"])),
        (ChaseStage.SECOND_REMINDER, int(config["LISTING_SECOND_REMINDER_DAYS"])),
        (ChaseStage.ESCALATED, int(config["LISTING_ESCALATION_DAYS"])),
        (ChaseStage.HIDDEN, int(config["STALE_HIDE_DAYS"])),
    ]


def due_stage(service: Service, now: datetime) -> ChaseStage | None:
    """Return the furthest chasing stage the listing has reached, or None while it is fresh."""
    age = now - last_confirmed_at(service)
    reached = [stage for stage, days in chase_schedule() if age > timedelta(days=days)]
    return reached[-1] if reached else None


def _reminder_for(service: Service, stage: ChaseStage, checked_at: datetime) -> ListingReminder | None:
    return db.session.scalar(
        select(ListingReminder).where(
            ListingReminder.service_id == service.id,
            ListingReminder.stage == stage,
            ListingReminder.checked_at == checked_at,
        )
    )


def confirm_link(reminder: ListingReminder) -> str:
    token = make_link_token(LinkPurpose.CONFIRM_LISTING, {"reminder": reminder.id})
    return email_link("upkeep.confirm", token=token)


def _link_expiry(reminder: ListingReminder) -> datetime:
    return reminder.created_at + timedelta(seconds=int(current_app.config["LISTING_CONFIRM_LINK_MAX_AGE"]))


def _send_reminder(service: Service, reminder: ListingReminder) -> int:
    """Email the organisation's members a reminder with the one-click link; return how many were sent."""
    name, site = service.name, current_app.config["SERVICE_NAME"]
    since = format_date(reminder.checked_at)
    if reminder.stage is ChaseStage.HIDDEN:
        subject = f"Your listing {name} is hidden until you confirm it"
        opening = (f"Nobody has confirmed that your listing “{name}” on {site} is still right since {since}, "
                   "so residents and link workers cannot find it in search any more.")
    else:
        subject = f"Is your listing {name} still right?"
        opening = f"Nobody has confirmed that your listing “{name}” on {site} is still right since {since}."
    body = (
        f"Hello,\n\n{opening}\n\n"
        "If nothing has changed, confirm it with one click. You do not need your password, and you can say how "
        f"many places you have at the same time:\n{confirm_link(reminder)}\n\n"
        "If something has changed, the same page takes you to change your listing.\n\n"
        f"The link works once, until {format_date(_link_expiry(reminder))}.\n"
    )
    addresses = member_emails(service.organization)
    for address in addresses:
        send_email(address, subject, body, secret=True)  # the link acts without a password: not kept after sending
    return len(addresses)


@dataclass
class ChaseOutcome:
    reminders: int = 0
    escalated: int = 0
    hidden: int = 0

    def __str__(self) -> str:
        return f"{self.reminders} reminded, {self.escalated} escalated, {self.hidden} hidden"


def chase_stale_listings(now: datetime | None = None) -> ChaseOutcome:
    """Take each published listing nobody has confirmed to its due chasing stage, once per stage and period.

    Only the furthest stage due is acted on: a listing found at 10 months gets the second reminder, not both.
    """
    return _chase(now or utcnow(), frozenset(ChaseStage))


def hide_stale_listings(now: datetime | None = None) -> int:
    """Hide each published listing that passed STALE_HIDE_DAYS with time alone, once per period; return how many.

    Nothing in a listing's rows changes when it goes stale, so the change-log row written here is what tells every
    node's search index to drop it. The chase job does this in its round; ``flask index update`` and ``follow``
    call it too, so an index catches up without waiting for the job.
    """
    return _chase(now or utcnow(), frozenset({ChaseStage.HIDDEN})).hidden


def _chase(now: datetime, stages: frozenset[ChaseStage]) -> ChaseOutcome:
    first_days = min(days for _, days in chase_schedule())
    services = db.session.scalars(
        select(Service)
        .where(Service.listing_status == ListingStatus.PUBLISHED, last_confirmed_sql() < now - timedelta(days=first_days))
        .order_by(Service.id)
    ).all()
    outcome = ChaseOutcome()
    for service in services:
        stage = due_stage(service, now)
        checked_at = last_confirmed_at(service)
        if stage is None or stage not in stages or _reminder_for(service, stage, checked_at) is not None:
            continue
        reminder = ListingReminder(service_id=service.id, stage=stage, checked_at=checked_at, created_at=now)
        db.session.add(reminder)
        db.session.flush()
        if stage in REMINDER_STAGES:
            reminder.recipients = _send_reminder(service, reminder)
            outcome.reminders += 1
        if stage is ChaseStage.ESCALATED:
            outcome.escalated += 1
        if stage is ChaseStage.HIDDEN:
            # The listing's row has not changed, only the clock: tell the search index through the change log.
            record_change(service.id, at=now)
            outcome.hidden += 1
        audit.record(f"listing.chase.{stage.value}", "service", service.id, reminder_id=reminder.id,
                     recipients=reminder.recipients, last_confirmed=checked_at.isoformat())
    db.session.flush()
    return outcome


def escalated_listings() -> list[tuple[Service, ListingReminder]]:
    """Published listings a moderator should follow up: escalated (or hidden) and not confirmed since."""
    rows = db.session.execute(
        select(Service, ListingReminder)
        .join(ListingReminder, ListingReminder.service_id == Service.id)
        .where(
            Service.listing_status == ListingStatus.PUBLISHED,
            ListingReminder.stage.in_([ChaseStage.ESCALATED, ChaseStage.HIDDEN]),
            ListingReminder.checked_at == last_confirmed_sql(),
        )
        .order_by(ListingReminder.created_at)
    ).all()
    seen: dict[str, tuple[Service, ListingReminder]] = {}
    for service, reminder in rows:
        seen.setdefault(service.id, (service, reminder))  # the earliest: how long it has waited
    return list(seen.values())


# ---- the one-click "still right" link ----------------------------------------------------------------------------

class ConfirmLinkError(Exception):
    """The link cannot be used; the message says why, for the person who clicked it."""


class ConfirmLinkUsed(ConfirmLinkError):
    pass


class ConfirmLinkExpired(ConfirmLinkError):
    pass


def reminder_from_token(token: str) -> ListingReminder:
    """Return the reminder a "still right" link was made for, if it may still be used."""
    max_age = int(current_app.config["LISTING_CONFIRM_LINK_MAX_AGE"])
    try:
        payload = read_link_token(LinkPurpose.CONFIRM_LISTING, token, max_age)
    except LinkInvalid as error:
        # LinkExpired is a LinkInvalid; say which, because "ask for a new link" is what the person needs.
        from ..signed_links import LinkExpired

        if isinstance(error, LinkExpired):
            raise ConfirmLinkExpired("This link has expired.") from error
        raise ConfirmLinkError("This link is not right.") from error
    reminder_id = payload.get("reminder")
    reminder = db.session.get(ListingReminder, reminder_id) if isinstance(reminder_id, str) else None
    if reminder is None or reminder.service is None:
        raise ConfirmLinkError("This link is not right.")
    if utcnow() > _link_expiry(reminder):
        raise ConfirmLinkExpired("This link has expired.")
    if reminder.used_at is not None:
        raise ConfirmLinkUsed("This link has already been used.")
    if reminder.service.listing_status is not ListingStatus.PUBLISHED:
        raise ConfirmLinkError("This listing is no longer published, so it cannot be confirmed with this link.")
    return reminder


def confirm_still_right(
    reminder: ListingReminder, capacity_status: CapacityStatus, capacity_places: int | None
) -> Service:
    """The provider says the listing is still right (and how many places they have): stamp it, use the link up."""
    if reminder.used_at is not None:
        raise ConfirmLinkUsed("This link has already been used.")
    now = utcnow()
    service = reminder.service
    changed_capacity = (service.capacity_status, service.capacity_places) != (capacity_status, capacity_places)
    # Mark the link used first with a guarded update, so two clicks at once confirm once.
    used = db.session.execute(
        db.update(ListingReminder)
        .where(ListingReminder.id == reminder.id, ListingReminder.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise ConfirmLinkUsed("This link has already been used.")
    db.session.expire(reminder, ["used_at"])
    service.last_verified_at = now
    service.verified_how = VerifiedHow.PROVIDER_CONFIRMED
    service.capacity_status = capacity_status
    service.capacity_places = capacity_places
    audit.record(
        "listing.confirm", "service", service.id, via="emailed link", reminder_id=reminder.id,
        capacity=capacity_status.value if changed_capacity else None,
        places=capacity_places if changed_capacity else None,
    )
    db.session.flush()
    return service


# ---- quality checks ------------------------------------------------------------------------------------------------

def _notice_exists(check: QualityCheck, kind: QualityCheckNoticeKind) -> bool:
    assert check.expires_on is not None
    return (db.session.scalar(
        select(func.count()).select_from(QualityCheckNotice).where(
            QualityCheckNotice.quality_check_id == check.id,
            QualityCheckNotice.kind == kind,
            QualityCheckNotice.expires_on == check.expires_on,
        )
    ) or 0) > 0


def remind_expiring_quality_checks(today: date | None = None) -> int:
    """Email an organisation's members once when a check is within the reminder window of its expiry date."""
    today = today or utcnow().date()
    window = today + timedelta(days=int(current_app.config["QUALITY_CHECK_REMINDER_DAYS"]))
    checks = db.session.scalars(
        select(QualityCheck)
        .where(QualityCheck.expires_on.is_not(None), QualityCheck.expires_on >= today, QualityCheck.expires_on <= window)
        .order_by(QualityCheck.expires_on, QualityCheck.id)
    ).all()
    reminded = 0
    for check in checks:
        assert check.expires_on is not None  # the query chose dated checks
        if _notice_exists(check, QualityCheckNoticeKind.EXPIRY_REMINDER):
            continue
        db.session.add(QualityCheckNotice(quality_check_id=check.id, kind=QualityCheckNoticeKind.EXPIRY_REMINDER,
                                          expires_on=check.expires_on, created_at=utcnow()))
        organization = check.organization
        body = (
            f"Hello,\n\nThe {check.label.lower()} you recorded for {organization.name} expires on "
            f"{format_date(check.expires_on)}.\n\nAfter that date it will no longer be shown on your listings or to "
            "link workers. When you have renewed it, add the new one from your listings page so a moderator can "
            f"verify it:\n{email_link('providers.listings')}\n"
        )
        for address in member_emails(organization):
            send_email(address, f"Your {check.label.lower()} expires on {format_date(check.expires_on)}", body)
        audit.record("quality_check.expiry_reminder", "quality_check", check.id,
                     organization_id=organization.id, expires_on=check.expires_on.isoformat())
        reminded += 1
    db.session.flush()
    return reminded


def expire_quality_checks(today: date | None = None) -> int:
    """Record, once per check and expiry date, that a check has expired, and refresh the listings it was on.

    ``QualityCheck.in_force`` already stops counting a check after its expiry date; this makes the change
    reach every derived copy (the search index, open-data consumers' "modified since") and the audit trail.
    """
    today = today or utcnow().date()
    checks = db.session.scalars(
        select(QualityCheck)
        .where(QualityCheck.expires_on.is_not(None), QualityCheck.expires_on < today)
        .order_by(QualityCheck.expires_on, QualityCheck.id)
    ).all()
    expired = 0
    now = utcnow()
    for check in checks:
        assert check.expires_on is not None  # the query chose dated checks
        if _notice_exists(check, QualityCheckNoticeKind.EXPIRED):
            continue
        db.session.add(QualityCheckNotice(quality_check_id=check.id, kind=QualityCheckNoticeKind.EXPIRED,
                                          expires_on=check.expires_on, created_at=now))
        for service in check.organization.services:
            service.last_modified = now  # its public form changed: the check no longer shows
        audit.record("quality_check.expire", "quality_check", check.id,
                     organization_id=check.organization_id, expires_on=check.expires_on.isoformat())
        expired += 1
    db.session.flush()
    return expired


def expiring_quality_checks(today: date | None = None) -> list[QualityCheck]:
    """Checks for the moderation queue: expiring within the reminder window or expired, and not yet renewed."""
    today = today or utcnow().date()
    window = today + timedelta(days=int(current_app.config["QUALITY_CHECK_REMINDER_DAYS"]))
    checks = db.session.scalars(
        select(QualityCheck)
        .where(QualityCheck.expires_on.is_not(None), QualityCheck.expires_on <= window)
        .order_by(QualityCheck.expires_on, QualityCheck.id)
    ).all()

    def renewed(check: QualityCheck) -> bool:
        return any(
            other.id != check.id and other.check_type is check.check_type
            and (other.expires_on is None or other.expires_on > window)
            for other in check.organization.quality_checks
        )

    return [check for check in checks if not renewed(check)]


# ---- deleting archived listings for good ----------------------------------------------------------------------------

@dataclass
class PurgeOutcome:
    deleted: int = 0
    kept: int = 0  # referrals still point at them; they go when the referrals' retention ends

    def __str__(self) -> str:
        return f"{self.deleted} deleted, {self.kept} kept because referrals refer to them"


def purge_archived_listings(now: datetime | None = None) -> PurgeOutcome:
    """Delete listings archived longer ago than ARCHIVED_LISTING_PURGE_DAYS, keeping an audit record of each."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config["ARCHIVED_LISTING_PURGE_DAYS"]))
    archived_at = func.coalesce(ListingHold.decided_at, Service.last_modified)
    services = db.session.scalars(
        select(Service)
        .outerjoin(ListingHold, ListingHold.service_id == Service.id)
        .where(Service.listing_status == ListingStatus.ARCHIVED, archived_at < cutoff)
        .order_by(Service.id)
    ).all()
    outcome = PurgeOutcome()
    for service in services:
        if db.session.scalar(select(func.count()).select_from(Referral).where(Referral.service_id == service.id)):
            outcome.kept += 1
            continue
        audit.record("listing.purge", "service", service.id, name=service.name,
                     organization_id=service.organization_id, organization=service.organization.name)
        # SQLite does not enforce ON DELETE CASCADE here, so remove what hangs off the listing ourselves.
        for model in (ListingRevision, ProblemReport, ListingReminder, ListingHold):
            db.session.execute(db.delete(model).where(model.service_id == service.id))
        db.session.delete(service)
        outcome.deleted += 1
    db.session.flush()
    return outcome
