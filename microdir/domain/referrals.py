"""Referrals: THE state machine, and the operations around it (drafts, consent, sending, scores, access).

Every status change goes through ``transition``: views, jobs and the CLI all call it. It checks the table
below, records who/when/note as a ``ReferralEvent``, writes the audit entry, and guards against two people
acting at once with optimistic locking (``Referral.version``). Operations never commit: the caller does,
and after a ``TransitionError`` the caller rolls back.
"""

from __future__ import annotations

import enum
import functools
import secrets
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import holidays
from flask import current_app, has_request_context, session
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..geo import distance_miles, format_distance
from ..mail import email_link
from ..models import (
    Attribute,
    CapacityStatus,
    CloseOutcome,
    ContactMethod,
    DeclineReason,
    ListingStatus,
    OutboundEmail,
    Referral,
    ReferralEvent,
    ReferralNudge,
    ReferralStatus,
    Role,
    Service,
    User,
    WellbeingScore,
    organization_membership,
    utcnow,
)
from ..models.referrals import PERSON_PLACEHOLDER
from ..wording import format_date
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
    outcomes: frozenset[CloseOutcome] | None = None  # the outcomes this step accepts (None: any)


S = ReferralStatus
_TEAM = frozenset({ActorKind.TEAM})
_PROVIDER = frozenset({ActorKind.PROVIDER})
_WITHDRAWABLE = (S.DRAFT, S.SENT, S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED)
_EITHER_SIDE = frozenset({ActorKind.TEAM, ActorKind.PROVIDER})
# Accepted, but the person never started: either side records why, and that closes the referral.
DID_NOT_START_OUTCOMES = frozenset({CloseOutcome.NOT_REACHED, CloseOutcome.CHANGED_MIND, CloseOutcome.NOT_SUITABLE})
CLOSE_OUTCOMES = frozenset(CloseOutcome) - DID_NOT_START_OUTCOMES

# (from status, action) -> transition. Anything not in this table is refused.
TRANSITIONS: dict[tuple[ReferralStatus, str], Transition] = {
    (S.DRAFT, "send"): Transition(S.SENT, _TEAM, "Sent"),
    (S.SENT, "accept"): Transition(S.ACCEPTED, _PROVIDER, "Accepted"),
    (S.SENT, "decline"): Transition(S.DECLINED, _PROVIDER, "Declined", needs_reason=True),
    (S.SENT, "expire"): Transition(S.EXPIRED, frozenset({ActorKind.SYSTEM}), "Expired with no reply"),
    (S.ACCEPTED, "first_contact"): Transition(S.FIRST_CONTACT, _PROVIDER, "First contact made"),
    (S.FIRST_CONTACT, "engage"): Transition(S.ENGAGED, _PROVIDER, "Taking part"),
    (S.ENGAGED, "close"): Transition(S.CLOSED, _EITHER_SIDE, "Closed", needs_outcome=True, outcomes=CLOSE_OUTCOMES),
    **{
        (status, "did_not_start"): Transition(S.CLOSED, _EITHER_SIDE, "Did not start", needs_outcome=True,
                                              outcomes=DID_NOT_START_OUTCOMES)
        for status in (S.ACCEPTED, S.FIRST_CONTACT)
    },
    **{
        (status, "withdraw"): Transition(S.WITHDRAWN, frozenset({ActorKind.TEAM, ActorKind.PERSON}), "Withdrawn")
        for status in _WITHDRAWABLE
    },
    # No activity for REFERRAL_INACTIVE_MONTHS: a job closes it, telling both sides; then retention applies.
    **{
        (status, "close_inactive"): Transition(S.CLOSED, frozenset({ActorKind.SYSTEM}), "Closed: no update")
        for status in (S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED)
    },
}
ACTIONS = sorted({action for _, action in TRANSITIONS})
ACTION_LABELS = {action: step.label for (_, action), step in TRANSITIONS.items()} | {
    "create": "Draft started", "note": "Note", "erase": "Personal details removed"}
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
    CloseOutcome.NOT_REACHED: "Did not start: the person could not be reached",
    CloseOutcome.CHANGED_MIND: "Did not start: the person changed their mind",
    CloseOutcome.NOT_SUITABLE: "Did not start: the service was not suitable for them",
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
    teams, other providers, moderators or commissioners. An admin sees it only after giving an audited reason
    for this referral, for a while, in that browser session (``grant_admin_access``); admins never act on it.
    """
    if not isinstance(referral, Referral) or not isinstance(user, User):
        return False
    if user.role is Role.ADMIN:
        return capability == "referral.view" and user.is_active and admin_access_granted(referral, user)
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
    if step.outcomes is not None and outcome not in step.outcomes:
        raise TransitionError("Select one of the outcomes offered.")
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
    _tell_both_sides(referral, action, from_status, user)
    return event


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError() from error


def _verb(action: str) -> str:
    return {"first_contact": "record first contact on", "engage": "record taking part on",
            "did_not_start": "record that the person did not start on"}.get(action, action)


def _past(action: str) -> str:
    return {
        "send": "sent", "accept": "accepted", "decline": "declined", "expire": "expired",
        "first_contact": "marked as contacted", "engage": "marked as taking part", "close": "closed",
        "withdraw": "withdrawn", "did_not_start": "closed as not started", "close_inactive": "closed",
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


def delete_draft(referral: Referral, user: User, *, expected_version: int) -> str:
    """Delete a draft that was never sent, with its details and history; return its reference.

    A draft was never shared with anyone, so nothing is kept but the audit entry (no personal data in it).
    A sent referral is withdrawn instead (``withdraw_for_person``).
    """
    _require_draft(referral, expected_version)
    if actor_kind(referral, user) is not ActorKind.TEAM:
        raise ReferralError("You cannot delete this referral.")
    reference = referral.reference
    audit.record("referral.delete_draft", "referral", referral.id, actor=user, service_id=referral.service_id)
    db.session.delete(referral)
    _flush_or_conflict()
    return reference


_CONSENT_2026 = (
    "{person} agreed that I can share their name, how to contact them, their date of birth if given, what "
    "matters to them and anything the provider should know with {organisation}, so that {service} can contact "
    "them about taking part. They know the details are kept safe, used only for this, and that they can "
    "change their mind at any time using their reference number {reference}."
)
# Version 2026-2 (issue 15) says what happens to the wellbeing scores; the person chooses whether the provider
# may see them, and the version recorded says which wording they agreed to.
WELLBEING_KEPT = " Their wellbeing scores stay with their link worker’s team and are not shared with {organisation}."
WELLBEING_SHARED = (" They also agreed that {organisation} may see the wellbeing scores they give, to see how "
                    "they are getting on.")
CONSENT_WORDING_VERSION = "2026-2"
CONSENT_WORDING_WITH_WELLBEING = "2026-2-wellbeing"
CONSENT_WORDINGS = {
    "2026-1": _CONSENT_2026,
    "2026-2": _CONSENT_2026 + WELLBEING_KEPT,
    "2026-2-wellbeing": _CONSENT_2026 + WELLBEING_SHARED,
}
# The versions whose words told the person the provider would see their wellbeing scores.
WELLBEING_SHARED_VERSIONS = frozenset({"2026-2-wellbeing"})


def consent_wording(referral: Referral, version: str = CONSENT_WORDING_VERSION, *,
                    person: str | None = None) -> str:
    """Return the exact consent words for this referral, in the given version, with the person's name.

    ``person="{person}"`` gives the stored form, whose name is filled in from the encrypted field when shown.
    """
    return CONSENT_WORDINGS[version].format(
        person=person or referral.person_name or "The person",
        organisation=referral.service.organization.name,
        service=referral.service.name,
        reference=referral.reference,
    )


def consent_template(wording: str, person_name: str | None) -> str:
    """Return stored consent words with the person's name replaced by the placeholder (for older rows)."""
    if person_name and person_name in wording:
        return wording.replace(person_name, PERSON_PLACEHOLDER)
    return wording


