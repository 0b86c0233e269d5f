"""Registration, claim and invitation forms, in GOV.UK voice."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput, GovTextArea, GovTextInput
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from ..domain import accounts
from ..domain.provider_profiles import Workforce
from ..domain.registration import OrganisationAbout
from ..forms import BaseForm, choices, submit_button
from ..models import LEGAL_FORM_LABELS, LegalForm
from ..providers.forms import PeopleForm


class EmailForm(BaseForm):
    email = StringField(
        "Email address", widget=GovTextInput(),
        validators=[DataRequired("Enter your email address"),
                    Length(max=255, message="Email address must be 255 characters or fewer")],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    submit = submit_button("Continue")


class AccountForm(BaseForm):
    name = StringField(
        "Full name", widget=GovTextInput(),
        validators=[DataRequired("Enter your full name"), Length(max=255, message="Name must be 255 characters or fewer")],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(),
        description="Use 12 characters or more. A few unrelated words together make a strong password.",
        validators=[InputRequired("Enter a password")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm password", widget=GovPasswordInput(),
        validators=[InputRequired("Confirm your password"), EqualTo("password", "The passwords do not match")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = submit_button("Create account")


class AboutOrganisationForm(BaseForm):
    name = StringField(
        "Name of your organisation", widget=GovTextInput(),
        validators=[DataRequired("Enter the name of your organisation"),
                    Length(max=255, message="Name must be 255 characters or fewer")],
        render_kw={"autocomplete": "organization"},
    )
    description = TextAreaField(
        "Describe your organisation", widget=GovTextArea(),
        validators=[DataRequired("Enter a short description of your organisation"),
                    Length(max=2000, message="Description must be 2,000 characters or fewer")],
    )
    legal_form = RadioField(
        "What kind of organisation are you?", widget=GovRadioInput(),
        choices=choices([(f.value, LEGAL_FORM_LABELS[f]) for f in LegalForm]),
        validators=[InputRequired("Select what kind of organisation you are")],
    )
    independent = RadioField(
        "Are you independent of any larger or parent organisation?", widget=GovRadioInput(),
        choices=choices([("yes", "Yes, we are independent"),
                         ("no", "No, we are part of or run by a larger organisation")]),
        validators=[InputRequired("Select whether you are independent of any larger organisation")],
    )
    parent_body = StringField(
        "If not, which organisation?", widget=GovTextInput(),
        validators=[Length(max=255, message="Organisation name must be 255 characters or fewer")],
    )
    submit = submit_button("Save and continue")

    def validate_parent_body(self, field: Any) -> None:
        if self.independent.data == "no" and not field.data:
            raise ValidationError("Enter the name of the organisation you are part of or run by")

    def fill(self, organization: Any) -> None:
        profile = organization.profile
        self.name.data = organization.name
        self.description.data = organization.description
        if profile is not None:
            self.legal_form.data = profile.legal_form.value
            self.independent.data = "yes" if profile.independent else "no"
            self.parent_body.data = profile.parent_body or ""

    def about(self) -> OrganisationAbout:
        return OrganisationAbout(
            name=self.name.data or "", description=self.description.data or "",
            legal_form=LegalForm(self.legal_form.data), independent=self.independent.data == "yes",
            parent_body=self.parent_body.data or None,
        )


class WorkersForm(PeopleForm):
    """The workforce questions alone: what kind of organisation and independence were asked in "About"."""

    submit = submit_button("Save and continue")

    def answers(self, profile: Any) -> Workforce:
        return Workforce(legal_form=profile.legal_form, people=self.people_answers(),
                         independent=bool(profile.independent), parent_body=profile.parent_body)


class CompletedForm(BaseForm):
    completed = RadioField(
        "Have you added all your quality checks?", widget=GovRadioInput(),
        choices=choices([("yes", "Yes, I have added them all"), ("no", "No, I’ll come back later")]),
        validators=[InputRequired("Select whether you have added all your quality checks")],
    )
    submit = submit_button("Save and return to your task list")


class ClaimForm(BaseForm):
    connection = TextAreaField(
        "How are you connected to this service?", widget=GovTextArea(),
        validators=[DataRequired("Tell us how you are connected to this service"),
                    Length(max=2000, message="Your answer must be 2,000 characters or fewer")],
    )
    submit = submit_button("Claim this listing")


class RejectClaimForm(BaseForm):
    reason = TextAreaField(
        "Why are you rejecting this claim?", widget=GovTextArea(),
        validators=[DataRequired("Enter the reason you are rejecting this claim"),
                    Length(max=2000, message="Reason must be 2,000 characters or fewer")],
    )
    submit = submit_button("Reject claim")


class InviteForm(BaseForm):
    name = StringField(
        "Your colleague’s full name", widget=GovTextInput(),
        validators=[DataRequired("Enter your colleague’s full name"),
                    Length(max=255, message="Name must be 255 characters or fewer")],
        render_kw={"spellcheck": "false"},
    )
    email = StringField(
        "Their email address", widget=GovTextInput(),
        validators=[DataRequired("Enter your colleague’s email address"),
                    Length(max=255, message="Email address must be 255 characters or fewer")],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = submit_button("Send invitation")

    def validate_email(self, field: Any) -> None:
        try:
            field.data = accounts.normalise_email(field.data or "")
        except accounts.AccountError as error:
            raise ValidationError(str(error)) from error
