"""Who sees a referral's personal data: the object-level rule, an admin's audited and time-limited grant, every
view recorded, subject access exports, and the lists each side sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app

from ...extensions import db
from ...models import Referral, ReferralStatus, Role, User, utcnow
from ...wording import CLOSE_OUTCOME_LABELS, CONTACT_METHOD_LABELS, DECLINE_REASON_LABELS, REFERRAL_STATUS_LABELS
from .. import audit
from .receipts import normalise_reference
from .states import ACTION_LABELS, ActorKind, ReferralError, S, actor_kind


@dataclass(frozen=True)
class AdminGrant:
    """An admin's audited reason, opening one referral to them until ``expires``. The view layer keeps it (in the
    browser session) and hands it back to ``can``; the domain never reaches for it."""

    referral_id: str
    admin_id: int
    expires: datetime

    def opens(self, referral: Referral, admin: User, now: datetime | None = None) -> bool:
        """Return True when this grant is for this referral and this admin and is still in force."""
        return (self.referral_id == referral.id and self.admin_id == admin.id
                and self.expires > (now or utcnow()))


def can_access_referral(user: Any, capability: str, referral: Referral, grant: AdminGrant | None = None) -> bool:
    """Decide object-level access to a referral; ``permissions.can`` calls this and nothing else does.

    Personal data is seen by the referring team and, once sent, the receiving organisation. Never by other
    teams, other providers, moderators or commissioners. An admin sees it only under a ``grant`` for this
    referral, given with an audited reason, for a while (``grant_admin_access``); admins never act on it.
    """
    if not isinstance(referral, Referral) or not isinstance(user, User):
        return False
    if user.role is Role.ADMIN:
        return capability == "referral.view" and user.is_active and grant is not None and grant.opens(referral, user)
    kind = actor_kind(referral, user)
    if capability == "referral.create":  # edit a draft, send, withdraw, see the timeline
        return kind is ActorKind.TEAM
    if capability == "referral.respond":
        return kind is ActorKind.PROVIDER and referral.status is not S.DRAFT
    if capability == "referral.view":
        return kind is ActorKind.TEAM or (kind is ActorKind.PROVIDER and referral.status is not S.DRAFT)
    return False


def grant_admin_access(referral: Referral, admin: User, reason: str) -> AdminGrant:
    """Open one referral's personal data to an admin for a while; the reason is audited, the caller keeps the grant."""
    reason = (reason or "").strip()
    if admin.role is not Role.ADMIN:
        raise ReferralError("Only an administrator can do this.")
    if not reason:
        raise ReferralError("Enter why you need to see this referral")
    expires = utcnow() + timedelta(minutes=int(current_app.config["REFERRAL_ADMIN_ACCESS_MINUTES"]))
    audit.record("referral.admin_access", "referral", referral.id, actor=admin, reason=reason,
                 expires_at=expires.isoformat(timespec="seconds"))
    return AdminGrant(referral_id=referral.id, admin_id=admin.id, expires=expires)


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
        "status": REFERRAL_STATUS_LABELS[referral.status],
        "service": referral.service.name,
        "organisation": referral.organization.name,
        "referring_team": referral.team.name,
        "created": _iso(referral.created_at),
        "sent": _iso(referral.sent_at),
        "answered": _iso(referral.responded_at),
        "ended": _iso(referral.closed_at),
        "decline_reason": DECLINE_REASON_LABELS[referral.decline_reason] if referral.decline_reason else None,
        "outcome": CLOSE_OUTCOME_LABELS[referral.outcome] if referral.outcome else None,
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


def record_personal_data_view(referral: Referral, user: User, page: str) -> None:
    """Write to the audit log that ``user`` saw the person's details (every view is recorded)."""
    audit.record("referral.view_personal_data", "referral", referral.id, actor=user, page=page)


def organisation_inbox(user: User, status: ReferralStatus | None = None) -> list[Referral]:
    """Return referrals sent to the user's organisations (never drafts), newest first."""
    org_ids = [org.id for org in user.organizations]
    if not org_ids:
        return []
    query = db.select(Referral).where(Referral.organization_id.in_(org_ids), Referral.status != S.DRAFT)
    if status is not None:
        query = query.where(Referral.status == status)
    return list(db.session.scalars(query.order_by(Referral.sent_at.desc(), Referral.id)))
