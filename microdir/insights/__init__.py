"""Commissioner insight: /insights pages, CSV downloads, a printable summary, summary emails, `flask insights …`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

insights_cli = AppGroup("insights", help="Commissioner insight summaries.")


@insights_cli.command("refresh")
def refresh_command() -> None:
    """Bring the summary tables up to date (the insights.refresh job does this on every run)."""
    from ..extensions import db
    from .cache import warm_shared_pages
    from .refresh import refresh_all

    counts = refresh_all()
    counts["pages warmed"] = warm_shared_pages()
    db.session.commit()
    click.echo(", ".join(f"{count} {what}" for what, count in counts.items()))


@insights_cli.command("rebuild")
def rebuild_command() -> None:
    """Empty the summary tables and build them again from the search log, referrals and listings."""
    from ..extensions import db
    from .refresh import rebuild_everything

    counts = rebuild_everything()
    db.session.commit()
    click.echo(", ".join(f"{count} {what}" for what, count in counts.items()))


def init_app(app: Flask) -> None:
    """Register the blueprint, settings defaults and the CLI."""
    from . import cache
    from .routes import bp

    app.config.setdefault("INSIGHTS_SUPPRESS_BELOW", 8)
    app.config.setdefault("INSIGHTS_ROUND_TO", 5)
    app.register_blueprint(bp)
    app.cli.add_command(insights_cli)
    # Tests empty the database between tests; the page cache goes with it (the shared reset hooks).
    app.extensions.setdefault("microdir.test_reset_hooks", []).append(cache.clear)
