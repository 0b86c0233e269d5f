from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..domain import accounts, two_factor
from ..extensions import db
from ..forms import BaseForm
from ..mail import send_email
from ..models import Organization, Role, Team, TeamKind, User
from ..permissions import requires
from ..transactions import transaction
from .forms import InviteUserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires("users.manage")
def home() -> Any:
    """The admin's landing page: what they look after, with what waits."""
    from ..domain import moderation_queue

    accounts_total = db.session.scalar(db.select(db.func.count()).select_from(User)) or 0
    stopped = db.session.scalar(db.select(db.func.count()).select_from(User).where(User.active.is_(False))) or 0
    return render_template("admin/home.html", title="Admin", accounts_total=accounts_total, stopped=stopped,
                           moderation_waiting=moderation_queue.count_waiting())


@bp.route("/users")
@requires("users.manage")
def users() -> Any:
    people = db.session.scalars(db.select(User).order_by(User.role, User.name)).all()
    invitations = [(person, accounts.invitation_expired(person)) for person in accounts.pending_invitations()]
    return render_template("admin/users.html", people=people, invitations=invitations, form=None,
                           action_form=BaseForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage")
def invite_user() -> Any:
    teams = [(t.id, t.name) for t in db.session.scalars(db.select(Team).order_by(Team.name))]
    organizations = [(o.id, o.name) for o in db.session.scalars(db.select(Organization).order_by(Organization.name))]
    form = InviteUserForm(teams=teams, organizations=organizations)
    if form.validate_on_submit():
        role = Role(form.role.data)
        organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
        if role is Role.PROVIDER and organization is None:
            form.organization_id.errors.append("Select the provider’s organisation")
        else:
            with transaction(accounts.AccountError) as done:
                team = db.session.get(Team, form.team_id.data) if form.team_id.data else None
                if role is Role.LINK_WORKER and team is None and form.new_team.data:
                    team = accounts.create_team(form.new_team.data, TeamKind.OTHER)
                email = accounts.invite_user(form.email.data or "", form.name.data or "", role, team=team,
                                             organizations=[organization] if organization else [])
            if not done.refused:
                # The same words whether or not the address already had an account (its owner is told instead).
                flash(f"Invitation sent. We have emailed {email} a link to choose a password.", "success")
                return redirect(url_for("admin.users"))
            field = form.team_id if getattr(done.error, "field", "") == "team" else form.email
            field.errors.append(done.message)
    return render_template("admin/invite_user.html", form=form)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("users.manage")
def toggle_active(user_id: int) -> Any:
    form = BaseForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if form.validate_on_submit():
        with transaction():
            accounts.set_active(user, not user.active)
        flash(f"{user.name} can {'now' if user.active else 'no longer'} sign in.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires("users.manage")
def reset_two_factor(user_id: int) -> Any:
    """A person lost their phone: clear their two-factor sign-in, so they set it up again when they next sign in."""
    form = BaseForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if form.validate_on_submit() and user.id != current_user.id:
        with transaction():
            two_factor.reset(user, actor=current_user._get_current_object())
            send_email(user.email, "Your two-factor sign-in was reset",
                       f"Hello {user.name},\n\nAn administrator reset your two-factor sign-in. The next time you "
                       "sign in, you will set it up again with your authenticator app.\n\n"
                       "If you did not ask for this, tell your administrator at once.\n")
        flash(f"Two-factor sign-in reset for {user.name}. They will set it up again when they next sign in.", "success")
    return redirect(url_for("admin.users"))
