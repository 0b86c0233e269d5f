from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..domain import moderation, reports
from ..extensions import db
from ..forms import BaseForm
from ..models import ProblemReport, ReportStatus
from ..permissions import requires

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.route("/")
@requires("moderation.review")
def queue() -> Any:
    waiting = reports.open_reports()
    return render_template(
        "moderation/queue.html",
        listing_counts=moderation.queue_counts(moderation.queue()),
        reports=waiting,
        counts=reports.open_report_counts(waiting),
        reason_labels=reports.REASONS,
        form=BaseForm(),
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
        reports.close_report(report, current_user._get_current_object())  # type: ignore[attr-defined]
        db.session.commit()
        flash(f"Report about {report.service.name} closed.", "success")
    return redirect(url_for("moderation.queue"))
