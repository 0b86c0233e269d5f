"""Referrals: link workers' pages under /referrals, providers' inbox under /inbox, and `flask referrals …`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..crypto import check_configuration

cli = AppGroup("referrals", help="Referrals: encryption keys and maintenance.")


@cli.command("rotate-keys")
@click.option("--check", is_flag=True, help="Only count values still encrypted under an old key.")
def rotate_keys_command(check: bool) -> None:
    """Re-encrypt every personal field, and staff two-factor secrets, under the first key in FIELD_ENCRYPTION_KEYS."""
    from ..extensions import db
    from .keys import ACCOUNT_TABLES, count_old_values, rotate_all

    if check:
        left = count_old_values() + count_old_values(ACCOUNT_TABLES)
        click.echo(f"{left} values left under old keys")
        if left:
            raise SystemExit(1)
        return
    rotated = rotate_all()
    secrets = rotate_all(ACCOUNT_TABLES)
    db.session.commit()
    click.echo(f"Re-encrypted {rotated} values under the current key")
    click.echo(f"Re-encrypted {secrets} two-factor secrets under the current key")


def init_app(app: Flask) -> None:
    """Register the referral pages, the inbox and the CLI; refuse to start without a usable encryption key."""
    from .routes import admin, bp, inbox, receipt

    check_configuration(app)
    app.register_blueprint(bp)
    app.register_blueprint(inbox)
    app.register_blueprint(receipt)
    app.register_blueprint(admin)
    app.cli.add_command(cli)
