"""Drafts and sending: references, the person's details, which services can take referrals, and ``send``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app

from ...extensions import db
from ...geo import distance_miles, format_distance
from ...models import (
    Attribute,
    CapacityStatus,
    ContactMethod,
    ListingStatus,
    Referral,
    ReferralEvent,
    Role,
    Service,
    User,
    utcnow,
)
from .. import audit
from ..listings import is_publicly_visible
from ..taxonomy import CATEGORIES_TAXONOMY_ID
from .notices import notify_new_referral
from .receipts import issue_receipt
from .states import ActorKind, ReferralError, S, actor_kind
from .transitions import flush_or_conflict, require_draft, transition

# Unambiguous when read aloud or handwritten: no 0/O, 1/I/L, and no U (so no accidental words).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """Return an unused reference like MD-7K4Q-9XPA (29^8 ≈ 5×10^11 possibilities)."""
    while True:
        body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"MD-{body[:4]}-{body[4:]}"
        if db.session.scalar(db.select(Referral.id).where(Referral.reference == reference)) is None:
            return reference


@dataclass
class ReferralDetails:
    """What the link worker enters about the person."""

    person_name: str
    contact_method: ContactMethod
    contact_details: str | None
    date_of_birth: date | None
    needs: list[str]
    reasons_text: str | None
    provider_notes: str | None
    safeguarding_flag: bool


def _apply_details(referral: Referral, details: ReferralDetails) -> None:
    if not (details.person_name or "").strip():
        raise ReferralError("Enter the person’s full name")
    referral.person_name = details.person_name.strip()
    referral.contact_method = details.contact_method.value
    referral.contact_details = (
        None if details.contact_method is ContactMethod.THROUGH_LINK_WORKER else details.contact_details
    )
    referral.date_of_birth = details.date_of_birth
    referral.needs = sorted(set(details.needs))
    referral.reasons_text = details.reasons_text or None
    referral.provider_notes = details.provider_notes or None
    referral.safeguarding_flag = details.safeguarding_flag


def can_refer_to(service: Service) -> bool:
    """Return True when a service is listed publicly, so it can receive referrals."""
    return service.listing_status is ListingStatus.PUBLISHED and is_publicly_visible(
        service, utcnow(), int(current_app.config["STALE_HIDE_DAYS"])
    )


def create_draft(service: Service, user: User, details: ReferralDetails) -> Referral:
    """Start a referral to ``service`` for the user's team, as a draft holding the person's details."""
    if user.role is not Role.LINK_WORKER or user.team_id is None:
        raise ReferralError("Only a link worker in a team can make a referral.")
    if not can_refer_to(service):
        raise ReferralError("This service is not listed at the moment, so it cannot take referrals.")
    referral = Referral(
        reference=new_reference(), service=service, organization_id=service.organization_id,
        team_id=user.team_id, created_by=user, status=S.DRAFT,
    )
    _apply_details(referral, details)
    db.session.add(referral)
    db.session.flush()
    db.session.add(ReferralEvent(referral=referral, actor_id=user.id, actor_kind=ActorKind.TEAM.value,
                                 action="create", from_status=None, to_status=S.DRAFT))
    audit.record("referral.create", "referral", referral.id, actor=user, service_id=service.id)
    db.session.flush()
    return referral


def update_draft(referral: Referral, user: User, details: ReferralDetails, *, expected_version: int) -> None:
    """Change the person's details on a draft; any consent given before no longer covers them."""
    require_draft(referral, expected_version)
    _apply_details(referral, details)
    referral.consent_given_at = None  # consent was for the details as they were
    referral.consent_wording = referral.consent_wording_version = None
    audit.record("referral.update_draft", "referral", referral.id, actor=user)
    flush_or_conflict()


