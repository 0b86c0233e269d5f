"""Provider registration: a verified email address, an account, an organisation and its first listing, a task list.

The task list is worked out from the database each time: the organisation's set-up record says which of the tasks
that are not listing fields are done; the listing's own sections say the rest (``listing_edits.section_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from ..extensions import db
from ..mail import email_link, send_email
from ..models import (
    DraftSectionSaved,
    EmailVerification,
    LegalForm,
    ListingStatus,
    MicroProviderProfile,
    Organization,
    OrganizationSetup,
    Role,
    Service,
    TaskProgress,
    User,
    utcnow,
)
from ..signed_links import LinkInvalid, LinkPurpose, make_link_token, read_link_token
from . import accounts, audit, listing_edits, provider_profiles, revisions
from .listings import MicroProviderVerdict

# GOV.UK task list statuses.
COMPLETED = "Completed"
INCOMPLETE = "Incomplete"
NOT_STARTED = "Not yet started"
CANNOT_START = "Cannot start yet"
# Sections whose answers may all be left empty: completed only once the provider has saved them.
SAVE_TO_COMPLETE = frozenset({"accessibility"})


class RegistrationError(ValueError):
    """A registration step that cannot be taken as asked; the message is for the person."""


class LinkUsed(LinkInvalid):
    """The link was genuine but has already done its job."""


def safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None (never follow a link off the site)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return None


# ---- step 1: verify the email address, then make the account ---------------------------------------------------

def start_registration(email: str, next_url: str | None = None) -> None:
    """Email a link to verify ``email``; if it already has an account, email a "sign in or reset" note instead.

    Either way the person sees the same page, so nobody can find out who has an account.
    """
    address = accounts.normalise_email(email)
    service_name = current_app.config["SERVICE_NAME"]
    if accounts.find_user_by_email(address) is not None:
        body = (
            f"Hello,\n\nSomeone asked to register a service on {service_name} with this email address, "
            "but you already have an account.\n\n"
            f"Sign in here:\n{email_link('auth.sign_in')}\n\n"
            f"If you have forgotten your password, you can reset it here:\n"
            f"{email_link('auth.forgot_password')}\n\n"
            "If this was not you, you can ignore this email.\n"
        )
        send_email(address, f"You already have a {service_name} account", body)
        return
    verification = EmailVerification(email=address)
    db.session.add(verification)
    db.session.flush()
    payload: dict[str, Any] = {"verification": verification.id}
    if safe_next(next_url):
        payload["next"] = next_url
    link = email_link("registration.verify", token=make_link_token(LinkPurpose.VERIFY_EMAIL, payload))
    hours = current_app.config["REGISTRATION_LINK_MAX_AGE"] // 3600
    body = (
        f"Hello,\n\nTo register your service on {service_name}, open this link within {hours} hours:\n\n{link}\n\n"
        "The link works once. You will then choose your name and password.\n\n"
        "If you did not ask to register, you can ignore this email: no account has been made.\n"
    )
    send_email(address, "Confirm your email address", body, secret=True)
    audit.record("registration.verify_email.send", "email_verification", verification.id)


def verification_for_token(token: str) -> tuple[EmailVerification, str | None]:
    """Return the verification a link is for, and where to go after registering.

    Raises ``LinkExpired`` when it is too old, ``LinkUsed`` when it has made an account already and ``LinkInvalid``
    when it is not a genuine link.
    """
    payload = read_link_token(LinkPurpose.VERIFY_EMAIL, token, current_app.config["REGISTRATION_LINK_MAX_AGE"])
    verification_id = payload.get("verification")
    verification = db.session.get(EmailVerification, verification_id) if isinstance(verification_id, str) else None
    if verification is None:
        raise LinkInvalid("no such verification")
    if verification.used_at is not None or accounts.find_user_by_email(verification.email) is not None:
        raise LinkUsed("already used")
    return verification, safe_next(payload.get("next"))


def complete_registration(verification: EmailVerification, name: str, password: str) -> User:
    """Make the provider's account for a verified address; the link cannot be used again."""
    if not (name or "").strip():
        raise accounts.AccountError("Enter your full name")
    user = accounts.create_user(verification.email, name, password, Role.PROVIDER)
    verification.used_at = utcnow()
    audit.record("registration.complete", "user", user.id, actor=user, verification_id=verification.id)
    return user


