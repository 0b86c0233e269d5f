"""Admin pages: "Open data conformance" (the self-test on live data) and importing an ORUK file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, render_template
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovTextInput
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..extensions import db
from ..forms import BaseForm, submit_button
from ..permissions import requires
from . import importer
from .fetch import FetchRefused, fetch_records, url_import_enabled
from .selftest import run_on_app

bp = Blueprint("oruk_admin", __name__, url_prefix="/admin/open-data")


def publish_or_queue_field() -> RadioField:
    """Whether imported listings go live at once or wait for a moderator."""
    return RadioField(
        "What should happen to the imported listings?",
        choices=[
            SelectChoice("queue", "Send them for review before they are published"),
            SelectChoice("publish", "Publish them now"),
        ],
        default="queue",
        widget=GovRadioInput(),
        validators=[InputRequired("Select whether to publish the listings now or send them for review")],
    )


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
    then = publish_or_queue_field()
    submit = submit_button("Import")


class UrlImportForm(BaseForm):
    """Import from a web address: offered only when ORUK_IMPORT_FROM_URL_ENABLED is on."""

    # Names unlike the upload form's, so the page can tell which of its two forms was sent.
    feed_url = StringField(
        "Web address of the feed",
        widget=GovTextInput(),
        validators=[InputRequired("Enter the web address of an Open Referral UK feed")],
        description="For example https://example.org/api/services. Every page of a /services feed is fetched.",
    )
    feed_then = publish_or_queue_field()
    feed_submit = submit_button("Import from the web address")


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
    url_form = UrlImportForm() if url_import_enabled() else None
    report = None
    if url_form is not None and url_form.feed_submit.data:
        if url_form.validate_on_submit():
            try:
                records, problems = fetch_records(url_form.feed_url.data)
            except FetchRefused as error:
                url_form.feed_url.errors.append(str(error))
            else:
                report = _import(records, problems, publish=url_form.feed_then.data == "publish", source=f"url:{url_form.feed_url.data}")
        return render_template("oruk/import.html", form=form, url_form=url_form, report=report)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append("The selected file must be saved as UTF-8 text")
        else:
            records, problems = importer.read_records(text)
            report = _import(records, problems, publish=form.then.data == "publish", source=f"upload:{upload.filename}")
    return render_template("oruk/import.html", form=form, url_form=url_form, report=report)


def _import(records: list[Any], problems: list[importer.Rejection], *, publish: bool, source: str) -> importer.ImportReport:
    report = importer.import_services(
        records,
        publish=publish,
        actor=current_user._get_current_object(),  # type: ignore[attr-defined]
        source=source[:255],
    )
    report.rejections[:0] = problems
    db.session.commit()
    flash(f"Import finished: {report.summary()}", "success")
    return report
