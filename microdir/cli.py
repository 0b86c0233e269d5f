"""Command-line verbs: `flask users …`, `flask taxonomy seed`, `flask jobs run-due`. Subsystems add their own."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .domain import accounts
from .domain.taxonomy import seed_taxonomy
from .extensions import db
from .models import Organization, Role, Team, TeamKind

users = AppGroup("users", help="Manage accounts.")
taxonomy = AppGroup("taxonomy", help="The category and needs lists.")
jobs = AppGroup("jobs", help="Background jobs.")
teams = AppGroup("teams", help="Link workers' teams.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--team", "team_name", help="Link workers: the team's name (created if new).")
@click.option("--team-kind", type=click.Choice([k.value for k in TeamKind]), default=TeamKind.OTHER.value,
              show_default=True, help="The kind of team, when --team names a new one.")
@click.option("--organization", "organization_id", help="Providers: the organisation's id.")
def create_user_command(
    email: str, name: str, role: str, password: str, team_name: str | None, team_kind: str,
    organization_id: str | None
) -> None:
    """Create an account."""
    team = None
    if team_name:
        team = db.session.scalar(db.select(Team).where(db.func.lower(Team.name) == " ".join(team_name.split()).lower()))
        if team is None:
            try:
                team = accounts.create_team(team_name, TeamKind(team_kind))
            except accounts.AccountError as error:
                raise click.ClickException(str(error)) from error
    organizations = []
    if organization_id:
        organization = db.session.get(Organization, organization_id)
        if organization is None:
            raise click.ClickException(f"No organisation has the id {organization_id}")
        organizations.append(organization)
    try:
        user = accounts.create_user(email, name, password, Role(role), team=team, organizations=organizations)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} account {user.email}")


@teams.command("create")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in TeamKind]), required=True)
def create_team_command(name: str, kind: str) -> None:
    """Create a link workers' team (audited; the same operation as the admin page)."""
    try:
        team = accounts.create_team(name, TeamKind(kind))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created team {team.name} ({accounts.TEAM_KIND_LABELS[team.kind]})")


@users.command("list")
def list_users_command() -> None:
    """List accounts."""
    from .models import User

    for user in db.session.scalars(db.select(User).order_by(User.role, User.email)):
        click.echo(f"{user.role.value:13} {user.email:40} {'active' if user.active else 'inactive'}")


@taxonomy.command("seed")
def seed_taxonomy_command() -> None:
    """Create or update the microdir category and needs lists."""
    created, updated = seed_taxonomy()
    db.session.commit()
    click.echo(f"Taxonomy: {created} terms created, {updated} updated")


@jobs.command("run-due")
def run_due_command() -> None:
    """Run every job that is due now (safe to run from cron every few minutes)."""
    from .jobs import run_due

    for name, outcome in run_due().items():
        click.echo(f"{name}: {outcome}")


@jobs.command("enqueue-due")
def enqueue_due_command() -> None:
    """Put every job on the RQ queue in Redis (MICRODIR_REDIS_URL), for `flask jobs worker` to run."""
    from .jobs.queueing import QueueNotConfigured, enqueue_due

    try:
        outcomes = enqueue_due()
    except QueueNotConfigured as error:
        raise click.ClickException(str(error)) from error
    for name, outcome in outcomes.items():
        click.echo(f"{name}: {outcome}")


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker that runs microdir's jobs from Redis."""
    from .jobs.queueing import QueueNotConfigured, run_worker

    try:
        run_worker(burst=burst)
    except QueueNotConfigured as error:
        raise click.ClickException(str(error)) from error


@jobs.command("scheduler")
@click.option("--interval", default=300, show_default=True, help="Seconds between rounds.")
def scheduler_command(interval: int) -> None:
    """Enqueue every job now and then every --interval seconds (instead of a cron line)."""
    from .jobs.queueing import QueueNotConfigured, run_scheduler

    try:
        run_scheduler(interval, echo=click.echo)
    except QueueNotConfigured as error:
        raise click.ClickException(str(error)) from error


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(taxonomy)
    app.cli.add_command(jobs)
    app.cli.add_command(teams)
