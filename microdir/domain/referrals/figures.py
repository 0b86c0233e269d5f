"""Figures drawn from referrals: how an organisation answers them, and the summary for the GP record."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ...extensions import db
from ...models import Referral, utcnow
from ...wording import CLOSE_OUTCOME_LABELS, DECLINE_REASON_LABELS, REFERRAL_STATUS_LABELS, format_date
from ..taxonomy import needs as taxonomy_needs
from .deadlines import months_before
from .scores import wellbeing_change
from .states import S

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
        lines.append(f"Outcome: {CLOSE_OUTCOME_LABELS[referral.outcome]}")
        ending_key = referral.outcome.value
    elif referral.status in (S.DECLINED, S.EXPIRED, S.WITHDRAWN):
        reason = f" ({DECLINE_REASON_LABELS[referral.decline_reason]})" if referral.decline_reason else ""
        lines.append(f"Outcome: {REFERRAL_STATUS_LABELS[referral.status]}{reason}")
        ending_key = referral.status.value
    else:
        lines.append(f"Status: {REFERRAL_STATUS_LABELS[referral.status]}")
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
