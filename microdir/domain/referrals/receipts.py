"""The person's consent receipt (an email, or a text for the link worker), and finding a referral from it."""

from __future__ import annotations

from datetime import date

from flask import current_app

from ...extensions import db
from ...mail import email_link
from ...models import ContactMethod, Referral, utcnow
from ...signed_links import LinkPurpose, make_link_token
from ...wording import CONTACT_METHOD_LABELS, format_date
from .. import audit
from .notices import send_notice


def receipt_withdraw_link(referral: Referral) -> str:
    token = make_link_token(LinkPurpose.REFERRAL_RECEIPT, {"r": referral.id})
    return email_link("referral_receipt.confirm", token=token)


def shared_items(referral: Referral) -> list[str]:
    """Return, in the person's terms and in general terms, what the referral shares with the provider."""
    contact = referral.contact
    items = ["your name"]
    if contact is not None:
        items.append(f"how you want to be contacted ({CONTACT_METHOD_LABELS[contact].lower()})"
                     + (" and your contact details" if referral.contact_details else ""))
    if referral.date_of_birth:
        items.append("your date of birth")
    if referral.needs:
        # In general terms only: the needs themselves can be health data, and email is not a safe place for them.
        items.append("what matters to you, as you told your link worker")
    if referral.reasons_text:
        items.append("what you would like to get from the service, in your own words")
    if referral.provider_notes:
        items.append("anything the service should know, such as access needs")
    if referral.safeguarding_flag:
        items.append("that your link worker would like to talk to them before they contact you")
    return items


def receipt_email_body(referral: Referral, withdraw_link: str) -> str:
    check = "your date of birth" if referral.date_of_birth else "your email address"
    shared = "\n".join(f"- {item}" for item in shared_items(referral))
    when = format_date(referral.consent_given_at or utcnow())
    return (
        f"Hello {referral.person_name},\n\n"
        f"Your link worker at {referral.team.name} has referred you to {referral.service.name}, run by "
        f"{referral.organization.name}.\n\nYour reference number is {referral.reference}. Keep it: you can use it "
        f"to ask about the referral.\n\nWhat we shared with {referral.organization.name}:\n{shared}\n\n"
        f"Why: so that {referral.service.name} can contact you about taking part. They may use these details only "
        f"for this. You agreed to this on {when}.\n\n"
        f"If you change your mind, you can withdraw the referral and we will delete your details:\n{withdraw_link}\n\n"
        f"Or go to {email_link('referral_receipt.start')} and enter your reference number and {check}.\n"
    )


def receipt_sms_text(referral: Referral) -> str:
    return (
        f"{current_app.config['SERVICE_NAME']}: you were referred to {referral.service.name}. Ref {referral.reference}. "
        f"To change your mind go to {email_link('referral_receipt.start')} and enter the ref and the last 4 digits "
        f"of this phone number."
    )


def issue_receipt(referral: Referral) -> None:
    """Give the person their receipt: emailed when they gave an email address; a text for the link worker to
    read out or send when they gave a phone number (we have no SMS gateway, so it is stored as not sent)."""
    contact = referral.contact
    if contact is ContactMethod.EMAIL and referral.contact_details:
        message = send_notice(referral.contact_details, f"Your referral to {referral.service.name}",
                         receipt_email_body(referral, receipt_withdraw_link(referral)), secret=True)
        referral.receipt_email_id = message.id
    elif contact is ContactMethod.PHONE and referral.contact_details:
        referral.receipt_sms_text = receipt_sms_text(referral)
    audit.record("referral.receipt", "referral", referral.id, actor=None,
                 channel=contact.value if contact else None, emailed=referral.receipt_email_id is not None)
    db.session.flush()


def _digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def find_for_person(reference: str, *, date_of_birth: date | None = None, phone_last4: str | None = None,
                    email: str | None = None) -> Referral | None:
    """Return the referral with this reference when one of the given details matches what the person gave."""
    reference = normalise_reference(reference)
    referral = db.session.scalar(db.select(Referral).where(Referral.reference == reference))
    if referral is None or referral.erased_at is not None:
        return None
    contact = referral.contact
    if date_of_birth is not None and referral.date_of_birth == date_of_birth:
        return referral
    last4 = _digits(phone_last4)
    if len(last4) == 4 and contact is ContactMethod.PHONE and _digits(referral.contact_details)[-4:] == last4:
        return referral
    if (email and contact is ContactMethod.EMAIL
            and (referral.contact_details or "").strip().casefold() == email.strip().casefold()):
        return referral
    return None


def normalise_reference(text: str) -> str:
    """Accept a reference as people type it: any case, spaces or no dashes."""
    body = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if body.startswith("MD"):
        body = body[2:]
    return f"MD-{body[:4]}-{body[4:]}" if len(body) == 8 else (text or "").strip().upper()
