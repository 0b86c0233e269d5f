"""Referrals: THE state machine, and the operations around it (drafts, consent, sending, scores, access).

Every status change goes through ``transition``: views, jobs and the CLI all call it. It checks the table
below, records who/when/note as a ``ReferralEvent``, writes the audit entry, and guards against two people
acting at once with optimistic locking (``Referral.version``). Operations never commit: the caller does,
and after a ``TransitionError`` the caller rolls back.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..geo import distance_miles, format_distance
from ..models import (
    Attribute,
    CapacityStatus,
    CloseOutcome,
    ContactMethod,
    DeclineReason,
    ListingStatus,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Role,
    Service,
    User,
    WellbeingScore,
    organization_membership,
    utcnow,
)
from . import audit, outcomes
from .listings import is_publicly_visible
from .taxonomy import CATEGORIES_TAXONOMY_ID

__all__ = [
    "ActorKind",
    "CloseOutcome",
    "ConflictError",
    "DeclineReason",
    "ReferralStatus",
    "TRANSITIONS",
    "TransitionError",
    "transition",
]


class ActorKind(enum.Enum):
    TEAM = "team"  # a link worker in the referring team
    PROVIDER = "provider"  # a member of the receiving organisation
    SYSTEM = "system"  # a scheduled job
    PERSON = "person"  # the person themself, through their consent receipt


# Pass these as ``actor`` when no signed-in user acts.
SYSTEM = ActorKind.SYSTEM
PERSON = ActorKind.PERSON
Actor = User | ActorKind


@dataclass(frozen=True)
class Transition:
    to: ReferralStatus
    actors: frozenset[ActorKind]
    label: str  # what the timeline says happened
    needs_reason: bool = False
    needs_outcome: bool = False


S = ReferralStatus
_TEAM = frozenset({ActorKind.TEAM})
_PROVIDER = frozenset({ActorKind.PROVIDER})
_WITHDRAWABLE = (S.DRAFT, S.SENT, S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED)

# (from status, action) -> transition. Anything not in this table is refused.
TRANSITIONS: dict[tuple[ReferralStatus, str], Transition] = {
    (S.DRAFT, "send"): Transition(S.SENT, _TEAM, "Sent"),
    (S.SENT, "accept"): Transition(S.ACCEPTED, _PROVIDER, "Accepted"),
    (S.SENT, "decline"): Transition(S.DECLINED, _PROVIDER, "Declined", needs_reason=True),
    (S.SENT, "expire"): Transition(S.EXPIRED, frozenset({ActorKind.SYSTEM}), "Expired with no reply"),
    (S.ACCEPTED, "first_contact"): Transition(S.FIRST_CONTACT, _PROVIDER, "First contact made"),
    (S.FIRST_CONTACT, "engage"): Transition(S.ENGAGED, _PROVIDER, "Taking part"),
    (S.ENGAGED, "close"): Transition(S.CLOSED, _PROVIDER, "Closed", needs_outcome=True),
    **{
        (status, "withdraw"): Transition(S.WITHDRAWN, frozenset({ActorKind.TEAM, ActorKind.PERSON}), "Withdrawn")
        for status in _WITHDRAWABLE
    },
}
ACTIONS = sorted({action for _, action in TRANSITIONS})
ACTION_LABELS = {action: step.label for (_, action), step in TRANSITIONS.items()} | {"create": "Draft started"}
TERMINAL = frozenset(S) - {status for status, _ in TRANSITIONS}  # DECLINED, EXPIRED, CLOSED, WITHDRAWN

STATUS_LABELS = {
    S.DRAFT: "Draft",
    S.SENT: "Sent",
    S.ACCEPTED: "Accepted",
    S.DECLINED: "Declined",
    S.EXPIRED: "Expired",
    S.FIRST_CONTACT: "First contact made",
    S.ENGAGED: "Taking part",
    S.CLOSED: "Closed",
    S.WITHDRAWN: "Withdrawn",
}
STATUS_TAG_CLASSES = {
    S.DRAFT: "govuk-tag--grey",
    S.SENT: "govuk-tag--blue",
    S.ACCEPTED: "govuk-tag--turquoise",
    S.DECLINED: "govuk-tag--red",
    S.EXPIRED: "govuk-tag--orange",
    S.FIRST_CONTACT: "govuk-tag--light-blue",
    S.ENGAGED: "govuk-tag--green",
    S.CLOSED: "govuk-tag--grey",
    S.WITHDRAWN: "govuk-tag--grey",
}
DECLINE_REASON_LABELS = {
    DeclineReason.NO_CAPACITY: "We have no space at the moment",
    DeclineReason.NOT_ELIGIBLE: "The person is not eligible for this service",
    DeclineReason.COULD_NOT_CONTACT: "We could not contact the person",
    DeclineReason.OTHER: "Another reason",
}
OUTCOME_LABELS = {
    CloseOutcome.COMPLETED: "Completed",
    CloseOutcome.STOPPED_ATTENDING: "Stopped attending",
    CloseOutcome.PERSON_DECLINED: "The person decided not to take part",
    CloseOutcome.MOVED_AWAY: "Moved away",
    CloseOutcome.OTHER: "Another outcome",
}
CONTACT_METHOD_LABELS = {
    ContactMethod.PHONE: "Phone",
    ContactMethod.EMAIL: "Email",
    ContactMethod.LETTER: "Letter",
    ContactMethod.THROUGH_LINK_WORKER: "Through their link worker",
}

CONFLICT_MESSAGE = "This referral was changed by someone else while you were looking at it. Check its status and try again."


class TransitionError(Exception):
    """A step that is not allowed; the message is written for the person who tried it. Nothing changed."""


class ConflictError(TransitionError):
    """Someone else changed the referral first. The caller must roll back the session."""

    def __init__(self, message: str = CONFLICT_MESSAGE) -> None:
        super().__init__(message)


class ReferralError(Exception):
    """A referral operation was refused; the message is written for the person."""


# ---- who is acting ---------------------------------------------------------------------------------------------

def _member_of(user: User, organization_id: str) -> bool:
    return any(org.id == organization_id for org in user.organizations)


def actor_kind(referral: Referral, actor: Actor) -> ActorKind | None:
    """Return the part ``actor`` plays in this referral, or None when they have no part in it."""
    if isinstance(actor, ActorKind):
        return actor if actor in (ActorKind.SYSTEM, ActorKind.PERSON) else None
    if not actor.is_active:
        return None
    if actor.role is Role.LINK_WORKER and actor.team_id is not None and actor.team_id == referral.team_id:
        return ActorKind.TEAM
    if actor.role is Role.PROVIDER and _member_of(actor, referral.organization_id):
        return ActorKind.PROVIDER
    return None


def can_access_referral(user: Any, capability: str, referral: Referral) -> bool:
    """Decide object-level access to a referral; ``permissions.can`` calls this and nothing else does.

    Personal data is seen by the referring team and, once sent, the receiving organisation. Never by other
    teams, other providers, moderators or commissioners. (Admin access under an audited reason: not yet.)
    """
    if not isinstance(referral, Referral) or not isinstance(user, User):
        return False
    kind = actor_kind(referral, user)
    if capability == "referral.create":  # edit a draft, send, withdraw, see the timeline
        return kind is ActorKind.TEAM
    if capability == "referral.respond":
        return kind is ActorKind.PROVIDER and referral.status is not S.DRAFT
    if capability == "referral.view":
        return kind is ActorKind.TEAM or (kind is ActorKind.PROVIDER and referral.status is not S.DRAFT)
    return False


def available_actions(referral: Referral, actor: Actor) -> list[str]:
    """Return the actions ``actor`` may take on the referral now, in table order."""
    kind = actor_kind(referral, actor)
    return [
        action
        for (status, action), step in TRANSITIONS.items()
        if status is referral.status and kind is not None and kind in step.actors
    ]


# ---- the one place a status changes ------------------------------------------------------------------------------

def transition(
    referral: Referral,
    action: str,
    *,
    actor: Actor,
    note: str | None = None,
    reason: DeclineReason | None = None,
    outcome: CloseOutcome | None = None,
    expected_version: int,
) -> ReferralEvent:
    """Move the referral by ``action``, record who/when/note, and audit it; raise TransitionError if not allowed.

    :param expected_version: the ``version`` the actor saw; if the referral has moved on since, nothing
        changes and ConflictError says so. Two writers that loaded the same version race on the UPDATE's
        ``WHERE version = …``: the loser also gets ConflictError (and must roll back).
    """
    if referral.version != expected_version:
        raise ConflictError()
    step = TRANSITIONS.get((referral.status, action))
    if step is None:
        if action not in ACTIONS:
            raise TransitionError(f"“{action}” is not something that can be done to a referral.")
        raise TransitionError(
            f"This referral is {STATUS_LABELS[referral.status].lower()}, so it cannot be {_past(action)} now."
        )
    kind = actor_kind(referral, actor)
    if kind is None or kind not in step.actors:
        raise TransitionError(f"You cannot {_verb(action)} this referral.")
    if step.needs_reason and not isinstance(reason, DeclineReason):
        raise TransitionError("Select why you are declining the referral.")
    if step.needs_outcome and not isinstance(outcome, CloseOutcome):
        raise TransitionError("Select the outcome of the referral.")
    note = (note or "").strip() or None

    now = utcnow()
    from_status = referral.status
    referral.status = step.to
    if step.to is S.SENT:
        referral.sent_at = now
    if step.to in (S.ACCEPTED, S.DECLINED):
        referral.responded_at = now
    if step.to is S.DECLINED:
        referral.decline_reason = reason
    if step.to in (S.CLOSED, S.WITHDRAWN, S.DECLINED, S.EXPIRED):
        referral.closed_at = now
    if step.to is S.CLOSED:
        referral.outcome = outcome
    user = actor if isinstance(actor, User) else None
    event = ReferralEvent(
        referral=referral, at=now, actor_id=user.id if user else None, actor_kind=kind.value, action=action,
        from_status=from_status, to_status=step.to, note=note,
    )
    db.session.add(event)
    # Never personal data in the audit log: it is kept longer than the referral and read by admins.
    audit.record(
        f"referral.{action}", "referral", referral.id, actor=user,
        actor_kind=kind.value, from_status=from_status.value, to_status=step.to.value,
        **({"decline_reason": reason.value} if reason else {}), **({"outcome": outcome.value} if outcome else {}),
    )
    _flush_or_conflict()
    return event


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError() from error


def _verb(action: str) -> str:
    return {"first_contact": "record first contact on", "engage": "record taking part on"}.get(action, action)


def _past(action: str) -> str:
    return {
        "send": "sent", "accept": "accepted", "decline": "declined", "expire": "expired",
        "first_contact": "marked as contacted", "engage": "marked as taking part", "close": "closed",
        "withdraw": "withdrawn",
    }.get(action, action)


# ---- drafts, consent, sending -------------------------------------------------------------------------------------

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
    referral.person_name = details.person_name
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


def _require_draft(referral: Referral, expected_version: int) -> None:
    if referral.version != expected_version:
        raise ConflictError()
    if referral.status is not S.DRAFT:
        raise ReferralError("This referral has already been sent, so it cannot be changed.")


def update_draft(referral: Referral, user: User, details: ReferralDetails, *, expected_version: int) -> None:
    """Change the person's details on a draft; any consent given before no longer covers them."""
    _require_draft(referral, expected_version)
    _apply_details(referral, details)
    referral.consent_given_at = None  # consent was for the details as they were
    referral.consent_wording = referral.consent_wording_version = None
    audit.record("referral.update_draft", "referral", referral.id, actor=user)
    _flush_or_conflict()


