"""Providers' pages under /provider: their listings, editing, workforce answers and quality checks. Thin views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from .. import documents, wording
from ..domain import listing_edits, listing_holds, provider_profiles, registration, revisions
from ..domain.listing_edits import EditConflict, EditError, ListingData
from ..domain.listings import FULL_TIME_HOURS, assess_micro_provider, checked_ago
from ..extensions import db
from ..forms import BaseForm, apply_row_action
from ..models import ListingStatus, Organization, QualityCheck, QualityCheckType, Role, Service, utcnow
from ..permissions import require, requires
from ..transactions import transaction
from . import submission
from .forms import (
    SECTION_FORMS,
    DocumentForm,
    ListingForm,
    NewServiceForm,
    QualityCheckForm,
    SectionForm,
    WorkforceForm,
)

bp = Blueprint("providers", __name__, url_prefix="/provider")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="microdir.listing-edit-base")


def _load_service(service_id: str) -> Service:
    service = db.session.get(Service, service_id) if len(service_id) <= 36 else None
    if service is None:
        abort(404)
    require("listing.manage", service)
    return service


def _load_organization(organization_id: str) -> Organization:
    organization = db.session.get(Organization, organization_id) if len(organization_id) <= 36 else None
    if organization is None:
        abort(404)
    require("listing.manage", organization)
    return organization


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.route("/")
@requires("listing.manage")
def listings() -> Any:
    now = utcnow()
    organizations = sorted(current_user.organizations, key=lambda o: o.name.lower())
    rows = {
        org.id: [
            {
                "service": service,
                "pending": revisions.pending_revision(service),
                "decision": revisions.latest_decision(service),
                "checked": checked_ago(service.last_verified_at, now),
                "hold": listing_holds.current_hold(service),
            }
            for service in sorted(org.services, key=lambda s: s.name.lower())
            if service.listing_status is not ListingStatus.ARCHIVED
        ]
        for org in organizations
    }
    return render_template(
        "providers/listings.html", title="Your listings", organizations=organizations, rows=rows,
        verdicts={org.id: assess_micro_provider(org.profile) for org in organizations},
        status_labels=wording.LISTING_STATUS_LABELS, status_tags=wording.LISTING_STATUS_TAGS,
        today=now.date(), check_status=provider_profiles.check_status, fingerprint=revisions.listing_fingerprint,
    )


def _render_edit(service: Service, form: ListingForm, conflict: list[Any] | None = None, status: int = 200) -> Any:
    return render_template(
        "providers/edit.html", title=f"Change {service.name}", service=service, form=form, conflict=conflict,
        sections=listing_edits.SECTIONS,
        needs_review=service.listing_status in listing_edits.NEEDS_REVIEW
        and _me().role not in (Role.MODERATOR, Role.ADMIN),  # a moderator's correction is published at once
    ), status


def _stamp(form: ListingForm, service: Service, data: ListingData, revision_id: str) -> None:
    """Record in the form what it was filled from, to notice a change made meanwhile by someone else."""
    form.version.data = str(service.version)
    form.revision_id.data = revision_id
    form.base.data = _serializer().dumps(data)


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
@requires("listing.manage")
def edit(service_id: str) -> Any:
    service = _load_service(service_id)
    if service.listing_status is ListingStatus.ARCHIVED:
        abort(404)
    form = ListingForm()
    if not form.is_submitted():
        data, revision_id = revisions.editing_state(service)
        form.fill(data)
        _stamp(form, service, data, revision_id)
        return _render_edit(service, form)
    if not form.validate():
        return _render_edit(service, form)
    return _save_form(
        service, form,
        lambda base: revisions.save_edit(service, form.listing_data(), _me(), expected_version=form.expected_version(),
                                             expected_revision=form.revision_id.data or "", base=base),
        lambda current, **kw: _render_edit(current, form, **kw),
        url_for(".listings"),
    )


SAVE_MESSAGES = {
    "submitted": "Your change to {name} has been sent to a moderator. "
    "The published listing stays as it is until they approve it.",
    "saved": "{name} has been saved.",
    "unchanged": "You did not change anything.",
    "published": "Your correction to {name} is published, and its organisation’s members have been told what changed.",
}


def _save_form(service: Service, form: ListingForm, save: Callable[[ListingData | None], str],
               render: Callable[..., Any], done_url: str) -> Any:
    """Save a validated edit form (the whole listing or one section), commit, and say what happened.

    ``save(base)`` gets what the form was filled from (see ``_stamp``), so a conflict can list what changed.
    """
    try:
        base = _serializer().loads(form.base.data or "")
    except BadSignature:
        base = None
    with transaction(EditError) as done:
        saved = save(base)
    if isinstance(done.error, EditConflict):
        current = _load_service(service.id)
        data, revision_id = revisions.editing_state(current)
        # Keep everything the person typed; only the hidden markers move on, so a second save goes through.
        _stamp(form, current, data, revision_id)
        return render(current, conflict=done.error.changes, status=409)
    if done.refused:
        flash(done.message, "error")
        return redirect(url_for(".listings"))
    flash(SAVE_MESSAGES[saved].format(name=service.name), "success" if saved != "unchanged" else "info")
    if _me().role in (Role.MODERATOR, Role.ADMIN):  # a moderator's correction: back to their page for the listing
        return redirect(url_for("moderation.listing", service_id=service.id))
    return redirect(done_url)


def _safe_next(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site ("/..."), else None: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target


def _section_form(section: str, service: Service, data: ListingData) -> SectionForm:
    form_class = SECTION_FORMS[section]
    if section == "accessibility":
        return form_class(venues=data.get("venues", []), extra_languages=data.get("languages", []))
    return form_class()


def _render_section(service: Service, section: str, form: SectionForm, conflict: list[Any] | None = None,
                    status: int = 200) -> Any:
    title = dict(listing_edits.SECTIONS)[section]
    return render_template(
        "providers/edit_section.html", title=f"{title} – {service.name}", heading=title, section=section,
        service=service, form=form, conflict=conflict, next_url=_safe_next(request.values.get("next")),
        needs_review=service.listing_status in listing_edits.NEEDS_REVIEW,
    ), status


def _row_action(form: SectionForm) -> bool:
    """Handle "Add another" / "Remove" buttons (no JavaScript): change the rows and re-render; True if one was pressed."""
    rows = getattr(form, "schedules", None) or getattr(form, "venues", None)
    return rows is not None and apply_row_action(rows, request.form.get("row_action", ""))


@bp.route("/services/<service_id>/edit/<section>", methods=["GET", "POST"])
@requires("listing.manage")
def edit_section(service_id: str, section: str) -> Any:
    service = _load_service(service_id)
    if service.listing_status is ListingStatus.ARCHIVED or section not in SECTION_FORMS:
        abort(404)
    data, revision_id = revisions.editing_state(service)
    form = _section_form(section, service, data)
    if not form.is_submitted():
        form.fill(data)
        _stamp(form, service, data, revision_id)
        return _render_section(service, section, form)
    if _row_action(form):
        return _render_section(service, section, form)
    if not form.validate():
        return _render_section(service, section, form)
    return _save_form(
        service, form,
        lambda base: revisions.save_section(service, section, form.answers(), _me(),
                                                expected_version=form.expected_version(),
                                                expected_revision=form.revision_id.data or "", base=base),
        lambda current, **kw: _render_section(current, section, form, **kw),
        _safe_next(request.args.get("next")) or url_for(".listings"),
    )


@bp.route("/services/<service_id>/submit", methods=["POST"])
@requires("listing.manage")
def submit_for_review(service_id: str) -> Any:
    service = _load_service(service_id)
    listings_url = url_for(".listings")
    return submission.submit_for_review(service, done=listings_url, changed=listings_url, refused=listings_url,
                                        announce=True)


@bp.route("/organisations/<organization_id>/workers", methods=["GET", "POST"])
@requires("listing.manage")
def workers(organization_id: str) -> Any:
    organization = _load_organization(organization_id)
    form = WorkforceForm()
    people, estimated = provider_profiles.people_of(organization.profile)
    if not form.is_submitted():
        form.fill(organization.profile)
        form.fill_people(people)
    elif apply_row_action(form.people, request.form.get("row_action", "")):
        pass  # a row was added or removed: show the page again
    elif form.validate():
        with transaction():
            verdict = provider_profiles.update_workforce(organization, form.answers(), _me())
        flash(f"Your answers have been saved. {verdict.summary}.", "success")
        return redirect(url_for(".workers", organization_id=organization.id))
    return render_template(
        "providers/workers.html", title=f"Who works for {organization.name}", organization=organization,
        form=form, verdict=assess_micro_provider(organization.profile), estimated=estimated,
        full_time_hours=FULL_TIME_HOURS,
    )


@bp.route("/organisations/<organization_id>/services/new", methods=["GET", "POST"])
@requires("listing.manage")
def new_service(organization_id: str) -> Any:
    """Add another service to an organisation; it is set up with the same task list as the first."""
    organization = _load_organization(organization_id)
    form = NewServiceForm()
    if form.validate_on_submit():
        with transaction(registration.RegistrationError) as done:
            service = registration.add_service(organization, form.name.data or "", _me())
        if not done.refused:
            return redirect(url_for("registration.tasks", service_id=service.id))
        form.name.errors.append(done.message)
    return render_template("providers/new_service.html", title=f"Add a service to {organization.name}",
                           organization=organization, form=form)


@bp.route("/organisations/<organization_id>/checks/new", methods=["GET", "POST"])
@requires("listing.manage")
def new_check(organization_id: str) -> Any:
    organization = _load_organization(organization_id)
    form = QualityCheckForm()
    if form.validate_on_submit():
        with transaction():
            provider_profiles.record_quality_check(
                organization, QualityCheckType(form.check_type.data), _me(),
                reference=form.reference.data, description=form.description.data,
                cover_amount=form.cover_amount.number, expires_on=form.expires_on.data,
            )
        flash("Your check has been saved. A moderator will verify it.", "success")
        return redirect(url_for(".listings"))
    return render_template("providers/new_check.html", title="Add a quality check", organization=organization, form=form)


# ---- documents backing quality checks -------------------------------------------------------------------------

def _load_check(check_id: str) -> QualityCheck:
    """The check, for its organisation's members, moderators and admins only (never link workers or the public)."""
    check = db.session.get(QualityCheck, check_id) if len(check_id) <= 36 else None
    if check is None:
        abort(404)
    require("listing.manage", check.organization)
    return check


