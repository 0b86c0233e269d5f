"""Moderators' decisions about a whole listing: suspend, archive, reinstate, record a phone check, and override
the micro-provider verdict. Each needs a reason where it takes something away, and each is audited.

Suspending or archiving changes ``Service.listing_status``; the directory change log carries that to the search
index, so a suspended listing drops out of search with nothing else to call.
"""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..mail import send_email
from ..models import ListingHold, ListingStatus, MicroProviderProfile, Organization, Service, User, VerifiedHow, utcnow
from . import audit
from .listing_edits import ModerationError
from .listings import HOLD_STATUSES, MicroProviderVerdict, assess_micro_provider, transition_listing
from .moderation import member_emails


def _reason(reason: str | None, message: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ModerationError(message)
    return text


def current_hold(service: Service) -> ListingHold | None:
    """Return why the listing is suspended or archived, or None when it is not."""
    if service.listing_status not in HOLD_STATUSES:
        return None
    return db.session.get(ListingHold, service.id)


def _hold(service: Service, status: ListingStatus, reason: str, moderator: User) -> ListingHold:
    hold = db.session.get(ListingHold, service.id) or ListingHold(service_id=service.id)
    hold.status = status
    hold.reason = reason
    hold.decided_by_id = moderator.id
    hold.decided_by_label = moderator.email
    hold.decided_at = utcnow()
    db.session.add(hold)  # whole: reading an expired moderator's id flushes the session, a half-made hold with it
    previous = transition_listing(service, status, hold.decided_at)
    suspended = status is ListingStatus.SUSPENDED
    audit.record(f"listing.{'suspend' if suspended else 'archive'}", "service", service.id,
                 actor=moderator, reason=reason, previous_status=previous.value, name=service.name)
    db.session.flush()
    what = "suspended: residents and link workers cannot find it for now" if suspended else (
        "archived: it is no longer in the directory, and will be deleted for good after "
        f"{current_app.config['ARCHIVED_LISTING_PURGE_DAYS']} days")
    for address in member_emails(service.organization):
        send_email(address, f"Your listing {service.name} has been {'suspended' if suspended else 'archived'}",
                   f"Hello,\n\nA moderator has {what}.\n\nThe reason they gave:\n{reason}\n\n"
                   "If you think this is wrong, reply to this email or contact the directory team.\n")
    return hold


def suspend(service: Service, moderator: User, reason: str | None) -> ListingHold:
    """Take a published listing out of the directory for now; it can be reinstated."""
    reason = _reason(reason, "Enter why you are suspending this listing")
    if service.listing_status is not ListingStatus.PUBLISHED:
        raise ModerationError("Only a published listing can be suspended.")
    return _hold(service, ListingStatus.SUSPENDED, reason, moderator)


def archive(service: Service, moderator: User, reason: str | None) -> ListingHold:
    """Retire a listing; it is deleted for good after ARCHIVED_LISTING_PURGE_DAYS unless reinstated first."""
    reason = _reason(reason, "Enter why you are archiving this listing")
    if service.listing_status is ListingStatus.ARCHIVED:
        raise ModerationError("This listing is already archived.")
    return _hold(service, ListingStatus.ARCHIVED, reason, moderator)


def reinstate(service: Service, moderator: User) -> Service:
    """Publish a suspended or archived listing again."""
    if service.listing_status not in HOLD_STATUSES:
        raise ModerationError("Only a suspended or archived listing can be reinstated.")
    previous = transition_listing(service, ListingStatus.PUBLISHED, utcnow())
    hold = db.session.get(ListingHold, service.id)
    if hold is not None:
        db.session.delete(hold)
    audit.record("listing.reinstate", "service", service.id, actor=moderator, previous_status=previous.value)
    db.session.flush()
    return service


def record_phone_check(service: Service, moderator: User) -> Service:
    """A moderator phoned the provider and the listing is still right: it counts as confirmed now."""
    service.last_verified_at = utcnow()
    service.verified_how = VerifiedHow.MODERATOR_PHONED
    audit.record("listing.confirm", "service", service.id, actor=moderator, via="moderator phoned")
    db.session.flush()
    return service


def override_micro_provider(
    organization: Organization, moderator: User, decision: bool | None, reason: str | None
) -> MicroProviderVerdict:
    """Record a moderator's own verdict (True/False) with a reason, or clear it (None) to follow the rule again.

    Every place that shows the verdict (listing badge, search filter, open-data attribute) asks
    ``domain.listings.assess_micro_provider``, which applies this override.
    """
    profile = organization.profile
    if decision is not None:
        reason = _reason(reason, "Enter why you are overriding the micro-provider check")
    if profile is None:
        if decision is None:
            return assess_micro_provider(None)
        raise ModerationError("This organisation has not answered the workforce questions yet.")
    assert isinstance(profile, MicroProviderProfile)
    profile.moderator_override = decision
    profile.moderator_override_reason = reason if decision is not None else None
    audit.record("organization.micro_provider.override", "organization", organization.id, actor=moderator,
                 reason=reason if decision is not None else None, decision=decision)
    db.session.flush()
    return assess_micro_provider(profile)
