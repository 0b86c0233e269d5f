"""A provider's answers about their organisation: workforce and independence, and quality checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .. import documents
from ..extensions import db
from ..models import (
    LegalForm,
    MicroProviderProfile,
    Organization,
    QualityCheck,
    QualityCheckDocument,
    QualityCheckNotice,
    QualityCheckType,
    User,
    utcnow,
)
from . import audit
from .listings import MicroProviderVerdict, assess_micro_provider, weekly_hours_of, workforce_figures


@dataclass(frozen=True)
class Person:
    """One person who works for the organisation, as the provider describes them: no name, just paid or not and
    their usual weekly hours."""

    paid: bool
    hours: Decimal


@dataclass(frozen=True)
class Workforce:
    """What the provider declares about who works for them and who runs them."""

    legal_form: LegalForm
    people: tuple[Person, ...]
    independent: bool
    parent_body: str | None


def people_of(profile: MicroProviderProfile | None) -> tuple[list[Person], bool]:
    """Return the people behind a profile's figures, and True when they are an even split of figures given before
    people were asked about one by one (so the provider should check each person's hours)."""
    if profile is None:
        return [], False
    if profile.people is not None:
        return [Person(bool(p.get("paid")), Decimal(str(p.get("hours") or "0"))) for p in profile.people], False
    split = [Person(True, hours) for hours in weekly_hours_of(profile.paid_workers, profile.paid_workers_fte)]
    split += [Person(False, hours) for hours in weekly_hours_of(profile.unpaid_workers, profile.unpaid_workers_fte)]
    return split, bool(split)


def update_workforce(organization: Organization, answers: Workforce, actor: User) -> MicroProviderVerdict:
    """Save the organisation's workforce answers with the figures worked out from its people, audit them and return
    the micro-provider verdict."""
    figures = workforce_figures((person.paid, person.hours) for person in answers.people)
    profile = organization.profile
    if profile is None:
        profile = MicroProviderProfile(legal_form=answers.legal_form)
        organization.profile = profile
    profile.legal_form = answers.legal_form
    profile.people = [{"paid": person.paid, "hours": str(person.hours)} for person in answers.people]
    profile.paid_workers = figures.paid_workers
    profile.paid_workers_fte = figures.paid_workers_fte
    profile.unpaid_workers = figures.unpaid_workers
    profile.unpaid_workers_fte = figures.unpaid_workers_fte
    if answers.independent and not profile.independent:
        profile.independence_declared_at = utcnow()
    profile.independent = answers.independent
    profile.parent_body = None if answers.independent else answers.parent_body
    verdict = assess_micro_provider(profile)
    audit.record(
        "organization.workforce.update", "organization", organization.id, actor=actor,
        legal_form=answers.legal_form.value, paid=figures.paid_workers, paid_fte=str(figures.paid_workers_fte),
        unpaid=figures.unpaid_workers, unpaid_fte=str(figures.unpaid_workers_fte), independent=answers.independent,
        is_micro_provider=verdict.is_micro_provider,
    )
    db.session.flush()
    return verdict


def record_quality_check(
    organization: Organization,
    check_type: QualityCheckType,
    actor: User,
    *,
    reference: str | None,
    description: str | None,
    cover_amount: Decimal | None,
    expires_on: date | None,
) -> QualityCheck:
    """Record a check the provider says they hold; it counts once a moderator has verified it."""
    check = QualityCheck(
        organization=organization,
        check_type=check_type,
        reference=reference or None,
        description=description or None,
        cover_amount=cover_amount if check_type is QualityCheckType.PUBLIC_LIABILITY else None,
        expires_on=expires_on,
    )
    db.session.add(check)
    db.session.flush()
    audit.record("quality_check.record", "quality_check", check.id, actor=actor,
                 organization_id=organization.id, check_type=check_type.value)
    return check


def attach_document(check: QualityCheck, data: bytes, filename: str, actor: User) -> QualityCheckDocument:
    """Keep a file (PDF, PNG or JPEG, judged by its content) backing ``check``, replacing any it had; audit it.

    A verified check goes back to waiting to be verified: the moderator vouched for what they saw, not for this
    file, so it is in "Quality checks to verify" again and counts on the listing once they have looked.
    Raises ``documents.DocumentError`` with the person's message when the file is refused; nothing changes then.
    """
    stored = documents.save(data)
    replaced = check.document
    if replaced is not None:
        documents.remove_when_committed(replaced.stored_name)
        db.session.delete(replaced)
        db.session.flush()  # one document a check: the old row goes before the new one comes
    document = QualityCheckDocument(
        quality_check=check, stored_name=stored.stored_name, content_type=stored.content_type,
        filename=documents.download_name(filename, stored.content_type), size_bytes=stored.size_bytes,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    was_verified = check.checked_on is not None
    check.checked_on = None
    check.checked_by_id = None
    db.session.flush()
    audit.record("quality_check.document.upload", "quality_check", check.id, actor=actor,
                 organization_id=check.organization_id, document_id=document.id, content_type=stored.content_type,
                 size_bytes=stored.size_bytes, replaced=replaced is not None, verification_withdrawn=was_verified)
    return document


def delete_quality_check(check: QualityCheck, actor: User) -> None:
    """Delete a check, its document (the row now, the file once this commits) and its reminders; audit it."""
    if check.document is not None:
        documents.remove_when_committed(check.document.stored_name)
    audit.record("quality_check.delete", "quality_check", check.id, actor=actor,
                 organization_id=check.organization_id, check_type=check.check_type.value,
                 had_document=check.document is not None, was_verified=check.checked_on is not None)
    db.session.execute(db.delete(QualityCheckNotice).where(QualityCheckNotice.quality_check_id == check.id))
    db.session.delete(check)  # still linked to its organisation at the flush, so the change log names its listings
    db.session.flush()


def verify_quality_check(check: QualityCheck, moderator: User, today: date | None = None) -> QualityCheck:
    """Mark a check as verified by ``moderator`` today."""
    check.checked_on = today or utcnow().date()
    check.checked_by_id = moderator.id
    audit.record("quality_check.verify", "quality_check", check.id, actor=moderator,
                 organization_id=check.organization_id, check_type=check.check_type.value)
    db.session.flush()
    return check


def unverified_checks() -> list[QualityCheck]:
    """Return the checks no moderator has verified yet, oldest first."""
    return list(
        db.session.scalars(
            db.select(QualityCheck).where(QualityCheck.checked_on.is_(None)).order_by(QualityCheck.created_at)
        )
    )


def check_status(check: QualityCheck, today: date) -> tuple[str, str]:
    """Return the check's status in words and the GOV.UK tag class for it."""
    if check.expires_on is not None and check.expires_on < today:
        return "Expired", "govuk-tag--red"
    if check.checked_on is None:
        return "Waiting to be verified", "govuk-tag--yellow"
    return "Verified", "govuk-tag--green"
