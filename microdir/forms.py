"""Shared form parts: a whitespace-stripping base form, GOV.UK-styled fields, and the messages every form uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import DateField, Form, PasswordField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

PHONE_ERROR = "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"


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


class RowForm(Form):
    """A repeated row (a session or a venue): no CSRF of its own, spaces stripped like every form."""

    class Meta:
        bind_field = BaseForm.Meta.bind_field


class WholeNumberField(StringField):
    """A text input for a whole number that keeps what was typed when it is not one."""

    def __init__(self, label: str, *, message: str, minimum: int = 0, maximum: int = 100_000, **kw: Any) -> None:
        super().__init__(label, widget=GovTextInput(), render_kw={"inputmode": "numeric", "spellcheck": "false"}, **kw)
        self.message = message
        self.minimum = minimum
        self.maximum = maximum
        self.number: int | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        self.number = None
        if not text:
            return
        if not text.isdigit() or not self.minimum <= int(text) <= self.maximum:
            raise ValueError(self.message)
        self.number = int(text)


class DecimalTextField(StringField):
    """A text input for an amount (money or full-time equivalent) that keeps what was typed."""

    def __init__(self, label: str, *, message: str, maximum: Decimal = Decimal("100000"), places: int = 2, **kw: Any) -> None:
        super().__init__(label, widget=GovTextInput(), render_kw={"inputmode": "decimal", "spellcheck": "false"}, **kw)
        self.message = message
        self.maximum = maximum
        self.places = places
        self.number: Decimal | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        text = (self.data or "").strip().lstrip("£").replace(",", "")
        self.number = None
        if not text:
            return
        try:
            number = Decimal(text)
        except InvalidOperation as error:
            raise ValueError(self.message) from error
        exponent = number.as_tuple().exponent  # an int for every finite number
        if (
            not number.is_finite()
            or not isinstance(exponent, int)
            or number < 0
            or number > self.maximum
            or -exponent > self.places
        ):
            raise ValueError(self.message)
        self.number = number


class OptionalDateField(DateField):
    """A GOV.UK date input (day, month, year) that may be left empty; ``message`` names the date when it is not real."""

    def __init__(self, *args: Any, message: str = "Date must be a real date, for example 27 3 2027", **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        # The widget redraws exactly three boxes from raw_data; a crafted post may send fewer or more.
        self.raw_data = ([*valuelist, "", "", ""][:3]) if valuelist else None
        self.data = None
        if not valuelist or all(not (v or "").strip() for v in valuelist):
            return
        parts = [(v or "").strip() for v in valuelist]
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(self.message)
        day, month, year = (int(p) for p in parts)
        try:
            self.data = date(year, month, day)
        except ValueError as error:
            raise ValueError(self.message) from error


def apply_row_action(rows: Any, action: str) -> bool:
    """Carry out an "Add another" / "Remove" button (no JavaScript) on a FieldList of rows; True if one was pressed.

    ``action`` is the pressed button's value: "add", or "remove-<index>". A list never goes below one row.
    """
    if not action:
        return False
    if action == "add" and len(rows.entries) < (rows.max_entries or 20):
        rows.append_entry()
    elif action.startswith("remove-") and action[7:].isdigit():
        index = int(action[7:])
        rows.entries = [e for i, e in enumerate(rows.entries) if i != index]
        if not rows.entries:
            rows.append_entry()
    return True