def record_consent(referral: Referral, user: User, *, expected_version: int, share_wellbeing: bool = False) -> None:
    """Record that the person agreed to the consent wording, keeping the words shown, the version and the time."""
    _require_draft(referral, expected_version)
    version = CONSENT_WORDING_WITH_WELLBEING if share_wellbeing else CONSENT_WORDING_VERSION
    referral.consent_wording_version = version
    referral.consent_wording = consent_wording(referral, version, person=PERSON_PLACEHOLDER)  # no name in plain text
    referral.consent_given_at = utcnow()
    audit.record("referral.consent", "referral", referral.id, actor=user, wording_version=version)
    _flush_or_conflict()


def wellbeing_shared_with_provider(referral: Referral) -> bool:
    """True only when the consent wording the person agreed to said the provider would see their scores."""
    return referral.consent_wording_version in WELLBEING_SHARED_VERSIONS


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


def organisation_members(organization_id: str) -> list[User]:
    """Return the active members of an organisation, who answer its referrals."""
    return list(db.session.scalars(
        db.select(User)
        .join(organization_membership, organization_membership.c.user_id == User.id)
        .where(organization_membership.c.organization_id == organization_id, User.active.is_(True))
        .order_by(User.id)
    ))


def notify_new_referral(referral: Referral) -> int:
    """Email each active member of the receiving organisation a sign-in link; return how many were sent."""
    members = organisation_members(referral.organization_id)
    link = email_link("inbox.index")
    service_name = current_app.config["SERVICE_NAME"]
    days = int(current_app.config["REFERRAL_OVERDUE_WORKING_DAYS"])
    for member in members:
        # Deliberately nothing about the person, not even the reference: email is not a safe place for it.
        _email(
            member.email,
            f"New referral for {referral.service.name}",
            f"Hello {member.name},\n\nA link worker has sent a new referral to {referral.service.name} through "
            f"{service_name}.\n\nSign in to read it and reply:\n{link}\n\nPlease reply within {days} working days.\n",
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


STAGES = ("referral", "follow_up", "close")  # baseline; the link worker's follow-up; the provider's at close
FOLLOW_UP_STATUSES = (S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED, S.CLOSED)


# ---- scores, views of personal data, lists ------------------------------------------------------------------------

def record_scores(
    referral: Referral, actor: User, scale_code: str, stage: str, answers: Mapping[str, Any]
) -> WellbeingScore:
    """Validate and store wellbeing answers for a stage ("referral" or "close"), replacing earlier ones."""
    if stage not in STAGES:
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


def set_follow_up(referral: Referral, user: User, on: date, *, expected_version: int) -> None:
    """Set when the link worker asks the wellbeing questions again (the caseload reminds them on the day)."""
    if referral.version != expected_version:
        raise ConflictError()
    if actor_kind(referral, user) is not ActorKind.TEAM or referral.status not in FOLLOW_UP_STATUSES:
        raise ReferralError("You cannot set a follow-up date on this referral.")
    if on < utcnow().date():
        raise ReferralError("Follow-up date must be today or in the future")
    referral.follow_up_on = on
    audit.record("referral.follow_up_date", "referral", referral.id, actor=user, on=on.isoformat())
    _flush_or_conflict()


def count_follow_ups_due(team_id: str, today: date) -> int:
    """How many of the team's open referrals have a follow-up due by ``today`` and no follow-up scores yet."""
    due = db.session.scalars(db.select(Referral).where(
        Referral.team_id == team_id, Referral.status.in_(FOLLOW_UP_STATUSES),
        Referral.follow_up_on.is_not(None), Referral.follow_up_on <= today))
    return sum(1 for r in due if not has_follow_up_scores(r))


def scores_at(referral: Referral, scale_code: str, stage: str) -> WellbeingScore | None:
    return next((s for s in referral.scores if s.scale == scale_code and s.stage == stage), None)


def has_follow_up_scores(referral: Referral) -> bool:
    """True once follow-up scores are recorded on any scale the follow-up offers: the follow-up is done."""
    return any(s.stage == "follow_up" for s in referral.scores)


def follow_up_scales(referral: Referral) -> list[tuple[outcomes.Scale, WellbeingScore | None]]:
    """Return every scale the follow-up offers (ONS4, then OUTCOME_SCALES), each with its follow-up scores if any."""
    return [(scale, scores_at(referral, code, "follow_up")) for code, scale in outcomes.scales().items()]


def wellbeing_change(referral: Referral, scale_code: str = "ons4") -> list[outcomes.ItemChange]:
    """Return the per-item change between referral and the latest later scores (follow-up or close)."""
    before = scores_at(referral, scale_code, "referral")
    later = [s for s in (scores_at(referral, scale_code, "follow_up"), scores_at(referral, scale_code, "close")) if s]
    after = max(later, key=lambda s: (s.recorded_at, s.id or 0)) if later else None
    if before is None or after is None:
        return []
    return outcomes.change(outcomes.get_scale(scale_code), before.items, after.items)


def record_personal_data_view(referral: Referral, user: User, page: str) -> None:
    """Write to the audit log that ``user`` saw the person's details (every view is recorded)."""
    audit.record("referral.view_personal_data", "referral", referral.id, actor=user, page=page)


def is_working_day(day: date, region: str) -> bool:
    """Monday to Friday, and not a bank holiday in ``region`` (a UK nation code; "" counts weekends only)."""
    return day.weekday() < 5 and not (region and day in _bank_holidays(region, day.year))


@functools.lru_cache(maxsize=32)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=year))


