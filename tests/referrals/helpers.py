"""Build referrals in any status, through the real operations (so every step leaves its event)."""

from __future__ import annotations

from typing import Any

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import CloseOutcome, ContactMethod, DeclineReason, Referral, ReferralStatus, Role, Service, User
from tests import factories

S = ReferralStatus
PERSON_NAME = "Winifred Oyelaran-Bassey"
PHONE = "07700 900982"

PATHS: dict[ReferralStatus, list[str]] = {
    S.DRAFT: [],
    S.SENT: ["send"],
    S.ACCEPTED: ["send", "accept"],
    S.DECLINED: ["send", "decline"],
    S.EXPIRED: ["send", "expire"],
    S.FIRST_CONTACT: ["send", "accept", "first_contact"],
    S.ENGAGED: ["send", "accept", "first_contact", "engage"],
    S.CLOSED: ["send", "accept", "first_contact", "engage", "close"],
    S.WITHDRAWN: ["withdraw"],
}


def details(**overrides: Any) -> ops.ReferralDetails:
    values: dict[str, Any] = {
        "person_name": PERSON_NAME,
        "contact_method": ContactMethod.PHONE,
        "contact_details": PHONE,
        "date_of_birth": None,
        "needs": ["loneliness"],
        "reasons_text": "Would like to meet people after losing her husband",
        "provider_notes": "Uses a walking frame",
        "safeguarding_flag": False,
    }
    values.update(overrides)
    return ops.ReferralDetails(**values)


def provider_for(service: Service) -> User:
    """Return a provider who is a member of the service's organisation (creating one if needed)."""
    for user in db.session.scalars(db.select(User).where(User.role == Role.PROVIDER)):
        if any(org.id == service.organization_id for org in user.organizations):
            return user
    return factories.create_user(Role.PROVIDER, organizations=[service.organization])


def actor_for(referral: Referral, action: str, team_user: User) -> Any:
    step = next(step for (status, name), step in ops.TRANSITIONS.items() if name == action)
    if ops.ActorKind.PROVIDER in step.actors:  # either side may close: the provider usually does
        return provider_for(referral.service)
    if ops.ActorKind.TEAM in step.actors:
        return team_user
    return ops.SYSTEM


def advance(referral: Referral, action: str, team_user: User, **kwargs: Any) -> None:
    extra: dict[str, Any] = {}
    if action == "decline":
        extra["reason"] = DeclineReason.NO_CAPACITY
    if action == "close":
        extra["outcome"] = CloseOutcome.COMPLETED
    if action == "did_not_start":
        extra["outcome"] = CloseOutcome.NOT_REACHED
    ops.transition(referral, action, actor=actor_for(referral, action, team_user),
                   expected_version=referral.version, **extra, **kwargs)


def make_referral(
    status: ReferralStatus = S.SENT, *, team_user: User | None = None, service: Service | None = None,
    consent: bool = True, **detail_overrides: Any,
) -> Referral:
    """Create a referral and walk it to ``status``; committed."""
    team_user = team_user or factories.create_user(Role.LINK_WORKER)
    service = service or factories.create_service()
    referral = ops.create_draft(service, team_user, details(**detail_overrides))
    if consent:
        ops.record_consent(referral, team_user, expected_version=referral.version)
    for action in PATHS[status]:
        advance(referral, action, team_user)
    db.session.commit()
    assert referral.status is status
    return referral
