"""Moderators' pages: the one queue of everything waiting, and the actions on a whole listing. Thin views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..domain import listing_holds, moderation, moderation_queue, reports, revisions, upkeep
from ..domain.listings import assess_micro_provider, checked_ago
from ..domain.moderation import ModerationError
from ..extensions import db
from ..forms import BaseForm
from ..models import ListingStatus, ProblemReport, ReportStatus, Service, utcnow
from ..permissions import access_of, requires
from ..transactions import transaction
from ..wording import format_date
from .forms import ArchiveForm, OverrideForm, SuspendForm

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


# Several forms share the listing page, so they carry prefixes; the page's one csrf_token field is checked for
# every POST by CSRFProtect (extensions.csrf) before the view runs.
NO_FORM_CSRF = {"csrf": False}

# What a row of the queue is, in the singular.
KIND_LABELS = {
    "new_listing": "New listing",
    "change": "Change",
    "claim": "Claim",
    "report": "Problem report",
    "quality_check": "Quality check",
    "stale": "Not confirmed",
}


def _claim_url(claim: Any) -> str:
    """Link to the claims module's page for deciding ``claim``: whichever moderator page takes a claim_id."""
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        if "claim_id" in rule.arguments and "GET" in (rule.methods or ()) and view is not None \
                and access_of(view) == "moderation.review":
            return url_for(rule.endpoint, claim_id=claim.id)
    return url_for("moderation.listing", service_id=claim.service_id)


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.route("/")
@requires("moderation.review")
def queue() -> Any:
    waiting = reports.open_reports()
    items = moderation_queue.build_queue()
    kind = request.args.get("kind", "")
    kind = kind if kind in moderation_queue.KINDS else ""
    shown = [item for item in items if not kind or item.kind == kind]
    return render_template(
        "moderation/queue.html",
        items=items,
        shown=shown,
        kind=kind,
        kinds=moderation_queue.KINDS,
        kind_labels=KIND_LABELS,
        claim_url=_claim_url,
        today=utcnow().date(),
        queue_counts=moderation_queue.queue_counts(items),
        listing_counts=moderation.queue_counts(moderation.queue()),
        reports=waiting,
        counts=reports.open_report_counts(waiting),
        reason_labels=reports.REASONS,
        form=BaseForm(),
        format_date=format_date,
    )


@bp.route("/reports/<report_id>/close", methods=["POST"])
@requires("moderation.review")
def close_report(report_id: str) -> Any:
    form = BaseForm()
    if not form.validate_on_submit():
        abort(400)
    report = db.session.get(ProblemReport, report_id) if len(report_id) <= 36 else None
    if report is None:
        abort(404)
    if report.status is ReportStatus.CLOSED:
        flash("That report was already closed.", "info")
    else:
        with transaction():
            reports.close_report(report, _me())
        flash(f"Report about {report.service.name} closed.", "success")
    return redirect(url_for("moderation.queue"))


# ---- one listing ---------------------------------------------------------------------------------------------------

def _load_service(service_id: str) -> Service:
    service = db.session.get(Service, service_id) if len(service_id) <= 36 else None
    if service is None:
        abort(404)
    return service


def _render_listing(service: Service, *, suspend_form: SuspendForm | None = None,
                    archive_form: ArchiveForm | None = None, override_form: OverrideForm | None = None,
                    status: int = 200) -> Any:
    now = utcnow()
    organization = service.organization
    profile = organization.profile
    if override_form is None:
        override_form = OverrideForm(prefix="override", formdata=None, meta=NO_FORM_CSRF)
        current = profile.moderator_override if profile is not None else None
        override_form.decision.data = {True: "yes", False: "no"}.get(current, "rule")  # type: ignore[arg-type]
        override_form.reason.data = profile.moderator_override_reason if profile is not None else None
    failed = next((f for f in (suspend_form, archive_form, override_form) if f is not None and f.errors), None)
    return render_template(
        "moderation/listing.html", title=f"Moderate {service.name}", service=service, organization=organization,
        hold=listing_holds.current_hold(service), verdict=assess_micro_provider(profile), profile=profile,
        checked=checked_ago(service.last_verified_at, now), stage=upkeep.due_stage(service, now),
        suspend_form=suspend_form or SuspendForm(prefix="suspend", formdata=None, meta=NO_FORM_CSRF),
        archive_form=archive_form or ArchiveForm(prefix="archive", formdata=None, meta=NO_FORM_CSRF),
        override_form=override_form, form=failed, format_date=format_date,
        pending=revisions.pending_revision(service), ListingStatus=ListingStatus,
        open_reports=[r for r in reports.open_reports() if r.service_id == service.id],
        reason_labels=reports.REASONS, quality_checks=organization.quality_checks, today=now.date(),
    ), status


@bp.route("/listings/<service_id>")
@requires("moderation.review")
def listing(service_id: str) -> Any:
    return _render_listing(_load_service(service_id))


def _decide(service: Service, decision: Callable[[], Any], message: Callable[[Any], str]) -> Any:
    """Make a moderator's decision on one listing, commit, say what happened, and go back to the listing."""
    with transaction(ModerationError) as done:
        result = decision()
    if done.refused:
        flash(done.message, "error")
    else:
        flash(message(result), "success")
    return redirect(url_for(".listing", service_id=service.id))


@bp.route("/listings/<service_id>/suspend", methods=["POST"])
@requires("moderation.review")
def suspend(service_id: str) -> Any:
    service = _load_service(service_id)
    form = SuspendForm(prefix="suspend", meta=NO_FORM_CSRF)
    if not form.validate_on_submit():
        return _render_listing(service, suspend_form=form)
    name = service.name
    return _decide(service, lambda: listing_holds.suspend(service, _me(), form.reason.data),
                   lambda _: f"{name} is suspended. It is hidden from residents and link workers.")


@bp.route("/listings/<service_id>/archive", methods=["POST"])
@requires("moderation.review")
def archive(service_id: str) -> Any:
    service = _load_service(service_id)
    form = ArchiveForm(prefix="archive", meta=NO_FORM_CSRF)
    if not form.validate_on_submit():
        return _render_listing(service, archive_form=form)
    name = service.name
    return _decide(service, lambda: listing_holds.archive(service, _me(), form.reason.data),
                   lambda _: f"{name} is archived. It will be deleted for good unless you reinstate it.")


@bp.route("/listings/<service_id>/reinstate", methods=["POST"])
@requires("moderation.review")
def reinstate(service_id: str) -> Any:
    service = _load_service(service_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    name = service.name
    return _decide(service, lambda: listing_holds.reinstate(service, _me()), lambda _: f"{name} is published again.")


@bp.route("/listings/<service_id>/phoned", methods=["POST"])
@requires("moderation.review")
def phoned(service_id: str) -> Any:
    service = _load_service(service_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    name = service.name
    return _decide(service, lambda: listing_holds.record_phone_check(service, _me()),
                   lambda _: f"{name} is recorded as checked by phone today.")


@bp.route("/listings/<service_id>/micro-provider", methods=["POST"])
@requires("moderation.review")
def override_micro_provider(service_id: str) -> Any:
    service = _load_service(service_id)
    form = OverrideForm(prefix="override", meta=NO_FORM_CSRF)
    if not form.validate_on_submit():
        return _render_listing(service, override_form=form)
    organization = service.organization.name
    return _decide(
        service,
        lambda: listing_holds.override_micro_provider(service.organization, _me(), form.override(), form.reason.data),
        lambda verdict: f"Decision about {organization} saved. {verdict.summary}.",
    )