def working_days_before(moment: datetime, days: int, region: str | None = None) -> datetime:
    """Return the time ``days`` working days before ``moment``; ``region`` defaults to BANK_HOLIDAYS_REGION.

    Steps back a day at a time, counting the step when the day it leaves is a working day: so the hours of a
    bank holiday or a weekend never count, even when ``moment`` falls on one.
    """
    region = current_app.config["BANK_HOLIDAYS_REGION"] if region is None else region
    current = moment
    remaining = days
    while remaining > 0:
        if is_working_day(current.date(), region):
            remaining -= 1
        current -= timedelta(days=1)
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


# ---- emails (never any personal data: email is not a safe place for it) ------------------------------------------

def _email(to: str, subject: str, body: str, *, secret: bool = False) -> OutboundEmail:
    from ..mail import send_email

    return send_email(to, subject, body, secret=secret)


def referring_link_workers(referral: Referral) -> list[User]:
    """Return the link workers who made or sent the referral and are still in the team; else the whole team."""
    ids = {referral.created_by_id} | {e.actor_id for e in referral.events if e.actor_kind == ActorKind.TEAM.value}
    people = [u for u in (db.session.get(User, i) for i in ids if i is not None) if u is not None]
    people = [u for u in people if u.is_active and u.role is Role.LINK_WORKER and u.team_id == referral.team_id]
    if not people:
        people = list(db.session.scalars(db.select(User).where(
            User.team_id == referral.team_id, User.role == Role.LINK_WORKER, User.active.is_(True))))
    return sorted(people, key=lambda u: u.id)


