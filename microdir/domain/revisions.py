"""A listing's pending change: the provider's edit becomes a revision moderators review, or is applied at once.

The one home of pending-revision handling: which revision is pending, superseding it, submitting a change or a
new listing, and the provider's save (``save_edit`` / ``save_section``), which applies an edit directly to a listing
nobody can see yet and turns it into a pending revision for a published one. ``listing_edits`` holds the data
(snapshots, diffs, applying a snapshot) and the errors a change is refused with; ``moderation`` holds the
moderators' decisions, and a moderator's save is published through it. Neither imports this module back.
"""

from __future__ import annotations

import hashlib
import json
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    DraftSectionSaved,
    ListingRevision,
    ListingStatus,
    RevisionStatus,
    Role,
    Service,
    User,
    utcnow,
)
from . import audit
from .listing_edits import (
    EDITABLE,
    NEEDS_REVIEW,
    EditConflict,
    EditError,
    ListingData,
    ModerationError,
    apply_snapshot,
    diff,
    merge_section,
    normalise,
    snapshot,
)
from .listings import transition_listing
from .moderation import publish_moderator_edit


def pending_revision(service: Service) -> ListingRevision | None:
    """Return the service's pending revision (there is at most one), or None."""
    return db.session.scalars(
        select(ListingRevision)
        .where(ListingRevision.service_id == service.id, ListingRevision.status == RevisionStatus.PENDING)
        .order_by(ListingRevision.submitted_at.desc())
    ).first()


def latest_decision(service: Service) -> ListingRevision | None:
    """Return the most recent approved or rejected revision of ``service``, to tell the provider about."""
    return db.session.scalars(
        select(ListingRevision)
        .where(
            ListingRevision.service_id == service.id,
            ListingRevision.status.in_([RevisionStatus.APPROVED, RevisionStatus.REJECTED]),
        )
        .order_by(ListingRevision.decided_at.desc())
    ).first()


