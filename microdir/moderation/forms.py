"""Moderators' forms about a whole listing, and the provider's one-click "still right" form."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovTextArea
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import BaseForm, WholeNumberField, choices, submit_button
from ..models import CapacityStatus
from ..wording import CAPACITY_LABELS

REASON_LENGTH = Length(max=2000, message="Reason must be 2,000 characters or fewer")


class SuspendForm(BaseForm):
    reason = TextAreaField(
        "Why are you suspending this listing?", widget=GovTextArea(),
        validators=[DataRequired("Enter why you are suspending this listing"), REASON_LENGTH],
    )
    submit = submit_button("Suspend listing")


class ArchiveForm(BaseForm):
    reason = TextAreaField(
        "Why are you archiving this listing?", widget=GovTextArea(),
        validators=[DataRequired("Enter why you are archiving this listing"), REASON_LENGTH],
    )
    submit = submit_button("Archive listing")


OVERRIDE_CHOICES = [
    ("rule", "Follow the micro-provider rule"),
    ("yes", "It is a micro-provider"),
    ("no", "It is not a micro-provider"),
]


class OverrideForm(BaseForm):
    decision = RadioField(
        "What is your decision?", widget=GovRadioInput(), choices=choices(OVERRIDE_CHOICES),
        validators=[InputRequired("Select your decision about the micro-provider check")],
    )
    reason = TextAreaField("Why? (needed when you override the rule)", widget=GovTextArea(),
                           validators=[Optional(), REASON_LENGTH])
    submit = submit_button("Save decision")

    def override(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.decision.data or "rule")

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        valid = super().validate(extra_validators)  # type: ignore[arg-type]
        if valid and self.override() is not None and not (self.reason.data or "").strip():
            self.reason.errors = ["Enter why you are overriding the micro-provider check"]
            return False
        return valid


class ConfirmListingForm(BaseForm):
    capacity_status = RadioField(
        "Are you taking new people?", widget=GovRadioInput(),
        choices=choices([(c.value, CAPACITY_LABELS[c]) for c in CapacityStatus]),
        validators=[InputRequired("Select whether you are taking new people")],
    )
    capacity_places = WholeNumberField("Places (optional)", message="Places must be a whole number, like 6")
    submit = submit_button("Confirm it is still right")