def _back_from_check() -> str:
    return _safe_next(request.args.get("next")) or url_for(".listings")


@bp.route("/checks/<check_id>/document", methods=["GET", "POST"])
@requires("listing.manage")
def check_document(check_id: str) -> Any:
    """Upload (or replace) the document backing a quality check: an insurance certificate, a DBS letter."""
    check = _load_check(check_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(documents.max_bytes() + 1)  # one byte over is enough to know it is too big
        with transaction(documents.DocumentError) as done:
            provider_profiles.attach_document(check, data, upload.filename or "", _me())
        if not done.refused:
            flash(f"Your document for the {wording.in_sentence(check.label)} has been uploaded. "
                  "A moderator will look at it when they verify the check.", "success")
            return redirect(_back_from_check())
        form.file.errors = [*form.file.errors, done.message]
    return render_template("providers/check_document.html", title=f"Upload a document for {wording.in_sentence(check.label)}",
                           check=check, form=form, back=_back_from_check(),
                           max_megabytes=documents.max_bytes() // (1024 * 1024))


@bp.route("/checks/<check_id>/document/file")
@requires("listing.manage")
def download_document(check_id: str) -> Any:
    """The document itself, always as a download and never sniffed into something a browser would run."""
    check = _load_check(check_id)
    document = check.document
    if document is None:
        abort(404)
    try:
        path = documents.path_of(document.stored_name)
    except FileNotFoundError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/checks/<check_id>/delete", methods=["GET", "POST"])
@requires("listing.manage")
def delete_check(check_id: str) -> Any:
    check = _load_check(check_id)
    form = BaseForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        label = check.label
        with transaction():
            provider_profiles.delete_quality_check(check, _me())
        flash(f"The {wording.in_sentence(label)} has been deleted.", "success")
        return redirect(_back_from_check())
    return render_template("providers/delete_check.html", title=f"Delete the {wording.in_sentence(check.label)}", check=check,
                           form=form, back=_back_from_check())