def purge_old_verifications() -> str:
    """Delete verification records once their link can no longer work, so addresses are not kept for nothing."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["REGISTRATION_LINK_MAX_AGE"])
    result = db.session.execute(db.delete(EmailVerification).where(EmailVerification.created_at < cutoff))
    return f"{result.rowcount} removed"  # type: ignore[attr-defined]


# ---- step 2: the organisation and its first listing ---------------------------------------------------------------

@dataclass(frozen=True)
class OrganisationAbout:
    """What "About your organisation" asks: everything the micro-provider rule needs except the workforce."""

    name: str
    description: str
    legal_form: LegalForm
    independent: bool
    parent_body: str | None


def _setup(organization: Organization) -> OrganizationSetup | None:
    return db.session.get(OrganizationSetup, organization.id)


def create_organisation(user: User, about: OrganisationAbout) -> Service:
    """Create the organisation (with ``user`` as its member) and its first listing, a draft; return the listing."""
    organization = Organization(name=about.name, description=about.description)
    organization.profile = MicroProviderProfile(
        legal_form=about.legal_form, paid_workers=0, paid_workers_fte=Decimal("0"), unpaid_workers=0,
        unpaid_workers_fte=Decimal("0"), independent=about.independent,
        parent_body=None if about.independent else about.parent_body,
        independence_declared_at=utcnow() if about.independent else None,
    )
    db.session.add(organization)
    user.organizations.append(organization)
    # The listing starts with the organisation's name; "What you offer" lets the provider change it.
    service = Service(organization=organization, name=about.name, description="", listing_status=ListingStatus.DRAFT)
    db.session.add(service)
    db.session.flush()
    db.session.add(OrganizationSetup(organization_id=organization.id, created_by_id=user.id))
    audit.record("organization.create", "organization", organization.id, actor=user, service_id=service.id,
                 independent=about.independent, legal_form=about.legal_form.value)
    db.session.flush()
    return service


def add_service(organization: Organization, name: str, actor: User) -> Service:
    """Start another service of an existing organisation: a draft worked through the same task list as the first,
    and reviewed by a moderator (``submit_listing``) before anyone can see it. Return the draft."""
    name = (name or "").strip()
    if not name:
        raise RegistrationError("Enter the name of the service")
    service = Service(organization=organization, name=name, description="", listing_status=ListingStatus.DRAFT)
    db.session.add(service)
    db.session.flush()
    audit.record("service.create", "service", service.id, actor=actor, organization_id=organization.id)
    return service


def update_organisation(organization: Organization, about: OrganisationAbout, actor: User) -> None:
    """Change the organisation's details while none of its listings has been published."""
    if any(s.listing_status in listing_edits.NEEDS_REVIEW for s in organization.services):
        raise RegistrationError(
            f"{organization.name} has a published listing, so ask a moderator to change its name or details."
        )
    profile = organization.profile
    if profile is None:  # an organisation that came from an imported listing has no answers yet
        profile = MicroProviderProfile(legal_form=about.legal_form, paid_workers=0, paid_workers_fte=Decimal("0"),
                                       unpaid_workers=0, unpaid_workers_fte=Decimal("0"))
        organization.profile = profile
    organization.name = about.name
    organization.description = about.description
    profile.legal_form = about.legal_form
    if about.independent and not profile.independent:
        profile.independence_declared_at = utcnow()
    profile.independent = about.independent
    profile.parent_body = None if about.independent else about.parent_body
    audit.record("organization.update", "organization", organization.id, actor=actor,
                 independent=about.independent, legal_form=about.legal_form.value)
    db.session.flush()


def save_workers(organization: Organization, workforce: provider_profiles.Workforce, actor: User) -> MicroProviderVerdict:
    """Save who works for the organisation through the one workforce operation, and tick the task off."""
    verdict = provider_profiles.update_workforce(organization, workforce, actor)
    setup = _setup(organization)
    if setup is None:
        setup = OrganizationSetup(organization_id=organization.id, created_by_id=actor.id)
        db.session.add(setup)
    setup.workforce_answered_at = utcnow()
    db.session.flush()
    return verdict


def mark_quality_checks(organization: Organization, completed: bool, actor: User) -> None:
    """Record the provider's answer to "Have you added all your quality checks?"."""
    setup = _setup(organization)
    if setup is None:
        setup = OrganizationSetup(organization_id=organization.id, created_by_id=actor.id)
        db.session.add(setup)
    setup.quality_checks = TaskProgress.COMPLETED if completed else TaskProgress.INCOMPLETE
    db.session.flush()


# ---- the task list ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """One row of the task list: ``key`` names the page (a listing section's key, or one of ours)."""

    key: str
    title: str
    status: str
    required: bool = True
    is_section: bool = False


def listing_sections() -> list[tuple[str, str]]:
    """The listing's sections, as the section editor has them."""
    return list(listing_edits.SECTIONS)


def section_statuses(service: Service) -> dict[str, bool]:
    """Whether each listing section has what it needs."""
    return listing_edits.section_status(revisions.editing_state(service)[0])


def about_status(organization: Organization) -> str:
    # An organisation claimed from an imported listing has no profile: its kind and independence are still to be
    # asked (here or on "Your workers"), so the task is not done until one of them has saved a profile.
    return COMPLETED if organization.profile is not None else NOT_STARTED


