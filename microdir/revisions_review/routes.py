"""Moderators' pages: pending revisions with their diffs, approve, reject with a reason; quality checks to verify."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..domain import moderation, provider_profiles
from ..domain.listing_edits import EditError
from ..domain.moderation import ModerationError
from ..extensions import db
from ..forms import BaseForm
from ..models import ListingRevision, QualityCheck, utcnow
from ..permissions import requires
from ..transactions import transaction
from .forms import DecisionForm, RejectForm

bp = Blueprint("revisions", __name__, url_prefix="/moderation/revisions")


def _load(revision_id: str) -> ListingRevision:
    revision = db.session.get(ListingRevision, revision_id) if len(revision_id) <= 36 else None
    if revision is None:
        abort(404)
    return revision


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.route("/")
@requires("moderation.review")
def queue() -> Any:
    revisions = moderation.queue()
    return render_template(
        "revisions/queue.html", title="Listings waiting for review", revisions=revisions,
        counts=moderation.queue_counts(revisions), unverified=len(provider_profiles.unverified_checks()),
    )


def _render_revision(revision: ListingRevision, form: RejectForm, status: int = 200) -> Any:
    service = revision.service
    return render_template(
        "revisions/revision.html", title=f"Review {service.name}", revision=revision, service=service,
        changes=moderation.revision_diff(revision), form=form, seen=moderation.listing_seen(revision),
        moved_on=moderation.changed_since_submitted(revision),
    ), status


@bp.route("/<revision_id>")
@requires("moderation.review")
def show(revision_id: str) -> Any:
    revision = _load(revision_id)
    return _render_revision(revision, RejectForm(formdata=None))


@bp.route("/<revision_id>/approve", methods=["POST"])
@requires("moderation.review")
def approve(revision_id: str) -> Any:
    revision = _load(revision_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    # A ModerationError, or a revision that can no longer be applied as it stands.
    with transaction(EditError) as done:
        service = moderation.approve(revision, _me(), seen=form.seen.data or "")
        name = service.name
        new = revision.is_new_listing
    if done.refused:
        flash(done.message, "error")
        return redirect(url_for(".show", revision_id=revision_id))
    flash(f"{name} is now published." if new else f"The change to {name} is now live.", "success")
    return redirect(url_for(".queue"))


@bp.route("/<revision_id>/reject", methods=["POST"])
@requires("moderation.review")
def reject(revision_id: str) -> Any:
    revision = _load(revision_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_revision(revision, form)
    with transaction(ModerationError) as done:
        moderation.reject(revision, _me(), form.reason.data, seen=form.seen.data or "")
        name = revision.service.name
    if done.refused:
        flash(done.message, "error")
        return redirect(url_for(".show", revision_id=revision_id))
    flash(f"You rejected the change to {name}. The provider has been told why.", "success")
    return redirect(url_for(".queue"))


@bp.route("/quality-checks")
@requires("quality_check.verify")
def quality_checks() -> Any:
    return render_template(
        "revisions/quality_checks.html", title="Quality checks to verify", checks=provider_profiles.unverified_checks(),
        today=utcnow().date(),
    )


@bp.route("/quality-checks/<check_id>/verify", methods=["POST"])
@requires("quality_check.verify")
def verify_check(check_id: str) -> Any:
    form = BaseForm()
    if not form.validate_on_submit():
        abort(400)
    check = db.session.get(QualityCheck, check_id) if len(check_id) <= 36 else None
    if check is None:
        abort(404)
    if check.checked_on is not None:
        flash("That check was already verified.", "info")
        return redirect(url_for(".quality_checks"))
    with transaction():
        provider_profiles.verify_quality_check(check, _me())
        label, organization = check.label, check.organization.name
    flash(f"{label} for {organization} is verified.", "success")
    return redirect(url_for(".quality_checks"))
