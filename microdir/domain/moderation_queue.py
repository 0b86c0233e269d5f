"""The one moderation queue: everything waiting for a moderator, grouped by kind (new listings and changes
first), oldest first within a kind, with counts per kind."""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app

from ..models import utcnow
from . import moderation, reports, upkeep

# kind -> what moderators call it, in the order the counts are shown
KINDS: dict[str, str] = {
    "new_listing": "New listings",
    "change": "Changes to published listings",
    "claim": "Claims of listings",
    "report": "Problems reported by residents",
    "quality_check": "Quality checks lapsed and not renewed",
    "stale": "Listings nobody has confirmed",
}


@dataclass(frozen=True)
class QueueItem:
    kind: str
    since: datetime  # what the queue is ordered by: when it started waiting
    name: str  # the listing or organisation it is about
    organization: str | None
    item: Any  # the revision, claim, report, check or listing


def pending_claims() -> list[Any]:
    """Claims waiting for a moderator, from the claims module once it is installed; none before that."""
    try:
        claims = importlib.import_module("microdir.domain.claims")
    except ModuleNotFoundError:
        return []
    finder = getattr(claims, "pending_claims", None)
    return list(finder()) if finder is not None else []


def _claim_name(claim: Any) -> tuple[str, str | None]:
    service = getattr(claim, "service", None)
    organization = getattr(claim, "organization", None)
    if service is not None:
        return service.name, service.organization.name if service.organization else None
    if organization is not None:
        return organization.name, None
    return "A claim", None


def build_queue(now: datetime | None = None) -> list[QueueItem]:
    """Return every item waiting for a moderator, oldest first."""
    now = now or utcnow()
    items: list[QueueItem] = []
    for revision in moderation.queue():
        items.append(QueueItem("new_listing" if revision.is_new_listing else "change", revision.submitted_at,
                               revision.service.name, revision.organization.name, revision))
    for claim in pending_claims():
        name, organization = _claim_name(claim)
        items.append(QueueItem("claim", claim.created_at, name, organization, claim))
    for report in reports.open_reports():
        items.append(QueueItem("report", report.created_at, report.service.name,
                               report.service.organization.name, report))
    grace = timedelta(days=int(current_app.config["QUALITY_CHECK_MODERATOR_GRACE_DAYS"]))
    for check in upkeep.expiring_quality_checks(now.date()):
        # The provider's task first: they are reminded before it expires and can renew it. A moderator sees it
        # only once it has lapsed and the provider has not acted within the grace period.
        if check.expires_on + grace >= now.date():
            continue
        since = datetime.combine(check.expires_on + grace, time.min)
        items.append(QueueItem("quality_check", since, check.organization.name, None, check))
    for service, reminder in upkeep.escalated_listings():
        items.append(QueueItem("stale", reminder.created_at, service.name, service.organization.name, service))
    order = list(KINDS)
    items.sort(key=lambda i: (order.index(i.kind), i.since, i.name))
    return items


def queue_counts(items: list[QueueItem]) -> dict[str, int]:
    """Count the queue by kind, every kind present, in KINDS order."""
    counted = Counter(item.kind for item in items)
    return {kind: counted.get(kind, 0) for kind in KINDS}


def count_waiting() -> int:
    """How many new listings, changes, claims and problem reports wait (count queries, for the navigation)."""
    from sqlalchemy import func

    from ..extensions import db
    from ..models import ClaimMethod, ClaimStatus, ListingClaim, ListingRevision, RevisionStatus

    revisions = db.session.scalar(db.select(func.count()).select_from(ListingRevision)
                                  .where(ListingRevision.status == RevisionStatus.PENDING)) or 0
    claims = db.session.scalar(db.select(func.count()).select_from(ListingClaim).where(
        ListingClaim.status == ClaimStatus.PENDING, ListingClaim.method == ClaimMethod.MODERATOR)) or 0
    return int(revisions) + int(claims) + reports.count_open()
