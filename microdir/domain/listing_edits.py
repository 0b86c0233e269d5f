"""A provider's edit of a listing: what the editable fields are, how they are snapshotted, compared and applied.

A snapshot is a plain JSON-able dict of the editable fields, so a pending revision can hold one and a moderator
can see a field-by-field diff. ``save_edit`` is the one entry point for providers: it applies the edit directly to
a listing nobody can see yet, and turns it into a pending revision for a published one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import CapacityStatus, CostOption, CostType, ListingStatus, Phone, Service, User
from ..phones import national_number
from . import audit

ListingData = dict[str, Any]

FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "description": "Description",
    "eligibility_description": "Who it is for",
    "minimum_age": "Minimum age",
    "maximum_age": "Maximum age",
    "capacity_status": "Taking new people",
    "capacity_places": "Places",
    "email": "Email address",
    "phone": "Phone number",
    "costs": "Cost",
}

CAPACITY_LABELS = {
    CapacityStatus.TAKING_NEW_PEOPLE: "Taking new people",
    CapacityStatus.WAITING_LIST: "Waiting list",
    CapacityStatus.FULL: "Full",
}

COST_LABELS = {
    CostType.FREE: "Free",
    CostType.FIXED: "Fixed price",
    CostType.PAY_WHAT_YOU_CAN: "Pay what you can",
    CostType.PERSONAL_BUDGET: "Personal budgets or direct payments",
    CostType.TIME_CREDITS: "Time credits",
}

LISTING_STATUS_LABELS = {
    ListingStatus.DRAFT: "Draft",
    ListingStatus.PENDING_REVIEW: "Pending review",
    ListingStatus.PUBLISHED: "Published",
    ListingStatus.SUSPENDED: "Suspended",
    ListingStatus.ARCHIVED: "Archived",
}

LISTING_STATUS_TAGS = {
    ListingStatus.DRAFT: "govuk-tag--grey",
    ListingStatus.PENDING_REVIEW: "govuk-tag--blue",
    ListingStatus.PUBLISHED: "govuk-tag--green",
    ListingStatus.SUSPENDED: "govuk-tag--red",
    ListingStatus.ARCHIVED: "govuk-tag--grey",
}

# Statuses in which residents have seen the listing: a provider's change waits for a moderator.
NEEDS_REVIEW = frozenset({ListingStatus.PUBLISHED, ListingStatus.SUSPENDED})
EDITABLE = frozenset({ListingStatus.DRAFT, ListingStatus.PENDING_REVIEW, *NEEDS_REVIEW})


class EditError(ValueError):
    """An edit that cannot be made as asked; the message is for the person."""


class EditConflict(EditError):
    """Someone else changed the listing (or its pending change) after the person opened the form."""

    def __init__(self, changes: list[FieldChange]) -> None:
        super().__init__("This listing was changed by someone else while you were editing.")
        self.changes = changes


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its label and both values in words."""

    field: str
    label: str
    before: str
    after: str


def _service_phone(service: Service) -> Phone | None:
    return next((p for p in service.phones if p.contact_id is None and p.location_id is None), None)


def _amount_text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{Decimal(amount):.2f}"


def snapshot(service: Service) -> ListingData:
    """Return the editable fields of ``service`` as a JSON-able dict."""
    phone = _service_phone(service)
    costs = sorted(
        ({"type": c.cost_type.value, "amount": _amount_text(c.amount) if c.cost_type is CostType.FIXED else None}
         for c in service.cost_options),
        key=lambda c: list(CostType).index(CostType(c["type"])),
    )
    return {
        "name": service.name,
        "description": service.description or "",
        "eligibility_description": service.eligibility_description or "",
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "capacity_status": service.capacity_status.value,
        "capacity_places": service.capacity_places,
        "email": service.email or None,
        "phone": phone.number if phone is not None else None,
        "costs": costs,
    }


