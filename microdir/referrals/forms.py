"""Referral forms, in GOV.UK voice. Forms take their choices through ``__init__``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..domain import outcomes
from ..domain.referrals import CLOSE_OUTCOMES, DID_NOT_START_OUTCOMES, ReferralDetails
from ..forms import BaseForm, OptionalDateField, submit_button
from ..models import CloseOutcome, ContactMethod, DeclineReason, Referral
from ..submissions import token_field
from ..wording import CLOSE_OUTCOME_LABELS, CONTACT_METHOD_LABELS, DECLINE_REASON_LABELS

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{10,20}$")


class VersionedForm(BaseForm):
    """Carries the version the person saw, so a change made meanwhile by someone else is noticed."""

    expected_version = HiddenField()

    def version(self) -> int:
        try:
            return int(self.expected_version.data or "")
        except ValueError:
            return -1  # never matches: treated as "changed by someone else"


DATE_OF_BIRTH_MESSAGE = "Date of birth must be a real date, for example 27 3 1948"


class ReferralDetailsForm(VersionedForm):
    submission_token = token_field()  # a double submit makes one draft
    person_name = StringField(
        "Full name", widget=GovTextInput(),
        # DataRequired, not InputRequired: a name of only spaces is stripped to nothing and refused.
        validators=[DataRequired("Enter the person’s full name"), Length(max=200, message="Name must be 200 characters or fewer")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    contact_method = RadioField(
        "How does the person want to be contacted?", widget=GovRadioInput(),
        choices=[SelectChoice(m.value, CONTACT_METHOD_LABELS[m]) for m in ContactMethod],
        validators=[InputRequired("Select how the person wants to be contacted")],
    )
    contact_phone = StringField("Phone number", widget=GovTextInput(), validators=[Optional(), Length(max=30)],
                                render_kw={"autocomplete": "off", "inputmode": "tel"})
    contact_email = StringField("Email address", widget=GovTextInput(), validators=[Optional(), Length(max=255)],
                                render_kw={"autocomplete": "off", "spellcheck": "false"})
    contact_address = TextAreaField("Postal address", widget=GovTextArea(), validators=[Optional(), Length(max=500)],
                                    render_kw={"autocomplete": "off"})
    date_of_birth = OptionalDateField(
        "Date of birth (optional)", widget=GovDateInput(), format="%d %m %Y", message=DATE_OF_BIRTH_MESSAGE,
        description="For example, 27 3 1948. Only if the provider needs it, for example for an age-limited group.",
    )
    needs = SelectMultipleField("What matters to the person?", widget=GovCheckboxesInput(), choices=[],
                                description="Select all that apply.")
    reasons_text = TextAreaField(
        "In their own words (optional)", widget=GovTextArea(),
        description="What they would like to get from the service.",
        validators=[Optional(), Length(max=2000, message="Keep this to 2000 characters or fewer")],
    )
    provider_notes = TextAreaField(
        "Anything the provider should know (optional)", widget=GovTextArea(),
        description="For example access needs, or the best time to call.",
        validators=[Optional(), Length(max=2000, message="Keep this to 2000 characters or fewer")],
    )
    safeguarding_flag = BooleanField(
        "There is a safeguarding concern the provider should ask me about", widget=GovCheckboxInput(),
        description="Do not describe the concern here. The provider will contact you.",
    )
    submit = submit_button("Continue")

    def __init__(self, *args: Any, needs: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needs.choices = [SelectChoice(code, name) for code, name in needs]

    def validate_date_of_birth(self, field: Any) -> None:
        if field.data is not None and (field.data >= date.today() or field.data.year < 1900):
            raise ValidationError("Date of birth must be in the past")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        method = self.contact_method.data
        required = {
            ContactMethod.PHONE.value: (self.contact_phone, "Enter a phone number", PHONE,
                                        "Enter a phone number, like 01632 960 001 or 07700 900 982"),
            ContactMethod.EMAIL.value: (self.contact_email, "Enter an email address", EMAIL,
                                        "Enter an email address in the correct format, like name@example.com"),
            ContactMethod.LETTER.value: (self.contact_address, "Enter a postal address", None, ""),
        }
        if method in required:
            field, missing, pattern, wrong = required[method]
            if not field.data:
                field.errors = [*field.errors, missing]
                valid = False
            elif pattern is not None and not pattern.match(field.data):
                field.errors = [*field.errors, wrong]
                valid = False
        return valid

    def details(self) -> ReferralDetails:
        method = ContactMethod(self.contact_method.data)
        contact = {
            ContactMethod.PHONE: self.contact_phone.data,
            ContactMethod.EMAIL: self.contact_email.data,
            ContactMethod.LETTER: self.contact_address.data,
        }.get(method)
        return ReferralDetails(
            person_name=self.person_name.data or "",
            contact_method=method,
            contact_details=contact or None,
            date_of_birth=self.date_of_birth.data,
            needs=list(self.needs.data or []),
            reasons_text=self.reasons_text.data or None,
            provider_notes=self.provider_notes.data or None,
            safeguarding_flag=bool(self.safeguarding_flag.data),
        )

    def fill_from(self, referral: Referral) -> None:
        """Prefill from a draft (for "Change")."""
        self.person_name.data = referral.person_name
        self.contact_method.data = referral.contact_method
        field = {
            ContactMethod.PHONE.value: self.contact_phone,
            ContactMethod.EMAIL.value: self.contact_email,
            ContactMethod.LETTER.value: self.contact_address,
        }.get(referral.contact_method or "")
        if field is not None:
            field.data = referral.contact_details
        self.date_of_birth.data = referral.date_of_birth
        self.needs.data = list(referral.needs or [])
        self.reasons_text.data = referral.reasons_text
        self.provider_notes.data = referral.provider_notes
        self.safeguarding_flag.data = referral.safeguarding_flag
        self.expected_version.data = str(referral.version)


class ConsentForm(VersionedForm):
    agreed = BooleanField("The person agreed to share these details, for this purpose", widget=GovCheckboxInput())
    share_wellbeing = BooleanField(
        "They also agreed that the provider may see their wellbeing scores", widget=GovCheckboxInput(),
        description="Only if you asked. Without this, the scores stay with your team.")
    submit = submit_button("Continue")

    def validate_agreed(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Confirm that the person agreed, or tell us they did not")


class SendForm(VersionedForm):
    waiting_list_seen = HiddenField()
    submit = submit_button("Send referral")


class ActionForm(VersionedForm):
    """Accept, first contact, taking part: a button and an optional note."""

    note = TextAreaField("Note (optional)", widget=GovTextArea(), validators=[Optional(), Length(max=2000)])


class DeclineForm(VersionedForm):
    reason = RadioField(
        "Why are you declining this referral?", widget=GovRadioInput(),
        choices=[SelectChoice(r.value, DECLINE_REASON_LABELS[r]) for r in DeclineReason],
        validators=[InputRequired("Select why you are declining the referral")],
    )
    note = TextAreaField("Note for the link worker (optional)", widget=GovTextArea(),
                         description="For example, another service that might suit the person.",
                         validators=[Optional(), Length(max=2000, message="Keep the note to 2000 characters or fewer")])
    submit = submit_button("Decline referral")


def _score_field(item: outcomes.Item, number: int) -> StringField:
    return StringField(
        f"{number}. {item.question}", widget=GovTextInput(), description=item.hint,
        render_kw={"inputmode": "numeric", "class": "govuk-input--width-2", "autocomplete": "off"},
    )


class WellbeingForm(VersionedForm):
    life_satisfaction = _score_field(outcomes.ONS4.items[0], 1)
    worthwhile = _score_field(outcomes.ONS4.items[1], 2)
    happiness = _score_field(outcomes.ONS4.items[2], 3)
    anxiety = _score_field(outcomes.ONS4.items[3], 4)
    submit = submit_button("Save scores")

    def answers(self) -> dict[str, str]:
        return {item.code: getattr(self, item.code).data or "" for item in outcomes.ONS4.items}

    def any_answered(self) -> bool:
        return any(value for value in self.answers().values())

    def scores_or_errors(self) -> dict[str, int] | None:
        """Return validated scores, or None after putting a message on each bad field."""
        try:
            return outcomes.validate_scores(outcomes.ONS4, self.answers())
        except outcomes.ScoreError as error:
            for code, message in error.errors.items():
                getattr(self, code).errors = [*getattr(self, code).errors, message]
            return None


RESERVED_FIELD_NAMES = frozenset({"csrf_token", "expected_version", "submit", "meta"})


def scale_form(scale: outcomes.Scale) -> Any:
    """Return a form asking ``scale``'s questions, one field per item named by its code (ONS4 as WellbeingForm)."""
    if scale.code == outcomes.ONS4.code:
        return WellbeingForm()
    clashing = [item.code for item in scale.items
                if item.code in RESERVED_FIELD_NAMES or not item.code.isidentifier() or item.code.startswith("_")]
    if clashing:
        raise outcomes.ScaleConfigError(f"Outcome scale {scale.code!r}: item codes {clashing} cannot name form fields")
    fields: dict[str, Any] = {item.code: _score_field(item, number) for number, item in enumerate(scale.items, 1)}
    form_class = type(f"{scale.code.title()}Form", (ScaleScoresForm,), {**fields, "scale": scale})
    return form_class()


