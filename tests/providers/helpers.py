"""Helpers for the providers' tests: listings in each state and their pending changes."""

from __future__ import annotations

from typing import Any

from microdir.domain import listing_edits, revisions
from microdir.extensions import db
from microdir.models import ListingRevision, ListingStatus, Organization, Service, User
from tests import factories


def edit_data(service: Service, **changes: Any) -> dict[str, Any]:
    """Return the service's editable fields as a snapshot, with ``changes`` applied."""
    return {**listing_edits.snapshot(service), **changes}


def pending_change(service: Service, provider: User, **changes: Any) -> ListingRevision:
    """Have ``provider`` send a change to a published listing; return the pending revision."""
    revisions.save_edit(service, edit_data(service, **changes), provider, expected_version=service.version)
    db.session.commit()
    revision = revisions.pending_revision(service)
    assert revision is not None
    return revision


def new_listing(organization: Organization, provider: User, **overrides: Any) -> tuple[Service, ListingRevision]:
    """Create a draft and send it for review; return it and its revision."""
    service = factories.create_service(organization, listing_status=ListingStatus.DRAFT, first_published_at=None,
                                       last_verified_at=None, verified_how=None, **overrides)
    revision = revisions.submit_for_review(service, provider, expected_version=service.version)
    db.session.commit()
    return service, revision


def form_fields(service: Service, **changes: str) -> dict[str, Any]:
    """Return the edit form's fields as a browser would post them for ``service``, with ``changes``."""
    data = listing_edits.snapshot(service)
    fields: dict[str, Any] = {
        "name": data["name"],
        "description": data["description"],
        "eligibility_description": data["eligibility_description"],
        "minimum_age": "" if data["minimum_age"] is None else str(data["minimum_age"]),
        "maximum_age": "" if data["maximum_age"] is None else str(data["maximum_age"]),
        "capacity_status": data["capacity_status"],
        "capacity_places": "" if data["capacity_places"] is None else str(data["capacity_places"]),
        "email": data["email"] or "",
        "phone": data["phone"] or "",
        "costs": [c["type"] for c in data["costs"]],
        "fixed_amount": next((c["amount"] for c in data["costs"] if c["amount"]), ""),
    }
    fields.update(changes)
    return fields


def people_data(*people: tuple[str, str]) -> dict[str, str]:
    """Return the workforce rows as a browser posts them: ("paid" or "unpaid", usual weekly hours) per person."""
    data: dict[str, str] = {}
    for index, (paid, hours) in enumerate(people):
        data[f"people-{index}-paid"] = paid
        data[f"people-{index}-hours"] = hours
    return data


def dbs_check(organization: Organization, provider: User, reference: str = "001") -> Any:
    """Record a DBS check for ``organization`` as ``provider`` would (no document yet) and commit it."""
    from microdir.domain import provider_profiles
    from microdir.models import QualityCheckType

    check = provider_profiles.record_quality_check(organization, QualityCheckType.DBS, provider, reference=reference,
                                                   description=None, cover_amount=None, expires_on=None)
    db.session.commit()
    return check