_TEAM_NEWS = {
    "accept": ("accepted", "{organisation} accepted a referral your team sent to {service}."),
    "decline": ("declined", "{organisation} declined a referral your team sent to {service}. Sign in to see why."),
    "close": ("closed", "{organisation} closed a referral your team sent to {service}. Sign in to see the outcome."),
    "did_not_start": ("closed", "A referral your team sent to {service} was closed: the person did not start. "
                                "Sign in to see why."),
    "withdraw": ("withdrawn", "A referral your team sent to {service} has been withdrawn."),
    "expire": ("expired", "A referral your team sent to {service} had no reply from {organisation} and has expired. "
                          "You may want to refer the person somewhere else."),
    "close_inactive": ("closed", "A referral your team sent to {service} had no update for {months} months, so it "
                                 "has been closed with no update. The person’s details will be removed in time."),
}


def _tell_both_sides(referral: Referral, action: str, from_status: ReferralStatus, actor: User | None) -> None:
    """After a status change: tell the referring link workers, and the provider when a sent referral is withdrawn."""
    names = {"organisation": referral.organization.name, "service": referral.service.name,
             "months": current_app.config["REFERRAL_INACTIVE_MONTHS"]}
    by_team = actor is not None and actor.role is Role.LINK_WORKER
    if action in ("close", "did_not_start") and by_team:
        # Either side may close: when the link worker does, the provider is the one to tell.
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            _email(member.email, f"Referral to {referral.service.name} closed",
                   f"Hello {member.name},\n\nThe link worker closed a referral to {referral.service.name}.\n\n"
                   f"Sign in to see the outcome:\n{link}\n")
        return
    if action in _TEAM_NEWS:
        word, sentence = _TEAM_NEWS[action]
        link = email_link("referrals.timeline", referral_id=referral.id)
        for person in referring_link_workers(referral):
            if actor is not None and person.id == actor.id:
                continue  # they did it; they know
            _email(person.email, f"Referral to {referral.service.name} {word}",
                   f"Hello {person.name},\n\n{sentence.format(**names)}\n\nSign in to see the referral:\n{link}\n")
    if action == "withdraw" and from_status is not S.DRAFT:
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            _email(member.email, f"Referral to {referral.service.name} withdrawn",
                   f"Hello {member.name},\n\nA referral to {referral.service.name} has been withdrawn. Please do not "
                   f"contact the person about it.\n\nSign in to see which one:\n{link}\n")
    if action == "close_inactive":
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            _email(member.email, f"Referral to {referral.service.name} closed",
                   f"Hello {member.name},\n\nA referral to {referral.service.name} had no update for "
                   f"{names['months']} months, so it has been closed with no update.\n\nSign in to see which one:"
                   f"\n{link}\n")


# ---- notes between the provider and the link worker (no status change) ------------------------------------------

def add_note(referral: Referral, user: User, text: str) -> ReferralEvent:
    """Add a note to the referral's history for the other side to read, and tell them there is one (no content)."""
    kind = actor_kind(referral, user)
    if kind not in (ActorKind.TEAM, ActorKind.PROVIDER) or (kind is ActorKind.PROVIDER and referral.status is S.DRAFT):
        raise ReferralError("You cannot add a note to this referral.")
    if referral.erased_at is not None:
        raise ReferralError("The person’s details have been removed, so notes can no longer be added.")
    text = (text or "").strip()
    if not text:
        raise ReferralError("Enter a note")
    event = ReferralEvent(referral=referral, at=utcnow(), actor_id=user.id, actor_kind=kind.value, action="note",
                          from_status=referral.status, to_status=referral.status, note=text)
    db.session.add(event)
    audit.record("referral.note", "referral", referral.id, actor=user, actor_kind=kind.value)
    db.session.flush()
    service = referral.service.name
    if kind is ActorKind.PROVIDER:
        recipients = referring_link_workers(referral)
        link = email_link("referrals.timeline", referral_id=referral.id)
        sentence = f"{referral.organization.name} added a note to a referral your team sent to {service}."
    else:
        recipients = organisation_members(referral.organization_id) if referral.status is not S.DRAFT else []
        link = email_link("inbox.referral", referral_id=referral.id)
        sentence = f"The link worker added a note to a referral to {service}."
    for person in recipients:
        _email(person.email, f"New note on a referral to {service}",
               f"Hello {person.name},\n\n{sentence}\n\nSign in to read it:\n{link}\n")
    return event


# ---- consent receipt, withdrawal by the person, erasure ------------------------------------------------------------

def receipt_withdraw_link(referral: Referral) -> str:
    from ..signed_links import LinkPurpose, make_link_token

    token = make_link_token(LinkPurpose.REFERRAL_RECEIPT, {"r": referral.id})
    return email_link("referral_receipt.confirm", token=token)


def shared_items(referral: Referral) -> list[str]:
    """Return, in the person's terms and in general terms, what the referral shares with the provider."""
    contact = referral.contact
    items = ["your name"]
    if contact is not None:
        items.append(f"how you want to be contacted ({CONTACT_METHOD_LABELS[contact].lower()})"
                     + (" and your contact details" if referral.contact_details else ""))
    if referral.date_of_birth:
        items.append("your date of birth")
    if referral.needs:
        # In general terms only: the needs themselves can be health data, and email is not a safe place for them.
        items.append("what matters to you, as you told your link worker")
    if referral.reasons_text:
        items.append("what you would like to get from the service, in your own words")
    if referral.provider_notes:
        items.append("anything the service should know, such as access needs")
    if referral.safeguarding_flag:
        items.append("that your link worker would like to talk to them before they contact you")
    return items


