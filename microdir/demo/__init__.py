"""Demo data: `flask demo load` fills the directory with fictional micro-providers; `flask demo accounts`
creates one sign-in per role. Content lives in ``content.py``, the builder in ``builder.py``."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Organization

demo = AppGroup("demo", help="Fictional demo data for trying microdir out.")


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing if any organisation exists.")
@click.option("--seed", default=1, show_default=True, help="Random seed; the same seed gives the same data and ids.")
def load_command(if_empty: bool, seed: int) -> None:
    """Create 200+ fictional micro-providers and their services."""
    from .builder import load_demo

    if db.session.scalar(db.select(Organization.id).limit(1)) is not None:
        if if_empty:
            click.echo("The directory already has organisations: demo data not loaded.")
            return
        raise click.ClickException("The directory is not empty; use a fresh database (or --if-empty to skip).")
    started = time.perf_counter()
    click.echo(f"Loading demo data (seed {seed})…")
    counts = load_demo(seed, progress=click.echo)
    click.echo(f"Done in {time.perf_counter() - started:.1f}s: "
               + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items()))


@demo.command("insights")
@click.option("--if-empty", is_flag=True, help="Do nothing if there are already referrals or searches.")
@click.option("--seed", default=1, show_default=True)
@click.option("--days", default=365, show_default=True, help="How many days of activity, up to today.")
def insights_command(if_empty: bool, seed: int, days: int) -> None:
    """Fill a year of searches, referrals, outcomes and declines, so every insight page has something to show."""
    from ..models import Referral, SearchLog
    from .insights_activity import load_insight_activity

    busy = db.session.scalar(db.select(Referral.id).limit(1)) or db.session.scalar(db.select(SearchLog.id).limit(1))
    if busy is not None and if_empty:
        click.echo("There is already activity: demo insight activity not loaded.")
        return
    started = time.perf_counter()
    counts = load_insight_activity(seed, days, progress=click.echo)
    click.echo(f"Done in {time.perf_counter() - started:.1f}s: "
               + ", ".join(f"{value} {name}" for name, value in counts.items()))


@demo.command("accounts")
def accounts_command() -> None:
    """Create (or repair) one demo account per role and print the sign-ins (never in production)."""
    from .builder import create_demo_accounts

    if not current_app.config.get("DEMO_ACCOUNTS_ALLOWED"):
        raise click.ClickException(
            "Demo accounts are turned off here (DEMO_ACCOUNTS_ALLOWED): they would make an administrator with the "
            "published demo password. Create real accounts with `flask users create`."
        )

    rows = create_demo_accounts()
    headers = ("Role", "Email", "Password", "Two-factor secret (base32)")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    click.echo(line)
    click.echo("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)) + " |")
    click.echo(line)
    for row in rows:
        click.echo("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + " |")
    click.echo(line)
    click.echo("Staff sign in with a code too: add the two-factor secret to an authenticator app (\"enter a setup key\",")
    click.echo("time-based), or run: python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"")
    click.echo("Demo accounts only: never use these on a real deployment.")
    from .activity import load_activity

    done = load_activity()
    if done:
        click.echo("Demo activity added: " + ", ".join(f"{value} {name}" for name, value in done.items()))


def init_app(app: Flask) -> None:
    """Register `flask demo …`."""
    app.cli.add_command(demo)
