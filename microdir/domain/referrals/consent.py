"""The consent wording the person agrees to, in versions, and recording that they agreed."""

from __future__ import annotations

from ...models import Referral, User, utcnow
from ...models.referrals import PERSON_PLACEHOLDER
from .. import audit
from .transitions import flush_or_conflict, require_draft

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
    require_draft(referral, expected_version)
    version = CONSENT_WORDING_WITH_WELLBEING if share_wellbeing else CONSENT_WORDING_VERSION
    referral.consent_wording_version = version
    referral.consent_wording = consent_wording(referral, version, person=PERSON_PLACEHOLDER)  # no name in plain text
    referral.consent_given_at = utcnow()
    audit.record("referral.consent", "referral", referral.id, actor=user, wording_version=version)
    flush_or_conflict()


def wellbeing_shared_with_provider(referral: Referral) -> bool:
    """True only when the consent wording the person agreed to said the provider would see their scores."""
    return referral.consent_wording_version in WELLBEING_SHARED_VERSIONS
