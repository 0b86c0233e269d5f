"""Claims of listings nobody manages yet: proved by a link sent to the listing's published address, or by a moderator.

Becoming a member of the listing's organisation happens here and nowhere else for claims; every decision is audited
and the claimant is told by email.
"""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..mail import email_link, send_email
from ..models import (
    ClaimMethod,
    ClaimStatus,
    ListingClaim,
    ListingStatus,
    Service,
    User,
    organization_membership,
    utcnow,
)
from ..signed_links import LinkInvalid, LinkPurpose, make_link_token, read_link_token
from . import audit
from .registration import LinkUsed


class ClaimError(ValueError):
    """A claim that cannot be made or decided as asked; the message is for the person."""


def has_members(organization_id: str) -> bool:
    """Return True when somebody already manages the organisation's listings."""
    return db.session.scalar(
        db.select(organization_membership.c.user_id)
        .where(organization_membership.c.organization_id == organization_id)
        .limit(1)
    ) is not None


def is_claimable(service: Service) -> bool:
    """A published listing whose organisation has no members may be claimed."""
    return service.listing_status is ListingStatus.PUBLISHED and not has_members(service.organization_id)


def claim_address(service: Service) -> str | None:
    """The published address a claim's link goes to: the listing's own, else its organisation's."""
    return service.email or service.organization.email or None


def _pending_claim_by(service: Service, claimant: User) -> ListingClaim | None:
    return db.session.scalars(
        db.select(ListingClaim).where(
            ListingClaim.service_id == service.id, ListingClaim.claimant_id == claimant.id,
            ListingClaim.status == ClaimStatus.PENDING,
        )
    ).first()


def start_claim(service: Service, claimant: User, connection: str) -> ListingClaim:
    """Record ``claimant``'s claim; email the proof link to the listing's address, or queue it for a moderator."""
    if not is_claimable(service):
        raise ClaimError(
            f"{service.organization.name} already manages this listing. If you work there, ask a colleague to invite you."
        )
    claim = _pending_claim_by(service, claimant)
    if claim is None:
        address = claim_address(service)
        claim = ListingClaim(
            service_id=service.id, organization_id=service.organization_id, claimant_id=claimant.id,
            method=ClaimMethod.EMAIL_LINK if address else ClaimMethod.MODERATOR, status=ClaimStatus.PENDING,
            connection=(connection or "").strip(), sent_to=address,
        )
        db.session.add(claim)
        db.session.flush()
        audit.record("listing.claim.start", "service", service.id, actor=claimant, claim_id=claim.id,
                     method=claim.method.value)
    if claim.method is ClaimMethod.EMAIL_LINK and claim.sent_to:
        _send_claim_link(claim)
    return claim


def _send_claim_link(claim: ListingClaim) -> None:
    link = email_link("registration.confirm_claim", token=make_link_token(LinkPurpose.CLAIM_LISTING, {"claim": claim.id}))
    days = current_app.config["CLAIM_LINK_MAX_AGE"] // 86400
    body = (
        f"Hello,\n\n{claim.claimant.name} ({claim.claimant.email}) has asked to manage the listing "
        f"“{claim.service.name}” on {current_app.config['SERVICE_NAME']}. This email address is published on it, "
        "so we are asking you to confirm.\n\n"
        f"If {claim.claimant.name} may update this listing, open this link within {days} days and confirm:\n\n{link}\n\n"
        "The link works once. If you do not know this person, ignore this email and nothing will change.\n"
    )
    assert claim.sent_to is not None
    send_email(claim.sent_to, f"Confirm who manages {claim.service.name}", body, secret=True)


def claim_for_token(token: str) -> ListingClaim:
    """Return the pending claim a link is for; raise ``LinkExpired``, ``LinkUsed`` or ``LinkInvalid``."""
    payload = read_link_token(LinkPurpose.CLAIM_LISTING, token, current_app.config["CLAIM_LINK_MAX_AGE"])
    claim_id = payload.get("claim")
    claim = db.session.get(ListingClaim, claim_id) if isinstance(claim_id, str) else None
    if claim is None or claim.method is not ClaimMethod.EMAIL_LINK:
        raise LinkInvalid("no such claim")
    if claim.status is not ClaimStatus.PENDING:
        raise LinkUsed("already decided")
    return claim


def _add_member(claim: ListingClaim) -> None:
    claimant = claim.claimant
    if not any(org.id == claim.organization_id for org in claimant.organizations):
        claimant.organizations.append(claim.organization)


def confirm_by_email(claim: ListingClaim) -> ListingClaim:
    """The holder of the listing's address confirmed: the claimant becomes a member."""
    if claim.status is not ClaimStatus.PENDING:
        raise ClaimError("This claim has already been decided.")
    claim.status = ClaimStatus.APPROVED
    claim.decided_at = utcnow()
    _add_member(claim)
    audit.record("listing.claim.confirm_by_email", "service", claim.service_id, actor=claim.claimant,
                 claim_id=claim.id, sent_to=claim.sent_to)
    db.session.flush()
    _tell_claimant(claim, f"You can now manage {claim.service.name}",
                   f"The owner of {claim.sent_to} confirmed your claim of “{claim.service.name}”.")
    return claim


def pending_claims() -> list[ListingClaim]:
    """Claims waiting for a moderator (listings with no published address), oldest first."""
    return list(
        db.session.scalars(
            db.select(ListingClaim)
            .where(ListingClaim.status == ClaimStatus.PENDING, ListingClaim.method == ClaimMethod.MODERATOR)
            .order_by(ListingClaim.created_at, ListingClaim.id)
        )
    )


def approve(claim: ListingClaim, moderator: User) -> ListingClaim:
    """A moderator approves the claim: the claimant becomes a member of the listing's organisation."""
    if claim.status is not ClaimStatus.PENDING:
        raise ClaimError("This claim has already been decided.")
    claim.status = ClaimStatus.APPROVED
    claim.decided_at = utcnow()
    claim.decided_by_id = moderator.id
    _add_member(claim)
    audit.record("listing.claim.approve", "service", claim.service_id, actor=moderator, claim_id=claim.id,
                 claimant_id=claim.claimant_id)
    db.session.flush()
    _tell_claimant(claim, f"You can now manage {claim.service.name}",
                   f"A moderator approved your claim of “{claim.service.name}”.")
    return claim


def reject(claim: ListingClaim, moderator: User, reason: str) -> ListingClaim:
    """A moderator rejects the claim with a reason the claimant is told."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError("Enter the reason you are rejecting this claim")
    if claim.status is not ClaimStatus.PENDING:
        raise ClaimError("This claim has already been decided.")
    claim.status = ClaimStatus.REJECTED
    claim.decided_at = utcnow()
    claim.decided_by_id = moderator.id
    claim.reason = reason
    audit.record("listing.claim.reject", "service", claim.service_id, actor=moderator, reason=reason,
                 claim_id=claim.id, claimant_id=claim.claimant_id)
    db.session.flush()
    send_email(
        claim.claimant.email, f"Your claim of {claim.service.name} was not approved",
        f"Hello {claim.claimant.name},\n\nA moderator did not approve your claim of “{claim.service.name}”.\n\n"
        f"The reason they gave:\n{reason}\n\nYou can ask again with more detail about how you run the service.\n",
    )
    return claim


def _tell_claimant(claim: ListingClaim, subject: str, what: str) -> None:
    send_email(
        claim.claimant.email, subject,
        f"Hello {claim.claimant.name},\n\n{what} You are now a member of {claim.organization.name} and can keep its "
        f"listings up to date when you sign in:\n\n{email_link('providers.listings')}\n",
    )
