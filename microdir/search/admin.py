"""Moderators' synonyms pages: list, add, change and delete the words search treats as the same."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from govuk_frontend_wtf.wtforms_widgets import GovTextArea, GovTextInput
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..extensions import db
from ..forms import BaseForm, submit_button
from ..models import Synonym
from ..permissions import requires
from . import synonyms as ops

bp = Blueprint("search_admin", __name__, url_prefix="/moderation/synonyms")


class SynonymForm(BaseForm):
    term = StringField(
        "Word or phrase people search for",
        widget=GovTextInput(),
        description="For example, lift",
        validators=[InputRequired("Enter the word or phrase people search for"),
                    Length(max=100, message="Word or phrase must be 100 characters or fewer")],
    )
    expansions = TextAreaField(
        "Also search for",
        widget=GovTextArea(),
        description="Words or phrases listings use, separated by commas. For example, community transport, driver",
        validators=[InputRequired("Enter at least one word or phrase to also search for"),
                    Length(max=1000, message="Also search for must be 1000 characters or fewer")],
    )
    submit = submit_button("Save synonym")

    def __init__(self, *args: Any, editing: Synonym | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def validate_term(self, field: Any) -> None:
        term = ops.normalise_term(field.data or "")
        if not term:
            raise ValidationError("Enter the word or phrase people search for")
        existing = ops.find_synonym(term)
        if existing is not None and (self.editing is None or existing.id != self.editing.id):
            raise ValidationError(f"There is already a synonym for ‘{term}’: change that one instead")

    def validate_expansions(self, field: Any) -> None:
        if not ops.normalise_expansions(field.data or ""):
            raise ValidationError("Enter at least one word or phrase to also search for")


class DeleteForm(BaseForm):
    submit = submit_button("Delete synonym")


def _get(synonym_id: int) -> Synonym:
    synonym = db.session.get(Synonym, synonym_id)
    if synonym is None:
        abort(404)
    return synonym


@bp.get("")
@requires("synonyms.edit")
def index() -> Any:
    rows = db.session.scalars(db.select(Synonym).order_by(Synonym.term)).all()
    return render_template("search_admin/index.html", synonyms=rows)


@bp.route("/new", methods=["GET", "POST"])
@requires("synonyms.edit")
def add() -> Any:
    form = SynonymForm()
    if form.validate_on_submit():
        synonym = ops.add_synonym(form.term.data, form.expansions.data)
        db.session.commit()
        flash(f"Synonym for ‘{synonym.term}’ added. Search uses it from now on.", "success")
        return redirect(url_for(".index"))
    return render_template("search_admin/form.html", form=form, heading="Add a synonym", synonym=None)


@bp.route("/<int:synonym_id>/edit", methods=["GET", "POST"])
@requires("synonyms.edit")
def edit(synonym_id: int) -> Any:
    synonym = _get(synonym_id)
    form = SynonymForm(obj=synonym, editing=synonym)
    if form.validate_on_submit():
        ops.update_synonym(synonym, form.term.data, form.expansions.data)
        db.session.commit()
        flash(f"Synonym for ‘{synonym.term}’ changed.", "success")
        return redirect(url_for(".index"))
    return render_template("search_admin/form.html", form=form, heading="Change a synonym", synonym=synonym)


@bp.route("/<int:synonym_id>/delete", methods=["GET", "POST"])
@requires("synonyms.edit")
def delete(synonym_id: int) -> Any:
    synonym = _get(synonym_id)
    form = DeleteForm()
    if form.validate_on_submit():
        term = synonym.term
        ops.delete_synonym(synonym)
        db.session.commit()
        flash(f"Synonym for ‘{term}’ deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("search_admin/delete.html", form=form, synonym=synonym)
