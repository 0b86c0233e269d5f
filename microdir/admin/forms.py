from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovTextInput
from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..domain.accounts import TEAM_KIND_LABELS
from ..forms import BaseForm, choices, submit_button
from ..models import ROLE_LABELS


class InviteUserForm(BaseForm):
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired("Enter the person’s full name"), Length(max=255)])
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired("Enter the person’s email address")],
                       render_kw={"spellcheck": "false", "autocomplete": "off"})
    role = RadioField("Role", widget=GovRadioInput(), choices=choices([(r.value, label) for r, label in ROLE_LABELS.items()]),
                      validators=[InputRequired("Select the person’s role")])
    team_id = SelectField("Team (link workers)", widget=GovSelect(), validators=[Optional()],
                          description="Colleagues in a team share its caseload.")
    new_team = StringField("Or a new team’s name", widget=GovTextInput(), validators=[Optional(), Length(max=255)])
    organization_id = SelectField("Organisation (providers)", widget=GovSelect(), validators=[Optional()])
    submit = submit_button("Create account and email an invitation")

    def __init__(self, *args: Any, teams: list[tuple[str, str]], organizations: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.team_id.choices = choices([("", "None")] + teams)
        self.organization_id.choices = choices([("", "None")] + organizations)


class ChangeRoleForm(BaseForm):
    role = RadioField("New role", widget=GovRadioInput(),
                      choices=choices([(r.value, label) for r, label in ROLE_LABELS.items()]),
                      validators=[InputRequired("Select the new role")])
    team_id = SelectField("Team (link workers)", widget=GovSelect(), validators=[Optional()],
                          description="A link worker needs a team.")
    submit = submit_button("Change role")

    def __init__(self, *args: Any, teams: list[tuple[str, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.team_id.choices = choices([("", "Keep their team")] + teams)


class TeamForm(BaseForm):
    name = StringField("Team name", widget=GovTextInput(),
                       validators=[InputRequired("Enter the team’s name"), Length(max=255)])
    kind = RadioField("What kind of team is it?", widget=GovRadioInput(),
                      choices=choices([(k.value, label) for k, label in TEAM_KIND_LABELS.items()]),
                      validators=[InputRequired("Select what kind of team it is")])
    submit = submit_button("Create team")