def _supersede(service: Service) -> None:
    """Mark the current pending revision superseded; a concurrent save that got there first is a conflict."""
    revision = pending_revision(service)
    if revision is None:
        return
    result = db.session.execute(
        update(ListingRevision)
        .where(ListingRevision.id == revision.id, ListingRevision.status == RevisionStatus.PENDING)
        .values(status=RevisionStatus.SUPERSEDED)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise EditConflict([])
    db.session.expire(revision)


def submit_revision(service: Service, data: ListingData, actor: User, *, base_version: int) -> ListingRevision:
    """Record a provider's change to a published listing as a pending revision; the live listing is untouched."""
    _supersede(service)
    revision = ListingRevision(
        service_id=service.id,
        organization_id=service.organization_id,
        submitted_by_id=actor.id,
        submitted_at=utcnow(),
        base_version=base_version,
        base_data=snapshot(service),
        is_new_listing=False,
        data=data,
        status=RevisionStatus.PENDING,
    )
    db.session.add(revision)
    db.session.flush()
    audit.record(
        "listing.revision.submit", "service", service.id, actor=actor,
        revision_id=revision.id, fields=[c.field for c in diff(snapshot(service), data)],
    )
    return revision


def listing_fingerprint(service: Service) -> str:
    """Return a digest of what the provider sees of the listing (its fields, or its pending change).

    A button that acts on the listing as shown carries it: unlike the version, it does not move for a quality-check
    document upload or an organisation edit, which leave the listing as it was.
    """
    current, revision_id = editing_state(service)
    return hashlib.sha256(f"{revision_id}|{_fingerprint(current)}".encode()).hexdigest()[:32]


def submit_for_review(service: Service, actor: User, *, expected_version: int,
                      expected_fingerprint: str | None = None) -> ListingRevision:
    """Move a draft to PENDING_REVIEW and put it in the moderators' queue as a new listing.

    Refused (EditConflict) when the listing changed since the page the person pressed the button on: by its
    ``listing_fingerprint`` when the form carried one, else by its version.
    """
    if expected_fingerprint:
        moved = listing_fingerprint(service) != expected_fingerprint
    else:
        moved = service.version != expected_version
    if moved:
        raise EditConflict([])
    if service.listing_status is not ListingStatus.DRAFT:
        raise ModerationError("Only a draft listing can be sent for review.")
    transition_listing(service, ListingStatus.PENDING_REVIEW, utcnow())
    db.session.flush()
    revision = ListingRevision(
        service_id=service.id,
        organization_id=service.organization_id,
        submitted_by_id=actor.id,
        submitted_at=utcnow(),
        base_version=service.version,
        is_new_listing=True,
        data=snapshot(service),
        status=RevisionStatus.PENDING,
    )
    db.session.add(revision)
    db.session.flush()
    audit.record("listing.submit_for_review", "service", service.id, actor=actor, revision_id=revision.id)
    return revision


def editing_state(service: Service) -> tuple[ListingData, str]:
    """Return what the provider edits (their pending change if there is one, else the listing) and its revision id."""
    revision = pending_revision(service)
    if revision is not None and not revision.is_new_listing:
        # A revision saved before some fields were editable lacks them: those are as the listing has them.
        return normalise({**snapshot(service), **revision.data}), revision.id
    return snapshot(service), ""


def lock_listing(service: Service) -> None:
    """Hold the listing's row until this transaction ends, then re-read it and its pending change.

    Makes "check the version, then write" atomic: a second save of the same listing waits here (a row lock on
    PostgreSQL, the write lock on SQLite) until the first commits, and then sees what it saved. Without it, a
    provider and a moderator saving at the same instant both passed the check, and one change silently replaced
    the other (about 1 time in 11).
    """
    table = cast(Table, Service.__table__)  # Core, not an ORM update: nothing in the session is evaluated or synced
    db.session.execute(update(table).where(table.c.id == service.id).values(version=table.c.version))
    db.session.expire_all()


def _moved_on(service: Service, current: ListingData, current_revision: str, expected_version: int,
              expected_revision: str, base: ListingData | None) -> bool:
    """Did the listing's fields, or its pending change, move on since the provider's form was filled?

    The fields are compared, not the listing's version: that also moves for a quality-check document upload or an
    organisation edit, which leave the fields as they were, and the provider was refused ("changed by someone else")
    for their own upload in another tab. Without ``base`` (a form that lost it), the version is all there is.
    """
    if current_revision != expected_revision:
        return True
    if base is None:
        return service.version != expected_version
    return _fingerprint(current) != _fingerprint(base)


def _fingerprint(data: ListingData) -> str:
    # ``base`` made a round trip through JSON (a signed form field): compare both in that form.
    return json.dumps(data, sort_keys=True, default=str)


def save_edit(
    service: Service,
    data: ListingData,
    actor: User,
    *,
    expected_version: int,
    expected_revision: str = "",
    base: ListingData | None = None,
) -> str:
    """Save a provider's edit; return "saved" (applied to an unpublished listing), "submitted" or "unchanged".

    Raises EditConflict when the listing or its pending change moved on since ``expected_version`` /
    ``expected_revision``; ``base`` (what the form was filled from) lets the message list what changed.
    """
    lock_listing(service)
    if service.listing_status not in EDITABLE:
        raise EditError("This listing has been archived, so it cannot be changed.")
    current, current_revision = editing_state(service)
    if _moved_on(service, current, current_revision, expected_version, expected_revision, base):
        raise EditConflict(diff(base, current) if base is not None else diff(None, current))
    data = normalise({**current, **data})  # fields the form did not carry stay as they are
    if data == current:
        return "unchanged"
    if service.listing_status in NEEDS_REVIEW and actor.role in (Role.MODERATOR, Role.ADMIN):
        try:  # a moderator's correction is published at once (issue 15), audited, the provider told
            publish_moderator_edit(service, data, actor)
        except StaleDataError as error:
            db.session.rollback()
            raise EditConflict([]) from error
        return "published"
    if service.listing_status in NEEDS_REVIEW:
        submit_revision(service, data, actor, base_version=service.version)
        return "submitted"
    changed = [c.field for c in diff(current, data)]
    apply_snapshot(service, data)
    audit.record("listing.edit", "service", service.id, actor=actor, fields=changed)
    try:
        db.session.flush()
    except StaleDataError as error:  # another request saved between our read and our write
        db.session.rollback()
        raise EditConflict([]) from error
    return "saved"


def save_section(
    service: Service,
    section: str,
    answers: ListingData,
    actor: User,
    *,
    expected_version: int,
    expected_revision: str = "",
    base: ListingData | None = None,
) -> str:
    """Save one section's answers, keeping every other field as the provider last left it (see ``save_edit``).

    On a new listing, also note the section as saved: the task list needs it for sections that may be left empty.
    """
    current, _revision = editing_state(service)
    outcome = save_edit(service, merge_section(current, section, answers), actor, expected_version=expected_version,
                        expected_revision=expected_revision, base=base)
    if service.listing_status is ListingStatus.DRAFT:
        db.session.merge(DraftSectionSaved(service_id=service.id, section=section, saved_at=utcnow()))
    return outcome