def normalise(data: ListingData) -> ListingData:
    """Return ``data`` in snapshot form (costs ordered, empty text as ""), so equal listings compare equal."""
    result = dict(data)
    result["costs"] = sorted(
        ({"type": c["type"], "amount": c.get("amount") if c["type"] == CostType.FIXED.value else None}
         for c in data.get("costs", [])),
        key=lambda c: list(CostType).index(CostType(c["type"])),
    )
    for key in ("description", "eligibility_description"):
        result[key] = result.get(key) or ""
    for key in ("email", "phone"):
        result[key] = result.get(key) or None
    return result


def _set(obj: Any, attribute: str, value: Any) -> None:
    # Only assign real changes, so a no-op save does not bump the version or write to the change log.
    if getattr(obj, attribute) != value:
        setattr(obj, attribute, value)


def apply_snapshot(service: Service, data: ListingData) -> None:
    """Write the editable fields of ``data`` onto ``service`` (the caller audits)."""
    data = normalise(data)
    _set(service, "name", data["name"])
    _set(service, "description", data["description"])
    _set(service, "eligibility_description", data["eligibility_description"] or None)
    _set(service, "minimum_age", data["minimum_age"])
    _set(service, "maximum_age", data["maximum_age"])
    _set(service, "capacity_status", CapacityStatus(data["capacity_status"]))
    _set(service, "capacity_places", data["capacity_places"])
    _set(service, "email", data["email"])
    phone = _service_phone(service)
    if data["phone"] is None and phone is not None:
        service.phones.remove(phone)
        db.session.delete(phone)
    elif data["phone"] is not None and phone is None:
        service.phones.append(Phone(number=data["phone"], type="voice"))
    elif phone is not None:
        _set(phone, "number", data["phone"])
    if snapshot(service)["costs"] != data["costs"]:
        for option in list(service.cost_options):
            service.cost_options.remove(option)
            db.session.delete(option)
        for cost in data["costs"]:
            kind = CostType(cost["type"])
            service.cost_options.append(
                CostOption(
                    cost_type=kind,
                    option=COST_LABELS[kind],
                    currency="GBP" if cost["amount"] is not None else None,
                    amount=Decimal(cost["amount"]) if cost["amount"] is not None else None,
                )
            )


def format_value(field: str, data: ListingData) -> str:
    """Return one field of a snapshot in words, the way the diff and the check page show it."""
    value = data.get(field)
    if field == "costs":
        parts = []
        for cost in value or []:
            label = COST_LABELS[CostType(cost["type"])]
            parts.append(f"{label}: £{cost['amount']}" if cost.get("amount") else label)
        return "; ".join(parts) or "Not given"
    if field == "capacity_status":
        return CAPACITY_LABELS[CapacityStatus(value)] if value else "Not given"
    if field == "phone" and value:
        return national_number(str(value))
    if value is None or value == "":
        return "Not given"
    return str(value)


def diff(before: ListingData | None, after: ListingData) -> list[FieldChange]:
    """Return the fields that differ between two snapshots, in form order; ``before`` None means all are new."""
    after = normalise(after)
    before = normalise(before) if before is not None else None
    changes = []
    for field, label in FIELD_LABELS.items():
        if before is None or before.get(field) != after.get(field):
            changes.append(
                FieldChange(field, label, format_value(field, before) if before is not None else "", format_value(field, after))
            )
    return changes


def editing_state(service: Service) -> tuple[ListingData, str]:
    """Return what the provider edits (their pending change if there is one, else the listing) and its revision id."""
    from .moderation import pending_revision

    revision = pending_revision(service)
    if revision is not None and not revision.is_new_listing:
        return normalise(revision.data), revision.id
    return snapshot(service), ""


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
    from . import moderation

    if service.listing_status not in EDITABLE:
        raise EditError("This listing has been archived, so it cannot be changed.")
    current, current_revision = editing_state(service)
    if service.version != expected_version or current_revision != expected_revision:
        raise EditConflict(diff(base, current) if base is not None else diff(None, current))
    data = normalise(data)
    if data == current:
        return "unchanged"
    if service.listing_status in NEEDS_REVIEW:
        moderation.submit_revision(service, data, actor, base_version=expected_version)
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