def delete_draft(referral: Referral, user: User, *, expected_version: int) -> str:
    """Delete a draft that was never sent, with its details and history; return its reference.

    A draft was never shared with anyone, so nothing is kept but the audit entry (no personal data in it).
    A sent referral is withdrawn instead (``withdraw_for_person``).
    """
    require_draft(referral, expected_version)
    if actor_kind(referral, user) is not ActorKind.TEAM:
        raise ReferralError("You cannot delete this referral.")
    reference = referral.reference
    audit.record("referral.delete_draft", "referral", referral.id, actor=user, service_id=referral.service_id)
    db.session.delete(referral)
    flush_or_conflict()
    return reference


class ServiceFull(ReferralError):
    """The service is full; ``similar`` holds up to three services to offer instead."""

    def __init__(self, service: Service, similar: list[tuple[Service, str | None]]) -> None:
        super().__init__(f"{service.name} is full at the moment, so it cannot take referrals.")
        self.service = service
        self.similar = similar


class NoConsent(ReferralError):
    """The person has not agreed to share their details."""


class WaitingListNotSeen(ReferralError):
    """The service has a waiting list and the link worker has not been shown that yet."""


def send(referral: Referral, user: User, *, expected_version: int, waiting_list_seen: bool) -> ReferralEvent:
    """Send a draft: needs consent and a service that is not full; tells the organisation's members (no personal data)."""
    if referral.consent_given_at is None:
        raise NoConsent("You cannot send this referral: the person has not agreed to share their details.")
    service = referral.service
    if service.capacity_status is CapacityStatus.FULL:
        raise ServiceFull(service, similar_services(service))
    if service.capacity_status is CapacityStatus.WAITING_LIST:
        if not waiting_list_seen:
            raise WaitingListNotSeen(f"{service.name} now has a waiting list. Tell the person before you send.")
        referral.capacity_warning_seen = True
    if not can_refer_to(service):
        raise ReferralError("This service is not listed at the moment, so it cannot take referrals.")
    event = transition(referral, "send", actor=user, expected_version=expected_version)
    notify_new_referral(referral)
    issue_receipt(referral)
    return event


def similar_services(service: Service, limit: int = 3) -> list[tuple[Service, str | None]]:
    """Return up to ``limit`` listed services in the same category that are not full, nearest the venue first."""
    category_ids = [
        a.taxonomy_term_id for a in service.attributes
        if a.taxonomy_term is not None and a.taxonomy_term.taxonomy_id == CATEGORIES_TAXONOMY_ID
    ]
    if not category_ids:
        return []
    candidates = db.session.scalars(
        db.select(Service)
        .join(Attribute, (Attribute.link_id == Service.id) & (Attribute.link_type == "service"))
        .where(
            Attribute.taxonomy_term_id.in_(category_ids),
            Service.id != service.id,
            Service.listing_status == ListingStatus.PUBLISHED,
            Service.capacity_status != CapacityStatus.FULL,
        )
        .distinct()
    ).all()
    origin = next(
        (
            (loc.latitude, loc.longitude)
            for loc in service.locations
            if loc.latitude is not None and loc.longitude is not None
        ),
        None,
    )

    def miles(candidate: Service) -> float | None:
        points = [
            (loc.latitude, loc.longitude)
            for loc in candidate.locations
            if loc.latitude is not None and loc.longitude is not None
        ]
        if origin is None or not points:
            return None
        return min(distance_miles(origin, point) for point in points)

    visible = [c for c in candidates if can_refer_to(c)]
    ranked = sorted(((c, miles(c)) for c in visible), key=lambda pair: (pair[1] is None, pair[1] or 0, pair[0].name))
    return [(c, format_distance(d) if d is not None else None) for c, d in ranked[:limit]]


def create_drafts(services: list[Service], user: User, details: ReferralDetails) -> list[Referral]:
    """Start one draft per chosen service with the same details; each still needs its own consent and check."""
    if not services:
        raise ReferralError("Select at least one service")
    drafts = [create_draft(service, user, details) for service in services]
    return drafts
