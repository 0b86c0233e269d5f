"""Jobs that follow referrals: reminders, escalation, expiry, retention purge.

Each is idempotent: a reminder or notice is recorded (``ReferralNudge``, one per kind per referral) before the
job commits, expiry moves the referral out of SENT, and an erased referral is never erased again.
"""

from __future__ import annotations

from ..domain import referrals as ops
from .registry import register_job


def chase_unanswered_referrals() -> str:
    counts = ops.chase_unanswered()
    return ", ".join(f"{count} {what}" for what, count in counts.items())


def purge_referral_personal_data() -> str:
    return f"{ops.purge_expired_personal_data()} erased"


def close_inactive_referrals() -> str:
    return f"{ops.close_inactive()} closed with no update"


def purge_form_submissions() -> str:
    from ..submissions import purge_old

    return f"{purge_old()} forgotten"


register_job("referrals.chase_unanswered", chase_unanswered_referrals)
register_job("forms.purge_submission_tokens", purge_form_submissions)
register_job("referrals.close_inactive", close_inactive_referrals)
register_job("referrals.retention_purge", purge_referral_personal_data)
