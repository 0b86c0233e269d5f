"""The micro-provider rule and listing freshness: one module, called by views, the API, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_UP, Decimal
from typing import Any, Protocol

from sqlalchemy import func

from ..models import ListingStatus, Service

MAX_FTE = Decimal("5")


class MicroProviderFacts(Protocol):
    """What the micro-provider rule reads: a ``MicroProviderProfile``, or the search indexer's row of one."""

    @property
    def paid_workers_fte(self) -> Decimal | None: ...
    @property
    def unpaid_workers_fte(self) -> Decimal | None: ...
    @property
    def independent(self) -> bool | None: ...
    @property
    def parent_body(self) -> str | None: ...
    @property
    def moderator_override(self) -> bool | None: ...
    @property
    def moderator_override_reason(self) -> str | None: ...


class ListingDates(Protocol):
    """What the visibility rule reads: a ``Service``, or the search indexer's row of one."""

    @property
    def listing_status(self) -> ListingStatus: ...
    @property
    def last_verified_at(self) -> datetime | None: ...
    @property
    def first_published_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
FULL_TIME_HOURS = Decimal("37.5")  # a week's hours that count as one full-time equivalent worker


@dataclass(frozen=True)
class WorkforceFigures:
    """The figures the rule reads, worked out from the people the provider listed."""

    paid_workers: int
    paid_workers_fte: Decimal
    unpaid_workers: int
    unpaid_workers_fte: Decimal


def _fte_of_hours(hours: Decimal) -> Decimal:
    # Rounded up to the hundredth the profile stores, so rounding never brings a workforce within the limit.
    return (hours / FULL_TIME_HOURS).quantize(Decimal("0.01"), rounding=ROUND_UP)


def workforce_figures(people: Iterable[tuple[bool, Decimal]]) -> WorkforceFigures:
    """Count the people, paid and unpaid apart, and turn their usual weekly hours into full-time equivalents.

    ``people`` is (paid, usual weekly hours) per person. Full-time equivalent = weekly hours / ``FULL_TIME_HOURS``.
    """
    listed = [(bool(is_paid), Decimal(hours)) for is_paid, hours in people]
    paid = [hours for is_paid, hours in listed if is_paid]
    unpaid = [hours for is_paid, hours in listed if not is_paid]
    return WorkforceFigures(
        paid_workers=len(paid), paid_workers_fte=_fte_of_hours(sum(paid, Decimal("0"))),
        unpaid_workers=len(unpaid), unpaid_workers_fte=_fte_of_hours(sum(unpaid, Decimal("0"))),
    )


def weekly_hours_of(workers: int, fte: Decimal | float | int | None) -> list[Decimal]:
    """Split figures given as full-time equivalents (before people were asked about one by one) evenly between
    ``workers`` people, as usual weekly hours: the starting point the provider then corrects person by person."""
    total = _fte(fte) * FULL_TIME_HOURS
    if workers <= 0:
        return [total.quantize(Decimal("0.01"))] if total > 0 else []
    return [(total / workers).quantize(Decimal("0.01")) for _ in range(workers)]


@dataclass(frozen=True)
class MicroProviderVerdict:
    """Whether an organisation counts as a micro-provider, and why, in words a person can read."""

    is_micro_provider: bool
    reasons: list[str] = field(default_factory=list)
    overridden: bool = False

    @property
    def summary(self) -> str:
        if self.is_micro_provider:
            return "This is a micro-provider"
        return "This is not a micro-provider"


def _fte(value: Decimal | float | int | None) -> Decimal:
    return Decimal(str(value or 0))


