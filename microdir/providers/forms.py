"""Providers' forms, in GOV.UK voice. Each form turns what was typed into the data its operation takes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovDateInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import DateField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..domain.listing_edits import CAPACITY_LABELS, COST_LABELS, ListingData
from ..domain.provider_profiles import Workforce
from ..forms import BaseForm, choices, submit_button
from ..models import LEGAL_FORM_LABELS, QUALITY_CHECK_LABELS, CapacityStatus, CostType, LegalForm, QualityCheckType
from ..phones import PhoneError, national_number, parse_phone

PHONE_ERROR = "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"


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
        if not number.is_finite() or number < 0 or number > self.maximum or -number.as_tuple().exponent > self.places:
            raise ValueError(self.message)
        self.number = number


class ListingForm(BaseForm):
    """The core fields of a listing. Hidden fields carry what the form was filled from, to notice others' edits."""

    version = HiddenField()
    revision_id = HiddenField()
    base = HiddenField()

    name = StringField(
        "Name of the service", widget=GovTextInput(),
        validators=[DataRequired("Enter the name of the service"),
                    Length(max=255, message="Name must be 255 characters or fewer")],
    )
    description = TextAreaField(
        "Describe what you offer", widget=GovTextArea(),
        validators=[DataRequired("Enter a description of what you offer"),
                    Length(max=5000, message="Description must be 5,000 characters or fewer")],
    )
    eligibility_description = TextAreaField(
        "Who it is for (optional)", widget=GovTextArea(),
        validators=[Optional(), Length(max=2000, message="Who it is for must be 2,000 characters or fewer")],
    )
    minimum_age = WholeNumberField("Youngest age (optional)", message="Youngest age must be a whole number from 0 to 120", maximum=120)
    maximum_age = WholeNumberField("Oldest age (optional)", message="Oldest age must be a whole number from 0 to 120", maximum=120)
    capacity_status = RadioField(
        "Are you taking new people?", widget=GovRadioInput(),
        choices=choices([(c.value, CAPACITY_LABELS[c]) for c in CapacityStatus]),
        validators=[InputRequired("Select whether you are taking new people")],
    )
    capacity_places = WholeNumberField("Places (optional)", message="Places must be a whole number, like 6")
    email = StringField(
        "Email address (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=255, message="Email address must be 255 characters or fewer")],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    phone = StringField(
        "Phone number (optional)", widget=GovTextInput(), validators=[Optional()],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    costs = SelectMultipleField(
        "What does it cost?", widget=GovCheckboxesInput(),
        choices=choices([(c.value, COST_LABELS[c]) for c in CostType]),
        validators=[InputRequired("Select what it costs")],
    )
    fixed_amount = DecimalTextField("Fixed price, in pounds", message="Fixed price must be an amount in pounds, like 5 or 12.50")
    submit = submit_button("Save")

    def validate_email(self, field: Any) -> None:
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValidationError(EMAIL_ERROR) from error

    def validate_phone(self, field: Any) -> None:
        try:
            self.phone_e164 = parse_phone(field.data)
        except PhoneError as error:
            raise ValidationError(PHONE_ERROR) from error

    def validate_maximum_age(self, field: Any) -> None:
        low, high = self.minimum_age.number, field.number
        if low is not None and high is not None and high < low:
            raise ValidationError("Oldest age must be the same as or more than the youngest age")

    def validate_fixed_amount(self, field: Any) -> None:
        fixed = CostType.FIXED.value in (self.costs.data or [])
        if fixed and field.number is None and not field.errors:
            raise ValidationError("Enter the fixed price, like 5 or 12.50")
        if fixed and field.number == 0:
            raise ValidationError("Fixed price must be more than £0. If it costs nothing, select Free")

    def validate_costs(self, field: Any) -> None:
        if CostType.FREE.value in (field.data or []) and len(field.data) > 1:
            raise ValidationError("Select Free on its own, or the ways people pay")

    def fill(self, data: ListingData) -> None:
        """Fill the fields from a snapshot (on GET)."""
        self.name.data = data["name"]
        self.description.data = data["description"]
        self.eligibility_description.data = data["eligibility_description"]
        self.minimum_age.data = "" if data["minimum_age"] is None else str(data["minimum_age"])
        self.maximum_age.data = "" if data["maximum_age"] is None else str(data["maximum_age"])
        self.capacity_status.data = data["capacity_status"]
        self.capacity_places.data = "" if data["capacity_places"] is None else str(data["capacity_places"])
        self.email.data = data["email"] or ""
        self.phone.data = _national(data["phone"])
        self.costs.data = [c["type"] for c in data["costs"]]
        fixed = next((c for c in data["costs"] if c["type"] == CostType.FIXED.value), None)
        self.fixed_amount.data = fixed["amount"] if fixed and fixed["amount"] else ""

    def listing_data(self) -> ListingData:
        """Return what was typed as a snapshot (after validation)."""
        costs = [
            {"type": kind, "amount": f"{self.fixed_amount.number:.2f}" if kind == CostType.FIXED.value else None}
            for kind in self.costs.data or []
        ]
        return {
            "name": self.name.data,
            "description": self.description.data,
            "eligibility_description": self.eligibility_description.data or "",
            "minimum_age": self.minimum_age.number,
            "maximum_age": self.maximum_age.number,
            "capacity_status": self.capacity_status.data,
            "capacity_places": self.capacity_places.number,
            "email": self.email.data or None,
            "phone": getattr(self, "phone_e164", None) if self.phone.data else None,
            "costs": costs,
        }

    def expected_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return -1  # never matches: treated as "changed by someone else"


_national = national_number


class VersionForm(BaseForm):
    """A button that acts on the version the person saw."""

    version = HiddenField()

    def expected_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return -1


class WorkforceForm(BaseForm):
    legal_form = RadioField(
        "What kind of organisation are you?", widget=GovRadioInput(),
        choices=choices([(f.value, LEGAL_FORM_LABELS[f]) for f in LegalForm]),
        validators=[InputRequired("Select what kind of organisation you are")],
    )
    paid_workers = WholeNumberField("How many paid workers?", message="Paid workers must be a whole number, like 2",
                                    validators=[DataRequired("Enter how many paid workers you have, or 0")])
    paid_workers_fte = DecimalTextField(
        "Paid workers’ hours, as full-time equivalents", message="Paid workers’ full-time equivalent must be a number, like 1.5",
        maximum=Decimal("999"), validators=[DataRequired("Enter your paid workers’ full-time equivalent, or 0")],
    )
    unpaid_workers = WholeNumberField("How many volunteers or other unpaid workers?",
                                      message="Unpaid workers must be a whole number, like 4",
                                      validators=[DataRequired("Enter how many unpaid workers you have, or 0")])
    unpaid_workers_fte = DecimalTextField(
        "Unpaid workers’ hours, as full-time equivalents", message="Unpaid workers’ full-time equivalent must be a number, like 0.5",
        maximum=Decimal("999"), validators=[DataRequired("Enter your unpaid workers’ full-time equivalent, or 0")],
    )
    independent = RadioField(
        "Are you independent of any larger or parent organisation?", widget=GovRadioInput(),
        choices=choices([("yes", "Yes, we are independent"), ("no", "No, we are part of or run by a larger organisation")]),
        validators=[InputRequired("Select whether you are independent of any larger organisation")],
    )
    parent_body = StringField(
        "If not, which organisation? (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=255, message="Organisation name must be 255 characters or fewer")],
    )
    submit = submit_button("Save")

    def validate_paid_workers_fte(self, field: Any) -> None:
        if field.number is not None and self.paid_workers.number is not None and field.number > self.paid_workers.number:
            raise ValidationError("Paid workers’ full-time equivalent cannot be more than the number of paid workers")

    def validate_unpaid_workers_fte(self, field: Any) -> None:
        if field.number is not None and self.unpaid_workers.number is not None and field.number > self.unpaid_workers.number:
            raise ValidationError("Unpaid workers’ full-time equivalent cannot be more than the number of unpaid workers")

    def fill(self, profile: Any) -> None:
        if profile is None:
            return
        self.legal_form.data = profile.legal_form.value
        self.paid_workers.data = str(profile.paid_workers)
        self.paid_workers_fte.data = format(Decimal(profile.paid_workers_fte).normalize(), "f")
        self.unpaid_workers.data = str(profile.unpaid_workers)
        self.unpaid_workers_fte.data = format(Decimal(profile.unpaid_workers_fte).normalize(), "f")
        self.independent.data = "yes" if profile.independent else "no"
        self.parent_body.data = profile.parent_body or ""

    def answers(self) -> Workforce:
        return Workforce(
            legal_form=LegalForm(self.legal_form.data),
            paid_workers=self.paid_workers.number or 0,
            paid_workers_fte=self.paid_workers_fte.number or Decimal("0"),
            unpaid_workers=self.unpaid_workers.number or 0,
            unpaid_workers_fte=self.unpaid_workers_fte.number or Decimal("0"),
            independent=self.independent.data == "yes",
            parent_body=self.parent_body.data or None,
        )


class OptionalDateField(DateField):
    """A GOV.UK date input (day, month, year) that may be left empty."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        # The widget redraws exactly three boxes from raw_data; a crafted post may send fewer or more.
        self.raw_data = ([*valuelist, "", "", ""][:3]) if valuelist else None
        self.data = None
        if not valuelist or all(not (v or "").strip() for v in valuelist):
            return
        parts = [(v or "").strip() for v in valuelist]
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError("Expiry date must be a real date, for example 27 3 2027")
        day, month, year = (int(p) for p in parts)
        try:
            self.data = date(year, month, day)
        except ValueError as error:
            raise ValueError("Expiry date must be a real date, for example 27 3 2027") from error


class QualityCheckForm(BaseForm):
    check_type = RadioField(
        "What kind of check?", widget=GovRadioInput(),
        choices=choices([(t.value, QUALITY_CHECK_LABELS[t]) for t in QualityCheckType]),
        validators=[InputRequired("Select what kind of check it is")],
    )
    reference = StringField(
        "Certificate, policy or registration number", widget=GovTextInput(),
        validators=[DataRequired("Enter the certificate, policy or registration number"),
                    Length(max=255, message="Number must be 255 characters or fewer")],
    )
    description = StringField(
        "Details (optional)", widget=GovTextInput(),
        validators=[Optional(), Length(max=500, message="Details must be 500 characters or fewer")],
    )
    cover_amount = DecimalTextField(
        "Insurance cover, in pounds (public liability insurance only)",
        message="Insurance cover must be an amount in pounds, like 5000000", maximum=Decimal("9999999999"),
    )
    expires_on = OptionalDateField("Expiry date (optional)", widget=GovDateInput(), validators=[Optional()])
    submit = submit_button("Save check")

    def validate_cover_amount(self, field: Any) -> None:
        if self.check_type.data == QualityCheckType.PUBLIC_LIABILITY.value and field.number is None and not field.errors:
            raise ValidationError("Enter how much your public liability insurance covers, like 5000000")


class RejectForm(BaseForm):
    version = HiddenField()
    reason = TextAreaField(
        "Why are you rejecting this change?", widget=GovTextArea(),
        validators=[DataRequired("Enter the reason you are rejecting this change"),
                    Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    submit = submit_button("Reject change")

    def expected_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return -1
