from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..domain import accounts
from ..extensions import db
from ..forms import BaseForm
from ..models import Organization, Role, Team, TeamKind, User
from ..permissions import requires
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
    return render_template("admin/users.html", people=people, form=None, action_form=BaseForm())


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage")
def invite_user() -> Any:
    teams = [(t.id, t.name) for t in db.session.scalars(db.select(Team).order_by(Team.name))]
    organizations = [(o.id, o.name) for o in db.session.scalars(db.select(Organization).order_by(Organization.name))]
    form = InviteUserForm(teams=teams, organizations=organizations)
    if form.validate_on_submit():
        role = Role(form.role.data)
        team = db.session.get(Team, form.team_id.data) if form.team_id.data else None
        if role is Role.LINK_WORKER and team is None and form.new_team.data:
            team = Team(name=form.new_team.data, kind=TeamKind.OTHER)
            db.session.add(team)
        organization = db.session.get(Organization, form.organization_id.data) if form.organization_id.data else None
        if role is Role.PROVIDER and organization is None:
            form.organization_id.errors.append("Select the provider’s organisation")
        else:
            try:
                user = accounts.invite_user(form.email.data or "", form.name.data or "", role, team=team,
                                            organizations=[organization] if organization else [])
            except accounts.AccountError as error:
                field = form.team_id if "team" in str(error) else form.email
                field.errors.append(str(error))
            else:
                db.session.commit()
                flash(f"Account created. We have emailed {user.email} a link to choose a password.", "success")
                return redirect(url_for("admin.users"))
        db.session.rollback()
    return render_template("admin/invite_user.html", form=form)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("users.manage")
def toggle_active(user_id: int) -> Any:
    form = BaseForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if form.validate_on_submit():
        accounts.set_active(user, not user.active)
        db.session.commit()
        flash(f"{user.name} can {'now' if user.active else 'no longer'} sign in.", "success")
    return redirect(url_for("admin.users"))
