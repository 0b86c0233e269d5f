"""A referral's states and the table of allowed moves: who may take each step, and the errors a refused step raises.

Anything not in ``TRANSITIONS`` is refused; ``transitions.transition`` is the one place a status changes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ...models import CloseOutcome, Referral, ReferralStatus, Role, User


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


FOLLOW_UP_STATUSES = (S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED, S.CLOSED)


INACTIVE_CLOSABLE = tuple(status for status, action in TRANSITIONS if action == "close_inactive")


CONFLICT_MESSAGE = "This referral was changed by someone else while you were looking at it. Check its status and try again."


class TransitionError(Exception):
    """A step that is not allowed; the message is written for the person who tried it. Nothing changed."""


class ConflictError(TransitionError):
    """Someone else changed the referral first. The caller must roll back the session."""

    def __init__(self, message: str = CONFLICT_MESSAGE) -> None:
        super().__init__(message)


class ReferralError(Exception):
    """A referral operation was refused; the message is written for the person."""


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


def available_actions(referral: Referral, actor: Actor) -> list[str]:
    """Return the actions ``actor`` may take on the referral now, in table order."""
    kind = actor_kind(referral, actor)
    return [
        action
        for (status, action), step in TRANSITIONS.items()
        if status is referral.status and kind is not None and kind in step.actors
    ]