def receipt_email_body(referral: Referral, withdraw_link: str) -> str:
    check = "your date of birth" if referral.date_of_birth else "your email address"
    shared = "\n".join(f"- {item}" for item in shared_items(referral))
    when = format_date(referral.consent_given_at or utcnow())
    return (
        f"Hello {referral.person_name},\n\n"
        f"Your link worker at {referral.team.name} has referred you to {referral.service.name}, run by "
        f"{referral.organization.name}.\n\nYour reference number is {referral.reference}. Keep it: you can use it "
        f"to ask about the referral.\n\nWhat we shared with {referral.organization.name}:\n{shared}\n\n"
        f"Why: so that {referral.service.name} can contact you about taking part. They may use these details only "
        f"for this. You agreed to this on {when}.\n\n"
        f"If you change your mind, you can withdraw the referral and we will delete your details:\n{withdraw_link}\n\n"
        f"Or go to {email_link('referral_receipt.start')} and enter your reference number and {check}.\n"
    )


def receipt_sms_text(referral: Referral) -> str:
    return (
        f"{current_app.config['SERVICE_NAME']}: you were referred to {referral.service.name}. Ref {referral.reference}. "
        f"To change your mind go to {email_link('referral_receipt.start')} and enter the ref and the last 4 digits "
        f"of this phone number."
    )


def issue_receipt(referral: Referral) -> None:
    """Give the person their receipt: emailed when they gave an email address; a text for the link worker to
    read out or send when they gave a phone number (we have no SMS gateway, so it is stored as not sent)."""
    contact = referral.contact
    if contact is ContactMethod.EMAIL and referral.contact_details:
        message = _email(referral.contact_details, f"Your referral to {referral.service.name}",
                         receipt_email_body(referral, receipt_withdraw_link(referral)), secret=True)
        referral.receipt_email_id = message.id
    elif contact is ContactMethod.PHONE and referral.contact_details:
        referral.receipt_sms_text = receipt_sms_text(referral)
    audit.record("referral.receipt", "referral", referral.id, actor=None,
                 channel=contact.value if contact else None, emailed=referral.receipt_email_id is not None)
    db.session.flush()


ERASED_ADDRESS = "(removed after sending)"


def _digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def find_for_person(reference: str, *, date_of_birth: date | None = None, phone_last4: str | None = None,
                    email: str | None = None) -> Referral | None:
    """Return the referral with this reference when one of the given details matches what the person gave."""
    reference = normalise_reference(reference)
    referral = db.session.scalar(db.select(Referral).where(Referral.reference == reference))
    if referral is None or referral.erased_at is not None:
        return None
    contact = referral.contact
    if date_of_birth is not None and referral.date_of_birth == date_of_birth:
        return referral
    last4 = _digits(phone_last4)
    if len(last4) == 4 and contact is ContactMethod.PHONE and _digits(referral.contact_details)[-4:] == last4:
        return referral
    if (email and contact is ContactMethod.EMAIL
            and (referral.contact_details or "").strip().casefold() == email.strip().casefold()):
        return referral
    return None


def normalise_reference(text: str) -> str:
    """Accept a reference as people type it: any case, spaces or no dashes."""
    body = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if body.startswith("MD"):
        body = body[2:]
    return f"MD-{body[:4]}-{body[4:]}" if len(body) == 8 else (text or "").strip().upper()


def erase_personal_data(referral: Referral, *, why: str) -> bool:
    """Remove the person's details, keeping anonymous facts (service, dates, needs, outcome, scores). Idempotent."""
    if referral.erased_at is not None:
        return False
    for name in ("person_name", "contact_method", "contact_details", "date_of_birth", "reasons_text",
                 "provider_notes", "receipt_sms_text"):
        setattr(referral, name, None)
    if referral.consent_wording:  # keep what was agreed; older rows may still hold the name
        referral.consent_wording = consent_template(referral.consent_wording, referral.person_name)
    for event in referral.events:
        event.note = None
    if referral.receipt_email_id is not None:
        message = db.session.get(OutboundEmail, referral.receipt_email_id)
        if message is not None and message.sent_at is None:
            db.session.delete(message)  # never sent: do not keep the address for a retry
        elif message is not None:
            message.to = message.body = None  # already erased when sent; never keep them
    referral.erased_at = utcnow()
    db.session.add(ReferralEvent(referral=referral, at=referral.erased_at, actor_kind=ActorKind.SYSTEM.value,
                                 action="erase", from_status=referral.status, to_status=referral.status))
    audit.record("referral.erase", "referral", referral.id, actor=None, why=why)
    _flush_or_conflict()
    return True


