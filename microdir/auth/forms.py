from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..forms import BaseForm, submit_button


class SignInForm(BaseForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address")],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Enter your password")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = submit_button("Sign in")


class ForgotPasswordForm(BaseForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired("Enter your email address")],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    submit = submit_button("Send me a link")


class NewPasswordForm(BaseForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="Use 12 characters or more. A few unrelated words together make a strong password.",
        validators=[InputRequired("Enter a new password")],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[InputRequired("Confirm your new password"), EqualTo("password", "The passwords do not match")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = submit_button("Save password")


class TwoFactorCodeForm(BaseForm):
    code = StringField(
        "Code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app, or one of your recovery codes",
        validators=[InputRequired("Enter the code from your authenticator app"), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "inputmode": "text"},
    )
    submit = submit_button("Continue")


class TwoFactorSetupForm(BaseForm):
    code = StringField(
        "Code from your app",
        widget=GovTextInput(),
        description="Enter the 6-digit code your authenticator app shows for microdir",
        validators=[InputRequired("Enter the 6-digit code from your authenticator app"), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
    submit = submit_button("Turn on two-factor sign-in")