def _format_fte(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def assess_micro_provider(profile: MicroProviderFacts | None) -> MicroProviderVerdict:
    """Apply the rule: at most 5 full-time-equivalent workers, paid and unpaid together, and independent.

    A moderator's recorded override wins, and says so.
    """
    if profile is None:
        return MicroProviderVerdict(False, ["We do not know yet how many people work for it or who runs it."])
    reasons: list[str] = []
    total = _fte(profile.paid_workers_fte) + _fte(profile.unpaid_workers_fte)
    within_size = total <= MAX_FTE
    if within_size:
        reasons.append(
            f"It has {_format_fte(total)} full-time equivalent workers, paid and unpaid together, "
            f"which is within the limit of {MAX_FTE}."
        )
    else:
        reasons.append(
            f"It has {_format_fte(total)} full-time equivalent workers, paid and unpaid together. "
            f"A micro-provider has {MAX_FTE} or fewer."
        )
    if profile.independent:
        reasons.append("It has declared that it is independent of any larger or parent organisation.")
    else:
        parent = f" ({profile.parent_body})" if profile.parent_body else ""
        reasons.append(f"It is part of, or run by, a larger organisation{parent}. A micro-provider is independent.")
    verdict = within_size and bool(profile.independent)
    if profile.moderator_override is not None and profile.moderator_override != verdict:
        reasons.append(
            "A moderator decided it "
            + ("is" if profile.moderator_override else "is not")
            + f" a micro-provider: {profile.moderator_override_reason or 'no reason given'}"
        )
        return MicroProviderVerdict(bool(profile.moderator_override), reasons, overridden=True)
    return MicroProviderVerdict(verdict, reasons)


# ---- the listing lifecycle ----------------------------------------------------------------------------------------
# Every move of a listing's status, and nothing else. The operation that makes a move checks its own preconditions
# (with a message for the person) and audits it under its own name; the status change itself reaches the change log
# through the flush listener. The ORUK importer's listings arrive pending review and move from there.
LISTING_TRANSITIONS: dict[ListingStatus, frozenset[ListingStatus]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.PENDING_REVIEW, ListingStatus.ARCHIVED}),  # submit; archive
    ListingStatus.PENDING_REVIEW: frozenset({
        ListingStatus.PUBLISHED,  # a moderator approves the new listing
        ListingStatus.DRAFT,  # ... or rejects it, back to the provider
        ListingStatus.ARCHIVED,
    }),
    ListingStatus.PUBLISHED: frozenset({ListingStatus.SUSPENDED, ListingStatus.ARCHIVED}),
    ListingStatus.SUSPENDED: frozenset({ListingStatus.PUBLISHED, ListingStatus.ARCHIVED}),  # reinstate; archive
    ListingStatus.ARCHIVED: frozenset({ListingStatus.PUBLISHED}),  # reinstate (or purged for good by upkeep)
}


# A moderator's hold: only a moderator suspends or archives a listing, and only a moderator reinstates it.
HOLD_STATUSES = frozenset({ListingStatus.SUSPENDED, ListingStatus.ARCHIVED})


class ListingTransitionError(ValueError):
    """A status move the lifecycle does not allow (a caller's precondition check missed it)."""


def can_transition(service: Service, to: ListingStatus) -> bool:
    """Return True when the lifecycle allows moving ``service`` to ``to``."""
    return to in LISTING_TRANSITIONS[service.listing_status]


def transition_listing(service: Service, to: ListingStatus, now: datetime) -> ListingStatus:
    """Move ``service`` to ``to`` as the table allows, stamping its first publication; return the status it had."""
    previous = service.listing_status
    if not can_transition(service, to):
        raise ListingTransitionError(f"A listing cannot go from {previous.value} to {to.value}")
    service.listing_status = to
    if to is ListingStatus.PUBLISHED:
        service.first_published_at = service.first_published_at or now
    return previous


def publish_from_trusted_feed(service: Service, now: datetime) -> bool:
    """A trusted feed sends again a listing it brought in before: publish it again, unless a moderator holds it.

    A moderator's decision wins: a suspended or archived listing keeps its status (the feed still updates its
    content), and False says so. A draft goes through review first, as the table asks of every draft.
    """
    if service.listing_status in HOLD_STATUSES:
        return False
    if service.listing_status is ListingStatus.DRAFT:
        transition_listing(service, ListingStatus.PENDING_REVIEW, now)
    if service.listing_status is not ListingStatus.PUBLISHED:
        transition_listing(service, ListingStatus.PUBLISHED, now)
    return True


def last_confirmed_at(service: ListingDates) -> datetime:
    """When the listing was last known to be right: the last check, else first publication, else creation."""
    return service.last_verified_at or service.first_published_at or service.created_at


def last_confirmed_sql() -> Any:
    """``last_confirmed_at`` as an SQL expression, for queries over many listings."""
    return func.coalesce(Service.last_verified_at, Service.first_published_at, Service.created_at)


def is_stale(service: ListingDates, now: datetime, stale_after_days: int) -> bool:
    """Return True when nobody has confirmed the listing for longer than ``stale_after_days``."""
    checked = last_confirmed_at(service)
    return checked is None or now - checked > timedelta(days=stale_after_days)


def is_publicly_visible(service: ListingDates, now: datetime, hide_after_days: int) -> bool:
    """Return True when residents may see the listing: published, and not stale past the hiding point."""
    return service.listing_status is ListingStatus.PUBLISHED and not is_stale(service, now, hide_after_days)


def checked_ago(when: datetime | None, now: datetime) -> str:
    """Say how long ago a listing was checked, the way a person would ("Checked 3 weeks ago")."""
    if when is None:
        return "Not checked yet"
    days = (now - when).days
    if days < 1:
        return "Checked today"
    if days < 2:
        return "Checked yesterday"
    if days < 14:
        return f"Checked {days} days ago"
    if days < 62:
        return f"Checked {days // 7} weeks ago"
    if days < 730:
        return f"Checked {days // 30} months ago"
    return f"Checked {days // 365} years ago"