def withdraw_by_person(referral: Referral) -> str:
    """The person changed their mind: stop the referral (telling both sides) and erase their details.

    Returns "withdrawn", "erased" (it had already ended: details removed) or "nothing" (already removed).
    """
    if referral.erased_at is not None:
        return "nothing"
    if "withdraw" in available_actions(referral, PERSON):
        transition(referral, "withdraw", actor=PERSON, note=None, expected_version=referral.version)
        erase_personal_data(referral, why="withdrawn by the person")
        return "withdrawn"
    erase_personal_data(referral, why="the person asked, after the referral ended")
    return "erased"


def withdraw_for_person(referral: Referral, actor: User, *, expected_version: int) -> ReferralEvent:
    """The person asked their link worker to withdraw: stop the referral (telling both sides) and erase their details.

    A withdrawal is always the person's wish (see TRANSITIONS), so it erases as the consent receipt's does.
    """
    event = transition(referral, "withdraw", actor=actor, expected_version=expected_version)
    erase_personal_data(referral, why="withdrawn by the link worker at the person's request")
    return event


# ---- jobs: nudges for unanswered referrals, and retention -----------------------------------------------------------

NUDGE_PROVIDER = "provider_reminder"
NUDGE_LINK_WORKER = "link_worker_unanswered"


def _nudged(referral: Referral, kind: str) -> bool:
    return any(n.kind == kind for n in referral.nudges)


def _record_nudge(referral: Referral, kind: str, recipients: int) -> None:
    referral.nudges.append(ReferralNudge(kind=kind, sent_at=utcnow(), recipients=recipients))
    audit.record(f"referral.nudge.{kind}", "referral", referral.id, actor=None, recipients=recipients)


def chase_unanswered(now: datetime | None = None) -> dict[str, int]:
    """Remind the provider, then tell the link worker, then expire: each once, by working days since sending."""
    now = now or utcnow()
    config = current_app.config
    remind_before = working_days_before(now, int(config["REFERRAL_OVERDUE_WORKING_DAYS"]))
    escalate_before = working_days_before(now, int(config["REFERRAL_ESCALATE_WORKING_DAYS"]))
    expire_before = working_days_before(now, int(config["REFERRAL_EXPIRE_WORKING_DAYS"]))
    counts = {"reminded": 0, "escalated": 0, "expired": 0}
    due = db.session.scalars(db.select(Referral).where(
        Referral.status == S.SENT, Referral.sent_at <= remind_before).order_by(Referral.sent_at, Referral.id)).all()
    for referral in due:
        assert referral.sent_at is not None
        if referral.sent_at <= expire_before:
            transition(referral, "expire", actor=SYSTEM, expected_version=referral.version)  # tells the link worker
            counts["expired"] += 1
            continue
        if not _nudged(referral, NUDGE_PROVIDER):
            members = organisation_members(referral.organization_id)
            link = email_link("inbox.referral", referral_id=referral.id)
            for member in members:
                _email(member.email, f"Reminder: a referral to {referral.service.name} is waiting for a reply",
                       f"Hello {member.name},\n\nA link worker sent a referral to {referral.service.name} on "
                       f"{format_date(referral.sent_at)} and is waiting for your reply.\n\nSign in to accept or "
                       f"decline it:\n{link}\n")
            _record_nudge(referral, NUDGE_PROVIDER, len(members))
            counts["reminded"] += 1
        if referral.sent_at <= escalate_before and not _nudged(referral, NUDGE_LINK_WORKER):
            people = referring_link_workers(referral)
            link = email_link("referrals.timeline", referral_id=referral.id)
            for person in people:
                _email(person.email, f"No reply yet from {referral.service.name}",
                       f"Hello {person.name},\n\nA referral your team sent to {referral.service.name} on "
                       f"{format_date(referral.sent_at)} has had no reply from {referral.organization.name}. We "
                       f"have reminded them. You may want to contact them, or refer the person somewhere else.\n\n"
                       f"Sign in to see the referral:\n{link}\n")
            _record_nudge(referral, NUDGE_LINK_WORKER, len(people))
            counts["escalated"] += 1
        db.session.flush()
    return counts


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same time ``months`` calendar months earlier (the last day of a shorter month when needed)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


INACTIVE_CLOSABLE = tuple(status for status, action in TRANSITIONS if action == "close_inactive")


def last_activity(referral: Referral) -> datetime:
    """Return when anyone last did anything on the referral: a step, a note, a wellbeing score."""
    moments = [referral.created_at, *(e.at for e in referral.events), *(s.recorded_at for s in referral.scores)]
    return max(m for m in moments if m is not None)


def close_inactive(now: datetime | None = None) -> int:
    """Close, as "no update", each open referral with no activity for REFERRAL_INACTIVE_MONTHS; return how many.

    Both sides are told (the transition does it). Closing starts the normal retention period.
    """
    now = now or utcnow()
    cutoff = months_before(now, int(current_app.config["REFERRAL_INACTIVE_MONTHS"]))
    recent = db.select(ReferralEvent.referral_id).where(ReferralEvent.at > cutoff)
    candidates = db.session.scalars(db.select(Referral).where(
        Referral.status.in_(INACTIVE_CLOSABLE), Referral.created_at <= cutoff, Referral.id.not_in(recent),
    ).order_by(Referral.id)).all()
    closed = 0
    for referral in candidates:
        if last_activity(referral) > cutoff:
            continue
        transition(referral, "close_inactive", actor=SYSTEM, expected_version=referral.version)
        closed += 1
    return closed


