"""Moderating listings: the queue of pending revisions, the diff, approve, reject (submitting is in ``revisions``).

Every decision is audited here; the caller's request commits it. Approving writes the service, so the directory
change log (and through it the search index) follows without anything else to call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..mail import email_link, send_email
from ..models import (
    ListingRevision,
    ListingStatus,
    Organization,
    RevisionStatus,
    Service,
    User,
    VerifiedHow,
    organization_membership,
    utcnow,
)
from . import audit
from .listing_edits import FieldChange, ListingData, apply_snapshot, diff, snapshot
from .listings import transition_listing
from .revisions import ModerationError


def queue() -> list[ListingRevision]:
    """Return every pending revision, new listings and changes together, oldest first."""
    return list(
        db.session.scalars(
            select(ListingRevision)
            .where(ListingRevision.status == RevisionStatus.PENDING)
            .order_by(ListingRevision.submitted_at, ListingRevision.id)
        )
    )


@dataclass(frozen=True)
class QueueCounts:
    new_listings: int
    changes: int

    @property
    def total(self) -> int:
        return self.new_listings + self.changes


def queue_counts(revisions: list[ListingRevision]) -> QueueCounts:
    """Count the queue by kind."""
    new = sum(1 for r in revisions if r.is_new_listing)
    return QueueCounts(new_listings=new, changes=len(revisions) - new)


def proposed(revision: ListingRevision) -> ListingData:
    """Return what approving would publish: the listing as it stands for a new one, else the revision's snapshot."""
    return snapshot(revision.service) if revision.is_new_listing else revision.data


def revision_diff(revision: ListingRevision) -> list[FieldChange]:
    """Return the field-by-field differences between the published listing and the revision."""
    if revision.is_new_listing:
        return diff(None, proposed(revision))
    return diff(snapshot(revision.service), revision.data)


def _check_decidable(revision: ListingRevision, expected_version: int) -> None:
    if revision.status is not RevisionStatus.PENDING:
        raise ModerationError("This change has already been decided.")
    if revision.service.version != expected_version:
        raise ModerationError(
            "The listing changed while you were reviewing it. Check the differences again before you decide."
        )


def approve(revision: ListingRevision, moderator: User, *, expected_version: int) -> Service:
    """Publish the revision: apply its snapshot (or publish a new listing), stamp the times, audit it."""
    _check_decidable(revision, expected_version)
    service = revision.service
    changed = [c.field for c in revision_diff(revision)]
    now = utcnow()
    if revision.is_new_listing:
        if service.listing_status is not ListingStatus.PENDING_REVIEW:
            raise ModerationError("This listing is no longer waiting for review.")
        transition_listing(service, ListingStatus.PUBLISHED, now)
    else:
        apply_snapshot(service, revision.data)
    service.last_verified_at = now
    service.verified_how = VerifiedHow.MODERATOR_CHECKED
    service.last_modified = now
    revision.status = RevisionStatus.APPROVED
    revision.decided_by_id = moderator.id
    revision.decided_at = now
    audit.record(
        "listing.revision.approve", "service", service.id, actor=moderator,
        revision_id=revision.id, new_listing=revision.is_new_listing, fields=changed,
    )
    db.session.flush()
    _tell_members(
        service.organization,
        f"Your listing {service.name} is published" if revision.is_new_listing else f"Your change to {service.name} is live",
        f"A moderator approved {'your new listing' if revision.is_new_listing else 'your change to'} "
        f"“{service.name}”. It is now live in the directory.\n\n{_provider_link()}",
    )
    return service


def reject(revision: ListingRevision, moderator: User, reason: str, *, expected_version: int) -> ListingRevision:
    """Reject the revision with a reason the provider is told by email and on their listings page."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Enter the reason you are rejecting this change")
    _check_decidable(revision, expected_version)
    service = revision.service
    now = utcnow()
    revision.status = RevisionStatus.REJECTED
    revision.reason = reason
    revision.decided_by_id = moderator.id
    revision.decided_at = now
    if revision.is_new_listing and service.listing_status is ListingStatus.PENDING_REVIEW:
        transition_listing(service, ListingStatus.DRAFT, now)  # back to the provider to put right and send again
    audit.record(
        "listing.revision.reject", "service", service.id, actor=moderator, reason=reason,
        revision_id=revision.id, new_listing=revision.is_new_listing,
    )
    db.session.flush()
    what = "your new listing" if revision.is_new_listing else "your change to"
    _tell_members(
        service.organization,
        f"Your change to {service.name} was not approved",
        f"A moderator did not approve {what} “{service.name}”.\n\nThe reason they gave:\n{reason}\n\n"
        f"You can make the change again from your listings page:\n{_provider_link()}",
    )
    return revision


def _provider_link() -> str:
    try:
        return email_link("providers.listings")
    except RuntimeError:  # outside a request (jobs, CLI): no host to build a link with
        return current_app.config.get("SERVICE_NAME", "")


def member_emails(organization: Organization) -> list[str]:
    """Return the email addresses of the organisation's active members."""
    return list(
        db.session.scalars(
            select(User.email)
            .join(organization_membership, organization_membership.c.user_id == User.id)
            .where(organization_membership.c.organization_id == organization.id, User.active.is_(True))
            .order_by(User.email)
        )
    )


def _tell_members(organization: Organization, subject: str, body: str) -> list[Any]:
    return [send_email(address, subject, body) for address in member_emails(organization)]
