"""Demo activity (issue 15): referrals in every state with notes, outcomes and wellbeing; claims; problem reports;
stale listings already chased. Made through the real operations, so every step has its events, audit entries
and emails (read them at /dev/mail). Runs once: it does nothing when any referral exists."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ..domain import claims, provider_profiles, reports, upkeep
from ..domain import referrals as ops
from ..extensions import db
from ..models import (
    CloseOutcome,
    ContactMethod,
    DeclineReason,
    Organization,
    QualityCheck,
    QualityCheckType,
    Referral,
    Role,
    Service,
    User,
    organization_membership,
    utcnow,
)
from .certificate import certificate_pdf

PEOPLE = [
    ("Winifred Oyelaran", "07700 900982", "Lonely since her husband died; likes singing"),
    ("Desmond Achterberg", "07700 900123", "Wants to get out of the house more after a fall"),
    ("Aisha Rahman", "07700 900456", "New to the area with a toddler; would like to meet other parents"),
    ("Tom Kowalczyk", "07700 900789", "Recently retired, looking for something useful to do"),
    ("Gloria Mensah", "07700 900321", "Carer for her mother; needs a break and people to talk to"),
    ("Ravi Chandra", "07700 900654", "Low mood; enjoyed gardening before"),
    ("Maureen Ellis", "07700 900987", "Memory problems; daughter asks for a friendly group"),
    ("Kwame Boateng", "07700 900111", "Wants to be more active; uses a walking stick"),
    ("Siobhan Walsh", "07700 900222", "Anxious in big groups; would try something small"),
    ("Harold Pritchard", "07700 900333", "Does not drive any more; needs transport to the shops"),
    ("Precious Ndlovu", "07700 900444", "Wants to practise English and make friends"),
    ("Derek Hollis", "07700 900555", "Lives alone; has not left home much this winter"),
]
# status to reach, the steps to get there, extras
PLAN: list[tuple[str, list[str]]] = [
    ("draft", []),
    ("sent", ["send"]),
    ("sent_overdue", ["send"]),
    ("accepted", ["send", "accept"]),
    ("first_contact", ["send", "accept", "first_contact"]),
    ("engaged_follow_up", ["send", "accept", "first_contact", "engage"]),
    ("closed", ["send", "accept", "first_contact", "engage", "close"]),
    ("did_not_start", ["send", "accept", "did_not_start"]),
    ("declined", ["send", "decline"]),
    ("expired", ["send", "expire"]),
    ("withdrawn", ["send", "withdraw"]),
    ("engaged", ["send", "accept", "first_contact", "engage"]),
]
BASELINE = {"life_satisfaction": 4, "worthwhile": 5, "happiness": 4, "anxiety": 7}
LATER = {"life_satisfaction": 7, "worthwhile": 7, "happiness": 7, "anxiety": 4}


def _user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == email))


def _members(service: Service) -> list[User]:
    return list(db.session.scalars(
        db.select(User).join(organization_membership, organization_membership.c.user_id == User.id)
        .where(organization_membership.c.organization_id == service.organization_id, User.role == Role.PROVIDER)))


def _referable(services: list[Service]) -> list[Service]:
    from ..models import CapacityStatus

    return [s for s in services if ops.can_refer_to(s) and s.capacity_status is not CapacityStatus.FULL]


def _upload_certificate(provider: User) -> QualityCheck | None:
    """Upload an insurance certificate (a PDF) to the public liability check of the demo provider's first
    organisation, through the one place that keeps documents; record the check first if it has none."""
    organization = min(provider.organizations, key=lambda o: o.name.lower())  # first on "Your listings"
    check = next((c for c in organization.quality_checks if c.check_type is QualityCheckType.PUBLIC_LIABILITY), None)
    if check is None:
        check = provider_profiles.record_quality_check(
            organization, QualityCheckType.PUBLIC_LIABILITY, provider, reference="PL-482913",
            description="Public liability insurance", cover_amount=Decimal("5000000"),
            expires_on=utcnow().date() + timedelta(days=200))
    if check.document is not None:
        return None
    cover = f"£{check.cover_amount:,.0f}" if check.cover_amount is not None else "as the policy says"
    pdf = certificate_pdf([
        "Certificate of public liability insurance", "Demo only: a made-up certificate, not a real policy.",
        f"Insured: {organization.name}", f"Policy number: {check.reference or 'not given'}",
        f"Limit of indemnity: {cover} any one occurrence",
        f"Valid until: {check.expires_on.isoformat() if check.expires_on else 'not given'}",
    ])
    provider_profiles.attach_document(check, pdf, "public-liability-certificate.pdf", provider)
    return check


def load_activity(seed: int = 1) -> dict[str, int]:
    """Create the demo activity; return counts. Needs the demo directory and the demo accounts."""
    rng = random.Random(seed)
    worker = _user("linkworker@demo.example.org")
    if worker is None or db.session.scalar(db.select(Referral.id).where(Referral.created_by_id == worker.id)
                                           .limit(1)) is not None:
        return {}  # once only (the insights demo's referrals belong to other people)
    colleague = _user("linkworker2@demo.example.org")
    provider = _user("provider@demo.example.org")
    if worker is None or provider is None or not provider.organizations:
        return {}
    theirs = _referable([s for org in provider.organizations for s in org.services])
    counts = {"referrals": 0, "claims": 0, "problem reports": 0, "stale listings chased": 0}
    now = utcnow()
    for index, ((state, steps), person) in enumerate(zip(PLAN, PEOPLE, strict=False)):
        service = theirs[index % len(theirs)] if theirs else None
        if service is None:
            break
        team_user = worker if index % 4 else (colleague or worker)
        if team_user.team_id != worker.team_id and state in ("engaged_follow_up",):
            team_user = worker
        name, phone, why = person
        referral = ops.create_draft(service, team_user, ops.ReferralDetails(
            person_name=name, contact_method=ContactMethod.PHONE, contact_details=phone, date_of_birth=None,
            needs=["loneliness"] if index % 2 else [], reasons_text=why, provider_notes=None,
            safeguarding_flag=False))
        ops.record_consent(referral, team_user, expected_version=referral.version, share_wellbeing=index % 3 == 0)
        if state != "draft":
            ops.record_scores(referral, team_user, "ons4", "referral", BASELINE)
        members = _members(service) or [provider]
        for step in steps:
            actor: Any = {"send": team_user, "withdraw": team_user, "expire": ops.SYSTEM}.get(step, members[0])
            extra: dict[str, Any] = {}
            if step == "decline":
                extra["reason"] = DeclineReason.NO_CAPACITY
            if step == "close":
                extra["outcome"] = CloseOutcome.COMPLETED
            if step == "did_not_start":
                extra["outcome"] = CloseOutcome.CHANGED_MIND
            note = {"accept": "We have a place on Tuesdays. We will ring her this week.",
                    "decline": "Sorry, the group is full until the spring. Try the Friday café?",
                    "close": "Came every week and now helps set up.",
                    "did_not_start": "She decided the time clashed with her mother's care."}.get(step)
            if step == "send":
                ops.send(referral, team_user, expected_version=referral.version, waiting_list_seen=True)
            else:
                ops.transition(referral, step, actor=actor, note=note, expected_version=referral.version, **extra)
        if state == "closed":
            ops.record_scores(referral, members[0], "ons4", "close", LATER)
        if state == "engaged_follow_up":
            referral.follow_up_on = now.date()
        if state in ("accepted", "engaged"):
            ops.add_note(referral, team_user, "She would like a lift for the first visit if anyone can help.")
        # spread the dates back over the last weeks, so the caseload has real dates and one overdue reply
        days = 12 if state == "sent_overdue" else rng.randrange(1, 4) if state == "sent" else rng.randrange(5, 60)
        shift = timedelta(days=days)
        referral.created_at -= shift
        if referral.sent_at:
            referral.sent_at -= shift
        for event in referral.events:
            event.at -= shift
        counts["referrals"] += 1
    db.session.flush()

    claimant = _user("provider2@demo.example.org")
    if claimant is not None:
        claimable = [s for s in db.session.scalars(db.select(Service).join(Organization).order_by(Service.name))
                     if claims.is_claimable(s)]
        # Two claims a moderator decides (the listing publishes no email address) and one proved by email.
        for number, service in enumerate(rng.sample(claimable, min(3, len(claimable)))):
            if number < 2:
                service.email = None
                service.organization.email = None
            claims.start_claim(service, claimant, "I run this group with my neighbour.")
            counts["claims"] += 1
    published = [s for s in db.session.scalars(db.select(Service).order_by(Service.name)) if ops.can_refer_to(s)]
    for service, reasons, details in zip(rng.sample(published, 3), (["wrong_time"], ["wrong_contact"], ["closed"]),
                                         ("It is on Wednesdays now, not Tuesdays.", "The phone number rings out.",
                                          "The hall says the group stopped in the summer."), strict=False):
        reports.report_problem(service, reasons, details)
        counts["problem reports"] += 1
    if _upload_certificate(provider):
        counts["documents"] = 1
    outcome = upkeep.chase_stale_listings(now)
    counts["stale listings chased"] = outcome.reminders + outcome.escalated
    upkeep.remind_expiring_quality_checks(now.date())
    upkeep.expire_quality_checks(now.date())
    db.session.commit()
    return counts