def purge_expired_personal_data(now: datetime | None = None) -> int:
    """Erase personal fields of referrals that ended longer ago than REFERRAL_RETENTION_MONTHS; return how many.

    A draft that was never sent counts from when it was started, so abandoned drafts do not keep details forever.
    """
    cutoff = months_before(now or utcnow(), int(current_app.config["REFERRAL_RETENTION_MONTHS"]))
    ended = db.and_(Referral.closed_at.is_not(None), Referral.closed_at <= cutoff)
    abandoned = db.and_(Referral.status == ReferralStatus.DRAFT, Referral.created_at <= cutoff)
    due = db.session.scalars(db.select(Referral).where(db.or_(ended, abandoned), Referral.erased_at.is_(None))).all()
    return sum(1 for referral in due if erase_personal_data(referral, why="retention period ended"))


# ---- admin access under an audited reason; subject access -----------------------------------------------------

ADMIN_ACCESS_SESSION_KEY = "referral_admin_access"


def grant_admin_access(referral: Referral, admin: User, reason: str) -> datetime:
    """Open one referral's personal data to an admin for a while, in this browser session; the reason is audited."""
    reason = (reason or "").strip()
    if admin.role is not Role.ADMIN:
        raise ReferralError("Only an administrator can do this.")
    if not reason:
        raise ReferralError("Enter why you need to see this referral")
    expires = utcnow() + timedelta(minutes=int(current_app.config["REFERRAL_ADMIN_ACCESS_MINUTES"]))
    audit.record("referral.admin_access", "referral", referral.id, actor=admin, reason=reason,
                 expires_at=expires.isoformat(timespec="seconds"))
    now = utcnow().isoformat()
    grants = {key: value for key, value in dict(session.get(ADMIN_ACCESS_SESSION_KEY) or {}).items()
              if isinstance(value, list) and len(value) == 2 and value[1] > now}
    grants[referral.id] = [admin.id, expires.isoformat()]
    session[ADMIN_ACCESS_SESSION_KEY] = grants
    return expires


def admin_access_granted(referral: Referral, admin: User) -> bool:
    """Return True while this admin's reason for this referral, given in this session, is still in force."""
    if not has_request_context():
        return False
    grant = (session.get(ADMIN_ACCESS_SESSION_KEY) or {}).get(referral.id)
    if not isinstance(grant, list) or len(grant) != 2 or grant[0] != admin.id:
        return False
    return bool(grant[1] > utcnow().isoformat())


def find_for_subject_access(*, reference: str | None = None, name: str | None = None,
                            date_of_birth: date | None = None) -> list[Referral]:
    """Return the referrals held about a person: by reference, or by name and date of birth.

    Names are encrypted, so candidates are decrypted and compared here (fine at a council's scale).
    """
    if reference:
        found = db.session.scalar(db.select(Referral).where(Referral.reference == normalise_reference(reference)))
        return [found] if found is not None else []
    wanted = " ".join((name or "").casefold().split())
    if not wanted or date_of_birth is None:
        return []
    candidates = db.session.scalars(db.select(Referral).where(Referral.erased_at.is_(None))
                                    .order_by(Referral.created_at, Referral.id)).all()
    return [r for r in candidates
            if r.date_of_birth == date_of_birth and " ".join((r.person_name or "").casefold().split()) == wanted]


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def subject_access_record(referral: Referral) -> dict[str, Any]:
    """Everything held about the person in one referral, in plain terms, for a subject access export."""
    contact = referral.contact
    return {
        "reference": referral.reference,
        "status": STATUS_LABELS[referral.status],
        "service": referral.service.name,
        "organisation": referral.organization.name,
        "referring_team": referral.team.name,
        "created": _iso(referral.created_at),
        "sent": _iso(referral.sent_at),
        "answered": _iso(referral.responded_at),
        "ended": _iso(referral.closed_at),
        "decline_reason": DECLINE_REASON_LABELS[referral.decline_reason] if referral.decline_reason else None,
        "outcome": OUTCOME_LABELS[referral.outcome] if referral.outcome else None,
        "personal_details_removed": _iso(referral.erased_at),
        "name": referral.person_name,
        "contact_method": CONTACT_METHOD_LABELS[contact] if contact else None,
        "contact_details": referral.contact_details,
        "date_of_birth": _iso(referral.date_of_birth),
        "what_matters": list(referral.needs or []),
        "in_their_own_words": referral.reasons_text,
        "for_the_provider": referral.provider_notes,
        "safeguarding_concern_flagged": referral.safeguarding_flag,
        "consent": {"given": _iso(referral.consent_given_at), "wording_version": referral.consent_wording_version,
                    "wording": referral.consent_text},
        "receipt_text_message": referral.receipt_sms_text,
        "wellbeing": [{"scale": s.scale, "stage": s.stage, "answers": dict(s.items), "total": s.total,
                       "recorded": _iso(s.recorded_at)} for s in referral.scores],
        "history": [{"when": _iso(e.at), "what": ACTION_LABELS.get(e.action, e.action), "by": e.actor_kind,
                     "note": e.note} for e in referral.events],
        "reminders": [{"kind": n.kind, "sent": _iso(n.sent_at)} for n in referral.nudges],
    }


