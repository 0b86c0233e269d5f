"""Telling people about referrals by email: who to tell, what each step says, notes between the two sides.

Never any personal data, not even the reference: email is not a safe place for it.
"""

from __future__ import annotations

from flask import current_app

from ...extensions import db
from ...mail import email_link, send_email
from ...models import (
    OutboundEmail,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Role,
    User,
    organization_membership,
    utcnow,
)
from .. import audit
from .states import ActorKind, ReferralError, S, actor_kind


def send_notice(to: str, subject: str, body: str, *, secret: bool = False) -> OutboundEmail:
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


def tell_both_sides(referral: Referral, action: str, from_status: ReferralStatus, actor: User | None) -> None:
    """After a status change: tell the referring link workers, and the provider when a sent referral is withdrawn."""
    names = {"organisation": referral.organization.name, "service": referral.service.name,
             "months": current_app.config["REFERRAL_INACTIVE_MONTHS"]}
    by_team = actor is not None and actor.role is Role.LINK_WORKER
    if action in ("close", "did_not_start") and by_team:
        # Either side may close: when the link worker does, the provider is the one to tell.
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            send_notice(member.email, f"Referral to {referral.service.name} closed",
                   f"Hello {member.name},\n\nThe link worker closed a referral to {referral.service.name}.\n\n"
                   f"Sign in to see the outcome:\n{link}\n")
        return
    if action in _TEAM_NEWS:
        word, sentence = _TEAM_NEWS[action]
        link = email_link("referrals.timeline", referral_id=referral.id)
        for person in referring_link_workers(referral):
            if actor is not None and person.id == actor.id:
                continue  # they did it; they know
            send_notice(person.email, f"Referral to {referral.service.name} {word}",
                   f"Hello {person.name},\n\n{sentence.format(**names)}\n\nSign in to see the referral:\n{link}\n")
    if action == "withdraw" and from_status is not S.DRAFT:
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            send_notice(member.email, f"Referral to {referral.service.name} withdrawn",
                   f"Hello {member.name},\n\nA referral to {referral.service.name} has been withdrawn. Please do not "
                   f"contact the person about it.\n\nSign in to see which one:\n{link}\n")
    if action == "close_inactive":
        link = email_link("inbox.referral", referral_id=referral.id)
        for member in organisation_members(referral.organization_id):
            send_notice(member.email, f"Referral to {referral.service.name} closed",
                   f"Hello {member.name},\n\nA referral to {referral.service.name} had no update for "
                   f"{names['months']} months, so it has been closed with no update.\n\nSign in to see which one:"
                   f"\n{link}\n")


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
        send_notice(
            member.email,
            f"New referral for {referral.service.name}",
            f"Hello {member.name},\n\nA link worker has sent a new referral to {referral.service.name} through "
            f"{service_name}.\n\nSign in to read it and reply:\n{link}\n\nPlease reply within {days} working days.\n",
        )
    return len(members)


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
        send_notice(person.email, f"New note on a referral to {service}",
               f"Hello {person.name},\n\n{sentence}\n\nSign in to read it:\n{link}\n")
    return event
