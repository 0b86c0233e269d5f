"""Admin pages: "Open data conformance" (the self-test on live data) and importing an ORUK file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, render_template
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..extensions import db
from ..forms import BaseForm, submit_button
from ..permissions import requires
from . import importer
from .selftest import run_on_app

bp = Blueprint("oruk_admin", __name__, url_prefix="/admin/open-data")


class ImportForm(BaseForm):
    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        validators=[
            FileRequired("Select an Open Referral UK file to import"),
            FileAllowed(["json", "ndjson", "jsonl"], "The selected file must be a JSON or ndjson file"),
        ],
        description="A page from a /services feed, a JSON list of services, or ndjson with one service a line.",
    )
    then = RadioField(
        "What should happen to the imported listings?",
        choices=[
            SelectChoice("queue", "Send them for review before they are published"),
            SelectChoice("publish", "Publish them now"),
        ],
        default="queue",
        widget=GovRadioInput(),
        validators=[InputRequired("Select whether to publish the listings now or send them for review")],
    )
    submit = submit_button("Import")


@bp.get("")
@requires("open_data.manage")
def conformance() -> Any:
    """Run the ORUK validator's checks on the live feed and show the results."""
    result = run_on_app(current_app._get_current_object())  # type: ignore[attr-defined]
    return render_template("oruk/conformance.html", result=result)


@bp.route("/import", methods=["GET", "POST"])
@requires("open_data.manage")
def import_services() -> Any:
    """Import services from an uploaded ORUK/HSDS 3.0 file and show what happened to each."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The selected file must be saved as UTF-8 text")
        else:
            records, problems = importer.read_records(text)
            report = importer.import_services(
                records,
                publish=form.then.data == "publish",
                actor=current_user._get_current_object(),  # type: ignore[attr-defined]
                source=f"upload:{upload.filename}",
            )
            report.rejections[:0] = problems
            db.session.commit()
            flash(f"Import finished: {report.summary()}", "success")
    return render_template("oruk/import.html", form=form, report=report)