def export_subject_access(referrals: list[Referral], admin: User, reason: str, *, how: str, fmt: str) -> dict[str, Any]:
    """Build the export and audit it (who, why, which referrals, how they were found; never the person's details)."""
    reason = (reason or "").strip()
    if not reason:
        raise ReferralError("Enter why you are making this export")
    audit.record("referral.subject_access_export", "person", None, actor=admin, reason=reason,
                 referral_ids=[r.id for r in referrals], found_by=how, format=fmt)
    db.session.flush()
    return {"exported": utcnow().isoformat(timespec="seconds"), "service": current_app.config["SERVICE_NAME"],
            "referrals": [subject_access_record(r) for r in referrals]}


# ---- response figures for link workers ------------------------------------------------------------------------

MIN_REFERRALS_FOR_FIGURES = 5


@dataclass(frozen=True)
class ResponseFigures:
    referrals: int  # sent in the last 12 months
    median_days_to_reply: float | None  # calendar days from sending to accept or decline
    share_accepted: float | None  # of those answered or expired


def response_figures(organization_id: str, now: datetime | None = None) -> ResponseFigures | None:
    """Return how an organisation answers referrals over the last 12 months, or None under 5 referrals."""
    now = now or utcnow()
    rows = db.session.execute(db.select(Referral.sent_at, Referral.responded_at, Referral.decline_reason,
                                        Referral.status).where(
        Referral.organization_id == organization_id, Referral.sent_at.is_not(None),
        Referral.sent_at >= months_before(now, 12))).all()
    if len(rows) < MIN_REFERRALS_FOR_FIGURES:
        return None
    waits = [(r.responded_at - r.sent_at).total_seconds() / 86400 for r in rows if r.responded_at is not None]
    accepted = sum(1 for r in rows if r.responded_at is not None and r.decline_reason is None)
    decided = sum(1 for r in rows if r.responded_at is not None or r.status is S.EXPIRED)
    return ResponseFigures(
        referrals=len(rows),
        median_days_to_reply=statistics.median(waits) if waits else None,
        share_accepted=accepted / decided if decided else None,
    )


# ---- the GP record summary ----------------------------------------------------------------------------------------

def gp_record_summary(referral: Referral) -> str:
    """Plain text for the GP record: what was referred, to whom, the outcome and the wellbeing change.

    Codes come from GP_RECORD_CODES (set per deployment, e.g. SNOMED CT concept ids); none are built in.
    """
    from .taxonomy import needs as taxonomy_needs

    codes: Mapping[str, Mapping[str, str]] = current_app.config.get("GP_RECORD_CODES") or {}
    names = {t.code: t.name for t in taxonomy_needs() if t.code}

    def code_line(key: str) -> list[str]:
        entry = codes.get(key)
        if not entry or not entry.get("code"):
            return []
        return [f"Code: {entry['code']}" + (f" {entry['term']}" if entry.get("term") else "")]

    lines = [f"Social prescribing referral {referral.reference}",
             f"Referred to: {referral.service.name} ({referral.organization.name})",
             f"Referred by: {referral.team.name}"]
    if referral.sent_at:
        lines.append(f"Sent: {format_date(referral.sent_at)}")
    lines += code_line("referred")
    if referral.needs:
        lines.append("What matters to the person: " + ", ".join(names.get(c, c) for c in referral.needs))
    ending_key: str | None = None
    if referral.outcome is not None:
        lines.append(f"Outcome: {OUTCOME_LABELS[referral.outcome]}")
        ending_key = referral.outcome.value
    elif referral.status in (S.DECLINED, S.EXPIRED, S.WITHDRAWN):
        reason = f" ({DECLINE_REASON_LABELS[referral.decline_reason]})" if referral.decline_reason else ""
        lines.append(f"Outcome: {STATUS_LABELS[referral.status]}{reason}")
        ending_key = referral.status.value
    else:
        lines.append(f"Status: {STATUS_LABELS[referral.status]}")
    if referral.closed_at:
        lines.append(f"Ended: {format_date(referral.closed_at)}")
    if ending_key:
        lines += code_line(ending_key)
    change = wellbeing_change(referral)
    if change:
        lines.append("Wellbeing change (ONS4 personal wellbeing, 0 to 10):")
        lines += [f"- {c.item.code.replace('_', ' ').capitalize()}: {c.before} to {c.after} ({c.description.lower()})"
                  for c in change]
    return "\n".join(lines)


# ---- shortlist to drafts ----------------------------------------------------------------------------------------

def create_drafts(services: list[Service], user: User, details: ReferralDetails) -> list[Referral]:
    """Start one draft per chosen service with the same details; each still needs its own consent and check."""
    if not services:
        raise ReferralError("Select at least one service")
    drafts = [create_draft(service, user, details) for service in services]
    return drafts
