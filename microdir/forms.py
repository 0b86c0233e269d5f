"""Shared form parts: a whitespace-stripping base form and GOV.UK-styled fields."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import PasswordField, SubmitField
from wtforms.fields.choices import SelectChoice


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Every form strips surrounding spaces from what people type, except passwords: those are kept exactly as
    typed (NCSC guidance), so a space at either end is part of the password."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters and not issubclass(unbound_field.field_class, PasswordField):
                filters.insert(0, _strip)
            unbound_field.kwargs["filters"] = filters
            return unbound_field.bind(form=form, **options)


def submit_button(label: str = "Continue") -> SubmitField:
    return SubmitField(label, widget=GovSubmitInput())


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms choices (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