class ScaleScoresForm(VersionedForm):
    """The scores of a configured scale; ``scale_form`` makes one class per scale."""

    scale: outcomes.Scale
    submit = submit_button("Save scores")

    def scores_or_errors(self) -> dict[str, int] | None:
        """Return validated scores, or None after putting a message on each bad field."""
        answers = {item.code: getattr(self, item.code).data or "" for item in self.scale.items}
        try:
            return outcomes.validate_scores(self.scale, answers)
        except outcomes.ScoreError as error:
            for code, message in error.errors.items():
                getattr(self, code).errors = [*getattr(self, code).errors, message]
            return None


class CloseForm(WellbeingForm):
    outcome = RadioField(
        "What was the outcome?", widget=GovRadioInput(),
        choices=[SelectChoice(o.value, CLOSE_OUTCOME_LABELS[o]) for o in CloseOutcome if o in CLOSE_OUTCOMES],
        validators=[InputRequired("Select the outcome of the referral")],
    )
    note = TextAreaField("Note for the link worker (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="Keep the note to 2000 characters or fewer")])
    submit = submit_button("Close referral")


class NoteForm(BaseForm):
    submission_token = token_field()  # a double submit adds one note
    message = TextAreaField(
        "Add a note", widget=GovTextArea(),
        description="For the other side of this referral to read. It does not change the referral’s status.",
        validators=[DataRequired("Enter a note"), Length(max=2000, message="Keep the note to 2000 characters or fewer")],
    )
    submit = submit_button("Add note")


class ShortlistServicesField(SelectMultipleField):
    def pre_validate(self, form: Any) -> None:
        allowed = {choice.value if isinstance(choice, SelectChoice) else choice[0] for choice in self.choices or []}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError("Select services from your shortlist that can take a referral")


class FromShortlistForm(ReferralDetailsForm):
    services = ShortlistServicesField("Which services should get a referral?", widget=GovCheckboxesInput(), choices=[],
                                   description="We start one draft referral for each. You check and send each one.",
                                   validators=[InputRequired("Select at least one service")])
    submit = submit_button("Start draft referrals")

    def __init__(self, *args: Any, services: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services.choices = [SelectChoice(value, label) for value, label in services]


class FindMyReferralForm(BaseForm):
    """The person's own check: their reference and one detail they gave the link worker."""

    reference = StringField("Reference number", widget=GovTextInput(), description="For example, MD-7K4Q-9XPA",
                            validators=[InputRequired("Enter your reference number"), Length(max=30)],
                            render_kw={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"})
    date_of_birth = OptionalDateField("Date of birth", widget=GovDateInput(), format="%d %m %Y",
                                      message=DATE_OF_BIRTH_MESSAGE, description="For example, 27 3 1948")
    phone_last4 = StringField("Last 4 digits of your phone number", widget=GovTextInput(),
                              validators=[Optional(), Length(max=10)],
                              render_kw={"inputmode": "numeric", "class": "govuk-input--width-4", "autocomplete": "off"})
    email = StringField("Email address", widget=GovTextInput(), validators=[Optional(), Length(max=255)],
                        render_kw={"autocomplete": "email", "spellcheck": "false"})
    submit = submit_button("Continue")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        last4 = self.phone_last4.data or ""
        if last4 and not (len(last4) == 4 and last4.isdigit()):
            self.phone_last4.errors = [*self.phone_last4.errors, "Enter the last 4 digits of your phone number, like 0982"]
            valid = False
        if valid and self.date_of_birth.data is None and not last4 and not self.email.data:
            self.date_of_birth.errors = [*self.date_of_birth.errors,
                                         "Enter your date of birth, the last 4 digits of your phone number or your email address"]
            valid = False
        return valid


class ConfirmWithdrawForm(BaseForm):
    submit = submit_button("Withdraw my referral")


class AdminReasonForm(BaseForm):
    reason = TextAreaField(
        "Why do you need to see this referral?", widget=GovTextArea(),
        description="For example, a complaint or a safeguarding review, with its reference. This is kept in the audit log.",
        validators=[InputRequired("Enter why you need to see this referral"),
                    Length(min=10, max=1000, message="Give a reason of 10 to 1000 characters")],
    )
    submit = submit_button("See the referral")


class SubjectAccessForm(BaseForm):
    reason = TextAreaField(
        "Why are you making this export?", widget=GovTextArea(),
        description="For example, the subject access request’s reference. This is kept in the audit log.",
        validators=[InputRequired("Enter why you are making this export"),
                    Length(min=10, max=1000, message="Give a reason of 10 to 1000 characters")],
    )
    reference = StringField("Reference number", widget=GovTextInput(), validators=[Optional(), Length(max=30)],
                            render_kw={"autocomplete": "off", "spellcheck": "false", "class": "govuk-input--width-10"})
    person_name = StringField("Full name", widget=GovTextInput(), validators=[Optional(), Length(max=200)],
                              render_kw={"autocomplete": "off", "spellcheck": "false"})
    date_of_birth = OptionalDateField("Date of birth", widget=GovDateInput(), format="%d %m %Y",
                                      message=DATE_OF_BIRTH_MESSAGE, description="For example, 27 3 1948")
    submit = submit_button("Find what we hold")

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.reference.data and not (self.person_name.data and self.date_of_birth.data):
            self.reference.errors = [*self.reference.errors,
                                     "Enter a reference number, or the person’s full name and date of birth"]
            valid = False
        return valid


class DidNotStartForm(VersionedForm):
    """Accepted, but the person never started: why (closes the referral)."""

    outcome = RadioField(
        "Why did they not start?", widget=GovRadioInput(),
        choices=[SelectChoice(o.value, CLOSE_OUTCOME_LABELS[o].removeprefix("Did not start: ").capitalize())
                 for o in CloseOutcome if o in DID_NOT_START_OUTCOMES],
        validators=[InputRequired("Select why the person did not start")],
    )
    note = TextAreaField("Note for the other side (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="Keep the note to 2000 characters or fewer")])
    submit = submit_button("Close referral")


class TeamCloseForm(VersionedForm):
    outcome = RadioField(
        "What was the outcome?", widget=GovRadioInput(),
        choices=[SelectChoice(o.value, CLOSE_OUTCOME_LABELS[o]) for o in CloseOutcome if o in CLOSE_OUTCOMES],
        validators=[InputRequired("Select the outcome of the referral")],
    )
    note = TextAreaField("Note for the provider (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="Keep the note to 2000 characters or fewer")])
    submit = submit_button("Close referral")


class FollowUpDateForm(VersionedForm):
    follow_up_on = OptionalDateField(
        "When will you ask the wellbeing questions again?", widget=GovDateInput(), format="%d %m %Y",
        message="Follow-up date must be a real date, for example 27 3 2027",
        description="For example, 27 3 2027. Your caseload reminds you on the day.",
        validators=[InputRequired("Enter the follow-up date")],
    )
    submit = submit_button("Save follow-up date")