CONSENT_WORDING_VERSION = "2026-1"
CONSENT_WORDINGS = {
    "2026-1": (
        "{person} agreed that I can share their name, how to contact them, their date of birth if given, what "
        "matters to them and anything the provider should know with {organisation}, so that {service} can contact "
        "them about taking part. They know the details are kept safe, used only for this, and that they can "
        "change their mind at any time using their reference number {reference}."
    ),
}


def consent_wording(referral: Referral, version: str = CONSENT_WORDING_VERSION) -> str:
    """Return the exact consent words for this referral, in the given version."""
    return CONSENT_WORDINGS[version].format(
        person=referral.person_name or "The person",
        organisation=referral.service.organization.name,
        service=referral.service.name,
        reference=referral.reference,
    )


def record_consent(referral: Referral, user: User, *, expected_version: int) -> None:
    """Record that the person agreed to the current consent wording, keeping the words shown and the time."""
    _require_draft(referral, expected_version)
    referral.consent_wording_version = CONSENT_WORDING_VERSION
    referral.consent_wording = consent_wording(referral)
    referral.consent_given_at = utcnow()
    audit.record("referral.consent", "referral", referral.id, actor=user, wording_version=CONSENT_WORDING_VERSION)
    _flush_or_conflict()


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
    return event


def notify_new_referral(referral: Referral) -> int:
    """Email each active member of the receiving organisation a sign-in link; return how many were sent."""
    members = db.session.scalars(
        db.select(User)
        .join(organization_membership, organization_membership.c.user_id == User.id)
        .where(organization_membership.c.organization_id == referral.organization_id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    link = url_for("inbox.index", _external=True) if has_request_context() else "/inbox/"
    service_name = current_app.config["SERVICE_NAME"]
    for member in members:
        from ..mail import send_email

        # Deliberately nothing about the person, not even the reference: email is not a safe place for it.
        send_email(
            member.email,
            f"New referral for {referral.service.name}",
            f"Hello {member.name},\n\nA link worker has sent a new referral to {referral.service.name} through "
            f"{service_name}.\n\nSign in to read it and reply:\n{link}\n\nPlease reply within 5 working days.\n",
        )
    return len(members)


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
    origin = next(((loc.latitude, loc.longitude) for loc in service.locations if loc.latitude is not None), None)

    def miles(candidate: Service) -> float | None:
        points = [(loc.latitude, loc.longitude) for loc in candidate.locations if loc.latitude is not None]
        if origin is None or not points:
            return None
        return min(distance_miles(origin, point) for point in points)

    visible = [c for c in candidates if can_refer_to(c)]
    ranked = sorted(((c, miles(c)) for c in visible), key=lambda pair: (pair[1] is None, pair[1] or 0, pair[0].name))
    return [(c, format_distance(d) if d is not None else None) for c, d in ranked[:limit]]


# ---- scores, views of personal data, lists ------------------------------------------------------------------------

def record_scores(
    referral: Referral, actor: User, scale_code: str, stage: str, answers: Mapping[str, Any]
) -> WellbeingScore:
    """Validate and store wellbeing answers for a stage ("referral" or "close"), replacing earlier ones."""
    if stage not in ("referral", "close"):
        raise ValueError(f"Unknown stage {stage!r}")
    scale = outcomes.get_scale(scale_code)
    scores = outcomes.validate_scores(scale, answers)
    for old in [s for s in referral.scores if s.scale == scale_code and s.stage == stage]:
        referral.scores.remove(old)
    score = WellbeingScore(scale=scale_code, stage=stage, items=scores, total=outcomes.total(scale, scores),
                           recorded_by_id=actor.id)
    referral.scores.append(score)
    audit.record("referral.record_scores", "referral", referral.id, actor=actor, scale=scale_code, stage=stage)
    db.session.flush()
    return score


def scores_at(referral: Referral, scale_code: str, stage: str) -> WellbeingScore | None:
    return next((s for s in referral.scores if s.scale == scale_code and s.stage == stage), None)


def wellbeing_change(referral: Referral, scale_code: str = "ons4") -> list[outcomes.ItemChange]:
    """Return the per-item change between referral and close, when both were recorded."""
    before, after = scores_at(referral, scale_code, "referral"), scores_at(referral, scale_code, "close")
    if before is None or after is None:
        return []
    return outcomes.change(outcomes.get_scale(scale_code), before.items, after.items)


def record_personal_data_view(referral: Referral, user: User, page: str) -> None:
    """Write to the audit log that ``user`` saw the person's details (every view is recorded)."""
    audit.record("referral.view_personal_data", "referral", referral.id, actor=user, page=page)


def working_days_before(moment: datetime, days: int) -> datetime:
    """Return the time ``days`` working days (Monday to Friday) before ``moment``. Bank holidays are not counted."""
    current = moment
    remaining = days
    while remaining > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def overdue_cutoff(now: datetime | None = None) -> datetime:
    """Return the time before which a still-unanswered sent referral is overdue."""
    return working_days_before(now or utcnow(), int(current_app.config["REFERRAL_OVERDUE_WORKING_DAYS"]))


def is_overdue(referral: Referral, now: datetime | None = None) -> bool:
    return referral.status is S.SENT and referral.sent_at is not None and referral.sent_at < overdue_cutoff(now)


def team_caseload(team_id: str, status: ReferralStatus | None = None, overdue: bool = False) -> list[Referral]:
    """Return the team's referrals, newest first, optionally by status or only the overdue ones."""
    query = db.select(Referral).where(Referral.team_id == team_id)
    if status is not None:
        query = query.where(Referral.status == status)
    if overdue:
        query = query.where(Referral.status == S.SENT, Referral.sent_at < overdue_cutoff())
    return list(db.session.scalars(query.order_by(Referral.created_at.desc(), Referral.id)))


def organisation_inbox(user: User, status: ReferralStatus | None = None) -> list[Referral]:
    """Return referrals sent to the user's organisations (never drafts), newest first."""
    org_ids = [org.id for org in user.organizations]
    if not org_ids:
        return []
    query = db.select(Referral).where(Referral.organization_id.in_(org_ids), Referral.status != S.DRAFT)
    if status is not None:
        query = query.where(Referral.status == status)
    return list(db.session.scalars(query.order_by(Referral.sent_at.desc(), Referral.id)))
