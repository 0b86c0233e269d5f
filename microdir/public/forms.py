"""Forms for residents: report a problem, shortlist buttons, email a shortlist."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from govuk_frontend_wtf.wtforms_widgets import GovCharacterCount, GovCheckboxesInput, GovTextInput
from wtforms import EmailField, HiddenField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from ..domain.reports import MAX_DETAILS, REASONS
from ..forms import BaseForm, submit_button


class ReportProblemForm(BaseForm):
    reasons = SelectMultipleField(
        "What is wrong with this listing?",
        widget=GovCheckboxesInput(),
        choices=[SelectChoice(code, label) for code, label in REASONS.items()],
        description="Select all that apply.",
        validators=[InputRequired("Select what is wrong with this listing")],
    )
    details = TextAreaField(
        "Tell us more (optional)",
        widget=GovCharacterCount(),
        description="For example, the new day and time. Do not include your name or any personal details.",
        validators=[Length(max=MAX_DETAILS, message=f"Tell us more in {MAX_DETAILS} characters or fewer")],
    )
    submit = submit_button("Send report")


class ShortlistForm(BaseForm):
    """The tiny add/remove form beside each listing: CSRF, the listing, and where to go back to."""

    service_id = HiddenField()
    next = HiddenField()


class EmailShortlistForm(BaseForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        description="We will send this list to you once. We do not keep your email address.",
        validators=[InputRequired("Enter your email address")],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    submit = submit_button("Send the list")

    def validate_email(self, field: Any) -> None:
        try:
            field.data = validate_email(field.data or "", check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.com"
            ) from error
