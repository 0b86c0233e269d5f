from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ..domain import accounts, two_factor
from ..extensions import db
from ..forms import BaseForm
from ..mail import send_email
from ..models import Organization, Role, Team, TeamKind, User
from ..permissions import requires
from ..transactions import transaction
from .forms import ChangeRoleForm, InviteUserForm, TeamForm

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
                email = accounts.normalise_email(form.email.data or "")
                accounts.invite_user(email, form.name.data or "", role, team=team,
                                     organizations=[organization] if organization else [])
            if not done.refused:
                # The same words whether or not the address already had an account (its owner is told instead).
                flash(f"Invitation sent. We have emailed {email} a link to choose a password.", "success")
                return redirect(url_for("admin.users"))
            field = form.team_id if getattr(done.error, "field", "") == "team" else form.email
            field.errors.append(done.message)
    return render_template("admin/invite_user.html", form=form)


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@requires("users.manage")
def toggle_active(user_id: int) -> Any:
    """Stop or allow sign-in: a confirmation page first (GET), then the change (POST)."""
    form = BaseForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("You cannot stop your own sign-in.", "error")
        return redirect(url_for("admin.users"))
    if request.method == "GET":
        return render_template("admin/confirm_active.html", title=("Stop" if user.active else "Allow") + " sign-in",
                               person=user, form=form)
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


def _teams() -> list[tuple[str, str]]:
    return [(t.id, t.name) for t in db.session.scalars(db.select(Team).order_by(Team.name))]


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
@requires("users.manage")
def change_role(user_id: int) -> Any:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = ChangeRoleForm(teams=_teams())
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        team = db.session.get(Team, form.team_id.data) if form.team_id.data else None
        try:
            accounts.change_role(user, Role(form.role.data), actor=current_user, team=team)
        except accounts.AccountError as error:
            db.session.rollback()
            (form.team_id if "team" in str(error) else form.role).errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{user.name} is now a {user.role.label.lower()}. It applies from their next page.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/change_role.html", title=f"Change {user.name}’s role", person=user, form=form)


@bp.route("/teams", methods=["GET", "POST"])
@requires("users.manage")
def teams() -> Any:
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = accounts.create_team(form.name.data or "", TeamKind(form.kind.data), actor=current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Team {team.name} created", "success")
            return redirect(url_for("admin.teams"))
    rows = db.session.scalars(db.select(Team).order_by(Team.name)).all()
    return render_template("admin/teams.html", title="Teams", teams=rows, form=form,
                           kind_labels=accounts.TEAM_KIND_LABELS)


AUDIT_PAGE_SIZE = 50


@bp.route("/audit")
@requires("audit.view")
def audit_log() -> Any:
    """The audit log: filter by who, what, object and date; paged; the same filters as CSV."""
    from ..domain import audit_viewer

    filters = audit_viewer.AuditFilters.from_args(request.args)
    if request.args.get("format") == "csv":
        return Response(stream_with_context(audit_viewer.csv_rows(filters)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit-log.csv",
                                 "Cache-Control": "no-store"})
    page = max(1, min(_int(request.args.get("page"), 1), 100000))
    events, total = audit_viewer.search(filters, page=page, per_page=AUDIT_PAGE_SIZE)
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    return render_template("admin/audit.html", title="Audit log", lines=audit_viewer.describe(events), total=total,
                           page=page, pages=pages, filters=filters, args=filters.as_args())


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default
