"""``flask oruk import|export|self-test``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from . import importer
from .fetch import FetchRefused, fetch_records
from .selftest import run_on_app

oruk_cli = AppGroup("oruk", help="Open Referral UK 3.0 open data: import, export, self-test.")


@oruk_cli.command("import")
@click.argument("source")
@click.option("--publish/--queue", default=False, help="Publish at once, or queue for review (the default).")
@click.option("--bulk", is_flag=True,
              help="A big directory: batched inserts and one change-log mark; every node then rebuilds its index.")
def import_command(source: str, publish: bool, bulk: bool) -> None:
    """Import ORUK/HSDS 3.0 services from SOURCE: a file (a /services page, a JSON array, or ndjson), or an
    http(s) address when ORUK_IMPORT_FROM_URL_ENABLED is on (every page of a /services feed is fetched)."""
    if "://" in source:  # a web address (anything but http and https is refused with a reason)

        def fetched(page: int, total: int | None) -> None:
            click.echo(f"  fetched page {page:,}" + (f" of {total:,}" if total else ""))

        try:
            records, problems = fetch_records(source, progress=fetched)
        except FetchRefused as error:
            raise click.ClickException(str(error)) from error
        name, label = source, f"url:{source}"
    else:
        path = Path(source)
        if not path.is_file():
            raise click.ClickException(f"No file at {source}")
        records, problems = importer.read_records(path.read_text(encoding="utf-8"))
        name, label = path.name, f"file:{path.name}"
    click.echo(f"Importing {len(records):,} services from {name} ({'publish' if publish else 'queue for review'})")
    started = last = time.perf_counter()

    def progress(done: int, report: importer.ImportReport) -> None:
        nonlocal last
        now = time.perf_counter()
        if done == len(records) or now - last >= 0.5:
            click.echo(f"  {done:,}/{len(records):,}: {report.summary()}")
            last = now

    load = importer.bulk_load if bulk else importer.import_services
    report = load(records, publish=publish, source=label[:255], progress=progress)
    report.rejections[:0] = problems
    db.session.commit()
    seconds = time.perf_counter() - started
    for rejection in report.rejections:
        click.echo(f"Rejected {rejection}", err=True)
    for warning in report.warnings:
        click.echo(f"Warning {warning}", err=True)
    click.echo(f"Done in {seconds:.1f} s: {report.summary()}")


@oruk_cli.command("export")
@click.argument("target", required=False)
def export_command(target: str | None) -> None:
    """Write every published service, fully nested, as ndjson to TARGET (default: standard output)."""
    from .api import export_services

    out = open(target, "w", encoding="utf-8") if target else sys.stdout  # noqa: SIM115
    count = 0
    try:
        for record in export_services():
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    finally:
        if target:
            out.close()
    if target:
        click.echo(f"Wrote {count:,} services to {target}")


@oruk_cli.command("self-test")
def self_test_command() -> None:
    """Run the ORUK validator's checks against this app's own feed and print what failed."""
    result = run_on_app(current_app)
    for step in result.steps:
        mark = "ok  " if step.passed else "FAIL"
        click.echo(f"{mark} {step.status} {step.path}" + ("" if step.passed else f": {'; '.join(step.problems[:3])}"))
    for warning in result.warnings:
        click.echo(f"warn {warning}")
    click.echo("Valid" if result.is_valid else "Not valid")
    if not result.is_valid:
        raise click.exceptions.Exit(1)