def workers_status(organization: Organization) -> str:
    setup = _setup(organization)
    if setup is None:  # registered before the task list existed: the profile is their answer
        return COMPLETED if organization.profile is not None else NOT_STARTED
    return COMPLETED if setup.workforce_answered_at is not None else NOT_STARTED


def _checks_status(organization: Organization) -> str:
    setup = _setup(organization)
    progress = setup.quality_checks if setup is not None else None
    if progress is TaskProgress.COMPLETED:
        return COMPLETED
    if progress is TaskProgress.INCOMPLETE or organization.quality_checks:
        return INCOMPLETE
    return NOT_STARTED


def tasks(service: Service) -> list[Task]:
    """Return the task list for a draft listing, in the order the provider works through it."""
    organization = service.organization
    statuses = section_statuses(service)
    rows = [
        Task("about", "About your organisation", about_status(organization)),
        Task("workers", "Your workers", workers_status(organization)),
    ]
    saved = set(db.session.scalars(db.select(DraftSectionSaved.section).where(DraftSectionSaved.service_id == service.id)))
    for key, title in listing_sections():
        done = statuses.get(key) and (key not in SAVE_TO_COMPLETE or key in saved)
        rows.append(Task(key, title, COMPLETED if done else NOT_STARTED, is_section=True))
    rows.append(Task("quality_checks", "Quality checks", _checks_status(organization), required=False))
    ready = all(t.status == COMPLETED for t in rows if t.required)
    rows.append(Task("check", "Check your answers and submit", NOT_STARTED if ready else CANNOT_START))
    return rows


def incomplete_tasks(service: Service) -> list[Task]:
    """Return the required tasks not completed yet (the last row, "check and submit", is not counted)."""
    return [t for t in tasks(service)[:-1] if t.required and t.status != COMPLETED]


def summary_rows(service: Service) -> list[tuple[str, str, str]]:
    """Return (section key, label, value) rows describing the listing for "Check your answers"."""
    return listing_edits.summary_rows(revisions.editing_state(service)[0])


def submit_listing(service: Service, actor: User, *, expected_version: int,
                   expected_fingerprint: str | None = None) -> None:
    """Send a finished draft to the moderators through the one submit operation."""
    missing = incomplete_tasks(service)
    if missing:
        raise RegistrationError(
            "Complete these sections before you submit: " + ", ".join(t.title.lower() for t in missing) + "."
        )
    revisions.submit_for_review(service, actor, expected_version=expected_version,
                                expected_fingerprint=expected_fingerprint)


# ---- members ------------------------------------------------------------------------------------------------------

def members(organization: Organization) -> list[User]:
    """Return the organisation's members, by name."""
    from ..models import organization_membership

    return list(
        db.session.scalars(
            db.select(User)
            .join(organization_membership, organization_membership.c.user_id == User.id)
            .where(organization_membership.c.organization_id == organization.id)
            .order_by(User.name)
        )
    )


def invite_colleague(organization: Organization, inviter: User, name: str, email: str) -> User:
    """Make a provider account for a colleague as a member of ``organization`` and email them a link.

    An existing provider account is added as a member and told. Staff and stopped accounts cannot be members: their
    owner is told instead, and the inviter sees the same answer as for anyone else, so the form never reveals who
    has a staff account. Return the person the email went to.
    """
    address = accounts.normalise_email(email)
    if not (name or "").strip():
        raise accounts.AccountError("Enter your colleague’s full name")
    existing = accounts.find_user_by_email(address)
    if existing is not None:
        if existing.role is not Role.PROVIDER or not existing.active:
            send_email(
                existing.email, f"An invitation to manage {organization.name}",
                f"Hello {existing.name},\n\n{inviter.name} asked to add this email address as a member of "
                f"{organization.name} on {current_app.config['SERVICE_NAME']}, but your account cannot manage "
                "listings. If you should, ask an administrator.\n",
            )
            audit.record("organization.member.invite_refused", "organization", organization.id, actor=inviter,
                         member_id=existing.id)
            return existing
        if any(org.id == organization.id for org in existing.organizations):
            raise accounts.AccountError(f"{existing.name} is already a member of {organization.name}")
        existing.organizations.append(organization)
        send_email(
            existing.email, f"You can now manage {organization.name}",
            f"Hello {existing.name},\n\n{inviter.name} has added you as a member of {organization.name} on "
            f"{current_app.config['SERVICE_NAME']}. You can manage its listings when you sign in:\n\n"
            f"{email_link('providers.listings')}\n",
        )
        colleague = existing
    else:
        invited = accounts.invite_user(address, name, Role.PROVIDER, organizations=[organization])
        assert invited is not None  # the address had no account
        colleague = invited
    audit.record("organization.member.invite", "organization", organization.id, actor=inviter,
                 member_id=colleague.id, new_account=existing is None)
    db.session.flush()
    return colleague
