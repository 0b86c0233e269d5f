"""Referrals: THE state machine, and the operations around it, one module a concern.

- ``states``: statuses, who may take which step (``TRANSITIONS``), the errors a refused step raises
- ``transitions``: ``transition``, the one place a status changes (records, audits, tells both sides)
- ``drafts``: references, the person's details, which services can take referrals, ``send``
- ``consent``: the consent wording and recording agreement; ``receipts``: the person's receipt
- ``notices``: who is told what by email, notes between the two sides; ``nudges``: chasing unanswered referrals
- ``deadlines``: working days and months; ``scores``: wellbeing scores and follow-up dates
- ``retention``: erasure, withdrawal by the person, closing inactive referrals
- ``access``: who sees personal data (an admin only under an ``AdminGrant``), subject access, the lists
- ``figures``: reply figures and the GP record summary

Operations never commit: the caller does, and after a ``TransitionError`` or ``ReferralError`` rolls back.
The names below are the package's public face: import them from ``microdir.domain.referrals``.
"""

from __future__ import annotations

from ...models import CloseOutcome, DeclineReason, ReferralStatus
from .access import (
    AdminGrant,
    can_access_referral,
    export_subject_access,
    find_for_subject_access,
    grant_admin_access,
    organisation_inbox,
    record_personal_data_view,
    subject_access_record,
)
from .consent import (
    CONSENT_WORDING_VERSION,
    CONSENT_WORDING_WITH_WELLBEING,
    CONSENT_WORDINGS,
    WELLBEING_KEPT,
    WELLBEING_SHARED,
    WELLBEING_SHARED_VERSIONS,
    consent_template,
    consent_wording,
    record_consent,
    wellbeing_shared_with_provider,
)
from .deadlines import is_overdue, is_working_day, months_before, overdue_cutoff, working_days_before
from .drafts import (
    REFERENCE_ALPHABET,
    NoConsent,
    ReferralDetails,
    ServiceFull,
    WaitingListNotSeen,
    can_refer_to,
    create_draft,
    create_drafts,
    delete_draft,
    new_reference,
    send,
    similar_services,
    update_draft,
)
from .figures import MIN_REFERRALS_FOR_FIGURES, ResponseFigures, gp_record_summary, response_figures
from .notices import add_note, notify_new_referral, organisation_members, referring_link_workers
from .nudges import NUDGE_LINK_WORKER, NUDGE_PROVIDER, chase_unanswered
from .receipts import (
    find_for_person,
    issue_receipt,
    normalise_reference,
    receipt_email_body,
    receipt_sms_text,
    receipt_withdraw_link,
    shared_items,
)
from .retention import (
    close_inactive,
    erase_personal_data,
    last_activity,
    purge_expired_personal_data,
    withdraw_by_person,
    withdraw_for_person,
)
from .scores import (
    STAGES,
    count_follow_ups_due,
    follow_up_scales,
    has_follow_up_scores,
    record_scores,
    scores_at,
    set_follow_up,
    wellbeing_change,
)
from .states import (
    ACTION_LABELS,
    ACTIONS,
    CLOSE_OUTCOMES,
    CONFLICT_MESSAGE,
    DID_NOT_START_OUTCOMES,
    FOLLOW_UP_STATUSES,
    INACTIVE_CLOSABLE,
    PERSON,
    SYSTEM,
    TERMINAL,
    TRANSITIONS,
    Actor,
    ActorKind,
    ConflictError,
    ReferralError,
    S,
    Transition,
    TransitionError,
    actor_kind,
    available_actions,
)
from .transitions import transition

__all__ = [
    "ACTIONS", "ACTION_LABELS", "CLOSE_OUTCOMES", "CONFLICT_MESSAGE", "CONSENT_WORDINGS", "CONSENT_WORDING_VERSION",
    "CONSENT_WORDING_WITH_WELLBEING", "DID_NOT_START_OUTCOMES", "FOLLOW_UP_STATUSES",
    "INACTIVE_CLOSABLE", "MIN_REFERRALS_FOR_FIGURES", "NUDGE_LINK_WORKER", "NUDGE_PROVIDER", "PERSON",
    "REFERENCE_ALPHABET", "STAGES", "SYSTEM", "TERMINAL", "TRANSITIONS", "WELLBEING_KEPT", "WELLBEING_SHARED",
    "WELLBEING_SHARED_VERSIONS", "Actor", "ActorKind", "AdminGrant", "CloseOutcome", "ConflictError",
    "DeclineReason", "NoConsent", "ReferralDetails", "ReferralError", "ReferralStatus", "ResponseFigures", "S",
    "ServiceFull", "Transition", "TransitionError", "WaitingListNotSeen", "actor_kind", "add_note",
    "available_actions", "can_access_referral", "can_refer_to", "chase_unanswered", "close_inactive",
    "consent_template", "consent_wording", "count_follow_ups_due", "create_draft", "create_drafts", "delete_draft",
    "erase_personal_data", "export_subject_access", "find_for_person", "find_for_subject_access",
    "gp_record_summary", "grant_admin_access", "is_overdue", "is_working_day", "issue_receipt", "last_activity",
    "months_before", "new_reference", "normalise_reference", "notify_new_referral", "organisation_inbox",
    "organisation_members", "overdue_cutoff", "purge_expired_personal_data", "receipt_email_body",
    "receipt_sms_text", "receipt_withdraw_link", "record_consent", "record_personal_data_view", "record_scores",
    "referring_link_workers", "response_figures", "scores_at", "follow_up_scales", "has_follow_up_scores", "send", "set_follow_up",
    "shared_items",
    "similar_services", "subject_access_record", "transition", "update_draft", "wellbeing_change",
    "wellbeing_shared_with_provider", "withdraw_by_person", "withdraw_for_person", "working_days_before",
]
