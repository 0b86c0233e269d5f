"""Moderating listings: the queue of pending revisions, the diff, approve, reject (submitting is in ``revisions``).

Every decision is audited here; the caller's request commits it. Approving writes the service, so the directory
change log (and through it the search index) follows without anything else to call.
"""

from __future__ import annotations

import hashlib
import json
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
from .listing_edits import FieldChange, ListingData, ModerationError, apply_snapshot, changed_underneath, diff, snapshot
from .listings import transition_listing


def queue_unreviewed_listings(actor: User | None = None) -> int:
    """Put every listing marked "Pending review" that has no pending revision into the queue; return how many.

    The queue is made of revisions, so a listing set to PENDING_REVIEW directly (the demo loader and an ORUK
    import that does not publish did this) never reached a moderator and its provider waited for ever (issue 15).
    Everything that marks a listing pending review without ``submit_for_review`` calls this afterwards.
    """
    waiting = select(ListingRevision.service_id).where(ListingRevision.status == RevisionStatus.PENDING)
    orphans = db.session.scalars(
        select(Service).where(Service.listing_status == ListingStatus.PENDING_REVIEW, Service.id.not_in(waiting))
        .order_by(Service.created_at, Service.id)
    ).all()
    for service in orphans:
        revision = ListingRevision(
            service_id=service.id, organization_id=service.organization_id,
            submitted_by_id=actor.id if actor else None, submitted_at=service.created_at or utcnow(),
            base_version=service.version, is_new_listing=True, data=snapshot(service), status=RevisionStatus.PENDING,
        )
        db.session.add(revision)
        db.session.flush()
        audit.record("listing.queued_for_review", "service", service.id, actor=actor, revision_id=revision.id)
    return len(orphans)


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


def changed_since_submitted(revision: ListingRevision) -> list[FieldChange] | None:
    """Return the published fields that moved on since the provider made this change, or None if none did.

    Compares the listing's fields, not its version: the version also moves for a document upload or an edit to the
    organisation, which leaves the listing's fields (and the review table) as they were. A change saved before its
    starting point was kept can only be judged by version; the list is then empty (which fields is not known).
    """
    if revision.is_new_listing:
        return None
    if revision.base_data is None:
        return [] if revision.base_version != revision.service.version else None
    moved = changed_underneath(revision.base_data, revision.data, snapshot(revision.service))
    return moved or None


def listing_seen(revision: ListingRevision) -> str:
    """Return a fingerprint of the published listing's fields as the review page shows them, for its decision forms.

    Not the listing's version: that also moves for a document upload or an organisation edit, which leave the
    reviewed fields as they were, and a moderator who had uploaded a document was refused until they reloaded.
    """
    fields = json.dumps(snapshot(revision.service), sort_keys=True, default=str)
    return hashlib.sha256(fields.encode()).hexdigest()[:32]


def _check_decidable(revision: ListingRevision, seen: str) -> None:
    if revision.status is not RevisionStatus.PENDING:
        raise ModerationError("This change has already been decided.")
    if seen != listing_seen(revision):
        raise ModerationError(
            "The listing changed while you were reviewing it. Check the differences again before you decide."
        )


def approve(revision: ListingRevision, moderator: User, *, seen: str) -> Service:
    """Publish the revision: apply its snapshot (or publish a new listing), stamp the times, audit it.

    ``seen``: ``listing_seen`` when the moderator looked; the decision is refused if the listing's fields moved since.
    """
    _check_decidable(revision, seen)
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


def reject(revision: ListingRevision, moderator: User, reason: str, *, seen: str) -> ListingRevision:
    """Reject the revision with a reason the provider is told by email and on their listings page."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Enter the reason you are rejecting this change")
    _check_decidable(revision, seen)
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


def publish_moderator_edit(service: Service, data: ListingData, moderator: User) -> list[FieldChange]:
    """A moderator's correction: published at once (no review of their own edit), audited, and the
    organisation's members are told field by field what changed. The caller has checked versions."""
    changes = diff(snapshot(service), data)
    if not changes:
        return []
    apply_snapshot(service, data)
    service.last_modified = utcnow()
    audit.record("listing.moderator_edit", "service", service.id, actor=moderator,
                 fields=[change.field for change in changes])
    db.session.flush()
    lines = "\n".join(f"- {c.label}: was “{c.before or 'not given'}”, now “{c.after or 'not given'}”" for c in changes)
    _tell_members(
        service.organization,
        f"A moderator corrected {service.name}",
        f"A moderator changed your listing “{service.name}”. The change is published.\n\nWhat changed:\n{lines}\n\n"
        f"If something is not right, change it from your listings page:\n{_provider_link()}",
    )
    return changes


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
