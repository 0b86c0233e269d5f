"""Search: the Whoosh index of published listings, kept in step with the directory change log.

``init_app`` registers the ``flask index`` commands, the after-commit hook that
applies changes at once (unless ``SEARCH_SYNC_ON_COMMIT`` is False, for nodes that run ``flask index
follow``), and the moderators' synonyms pages.
"""

from __future__ import annotations

import time
from typing import Any

import click
from flask import Flask, current_app, has_app_context, render_template, request
from flask.cli import AppGroup
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import DirectoryChange
from . import indexer
from .queries import (
    SearchHit,
    SearchRequest,
    SearchResults,
    find_service_ids,
    log_search,
    search_services,
    services_covering,
    warm_searcher,
)

__all__ = [
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "find_service_ids",
    "init_app",
    "log_search",
    "search_services",
    "services_covering",
]

index_cli = AppGroup("index", help="The search index on this node.")
SEARCH_ENDPOINTS = frozenset({"resident.search"})  # pages answered from this node's index
PENDING = "microdir.search_pending"
CHANGE_CHANNEL = "microdir_directory_change"


def _note_changes(session: Session, flush_context: Any) -> None:
    """Remember that this transaction wrote change-log rows, so the commit hook knows to index.

    On PostgreSQL, also NOTIFY the followers: delivered at commit (never for a rollback), it wakes every node's
    `flask index follow` at once instead of at its next poll.
    """
    if any(isinstance(obj, DirectoryChange) for obj in session.new):
        session.info[PENDING] = True
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"NOTIFY {CHANGE_CHANNEL}")  # repeats in one transaction are merged


def _after_commit(session: Session) -> None:
    """Apply pending changes to this node's index right after the commit (embedded default)."""
    if session.in_nested_transaction():
        return  # SQLAlchemy fires this when a savepoint is released too; wait for the outer commit, keep the flag
    if not session.info.pop(PENDING, False) or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("SEARCH_SYNC_ON_COMMIT", True):
        return
    try:
        indexer.update_index(app)
    except Exception:  # the commit stands; the change stays in the log for the next commit or the follower
        app.logger.exception("Search index update after commit failed; `flask index update` will catch up")


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if getattr(previous_transaction, "nested", False):
        return  # a savepoint rolled back: what the outer transaction flushed before it still stands
    session.info.pop(PENDING, None)


def _catch_up_once() -> None:
    """On a process's first request, apply what the change log holds beyond the index (embedded default).

    A process killed mid-write (or a commit whose index update failed) leaves changes in the log that, with
    SEARCH_SYNC_ON_COMMIT, nothing else would apply until the next change; a restarted node repairs itself here.
    Nodes running `flask index follow` need not: the follower catches up as soon as it starts.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["microdir_index_started"]
    if state["caught_up"]:
        return
    state["caught_up"] = True  # first, so concurrent first requests do not all try
    if not (app.config.get("SEARCH_SYNC_ON_COMMIT", True) and app.config.get("SEARCH_CATCH_UP_ON_START", True)):
        return
    try:
        if indexer.get_manager(app).exists():
            indexer.update_index(app)
    except Exception:  # the page is still served; /healthz reports the lag and the follower or next commit repairs it
        app.logger.exception("Catching the search index up at start failed")


def councils_with_listings() -> frozenset[str]:
    """Return the councils (LAD codes) with a listed venue or served area in this node's index (none without one)."""
    try:
        with indexer.get_manager().use() as state:
            found = state.cache.get("councils_with_listings")
            if found is None:  # once per searcher: a few hundred terms
                found = state.cache["councils_with_listings"] = frozenset(
                    term.decode().upper() for name in ("venue_lad", "area_lad") for term in state.searcher.reader().lexicon(name))
            return frozenset(found)
    except indexer.IndexMissing:
        return frozenset()


def warm_before_traffic(app: Flask) -> bool:
    """Open and warm this process's searcher, and start reopening it ahead, before the process takes a request.

    For a web worker's start (deploy/gunicorn.conf.py): otherwise its first searches opened the searcher and built
    its caches (up to 2.9 s at national size). Return False when there is no usable index (searches then say so).
    """
    with app.app_context():
        manager = indexer.get_manager(app)
        if not manager.exists():
            return False
        try:
            with manager.use() as state:
                warm_searcher(state)
        except indexer.IndexMissing:  # built by an older version: the search pages answer 503 until it is rebuilt
            app.logger.exception("Warming the search index failed")
            return False
        every = float(app.config["SEARCH_REOPEN_AHEAD_SECONDS"])
        if every > 0:
            manager.start_reopening_ahead(warm_searcher, every)
    return True


def index_health() -> tuple[bool, dict[str, Any]]:
    """The /healthz check of this node's index (the app factory registers it), and whether this worker's searcher is
    open already (warmed before its first request by deploy/gunicorn.conf.py, or opened by a search since)."""
    ok, details = indexer.status()
    return ok, {**details, "searcher_open": indexer.get_manager().opened is not None}


def init_app(app: Flask) -> None:
    """Register the index commands, the commit hook and the synonyms pages."""
    from .admin import bp as admin_bp

    app.config.setdefault("SEARCH_SYNC_ON_COMMIT", True)
    app.config.setdefault("SEARCH_FOLLOW_INTERVAL", 0.5)
    app.config.setdefault("SEARCH_CATCH_UP_ON_START", True)
    app.extensions["microdir_index_started"] = {"caught_up": False}
    app.before_request(_catch_up_once)
    app.cli.add_command(index_cli)
    app.register_blueprint(admin_bp)

    @app.errorhandler(indexer.IndexMissing)
    def search_unavailable(error: indexer.IndexMissing) -> Any:
        app.logger.error("Search unavailable: %s", error)
        return render_template("errors/503.html"), 503, {"Retry-After": "5"}

    if app.config.get("SEARCH_REOPEN_AHEAD_SECONDS") is None:
        # Where another process writes the index (`flask index follow`), each web process reopens its searcher
        # as soon as the index changes, not at the next search. Embedded (sync on commit): the writer is this
        # process, and tests see their own writes at once, so no thread.
        app.config["SEARCH_REOPEN_AHEAD_SECONDS"] = 0 if app.config["SEARCH_SYNC_ON_COMMIT"] else 0.05

    @app.before_request
    def reopen_searcher_ahead() -> None:
        every = float(app.config["SEARCH_REOPEN_AHEAD_SECONDS"])
        if every > 0:  # started by the first request in each worker process (gunicorn forks before it)
            indexer.get_manager(app).start_reopening_ahead(warm_searcher, every)

    @app.before_request
    def refuse_stale_search() -> None:
        """With several nodes, a node whose index lags answers searches 503 so the balancer retries another."""
        if request.endpoint in SEARCH_ENDPOINTS and app.config["SEARCH_FAILOVER_WHEN_DEGRADED"]:
            if indexer.is_degraded(app):
                raise indexer.IndexDegraded("This node's search index is behind the change log")
    with app.app_context():
        if not event.contains(db.session, "after_flush", _note_changes):
            event.listen(db.session, "after_flush", _note_changes)
            event.listen(db.session, "after_commit", _after_commit)
            event.listen(db.session, "after_soft_rollback", _after_rollback)


@index_cli.command("rebuild")
@click.option("--procs", type=int, default=None,
              help="Writer processes (default: 2 from 2,000 listings on 2+ cores, else 1).")
def rebuild_command(procs: int | None) -> None:
    """Build a fresh index from the database, catch up with the change log and swap it in."""
    started = time.perf_counter()
    count, position = indexer.rebuild(procs=procs)
    seconds = time.perf_counter() - started
    click.echo(f"Indexed {count:,} listings in {seconds:.1f} s ({count / seconds if seconds else 0:,.0f}/s); "
               f"change log position {position}")


def _log_stale_listings() -> int:
    """Write the change-log rows of listings hidden by time alone (``upkeep.hide_stale_listings``) and commit.

    The index only ever follows the log; a listing that goes stale changes no row, so upkeep logs it. Two nodes
    doing this at once is harmless: one commit loses on the reminder's unique key and the other's row stands.
    """
    from ..domain import upkeep

    try:
        hidden = upkeep.hide_stale_listings()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return hidden


@index_cli.command("update")
def update_command() -> None:
    """Apply pending change-log rows, after logging the listings that went stale with time (the upkeep rule)."""
    hidden = _log_stale_listings()
    position = indexer.update_index()
    click.echo(f"Index at change log position {position}; removed {hidden} stale listing(s)")


@index_cli.command("snapshot")
@click.argument("destination", type=click.Path(file_okay=False))
def snapshot_command(destination: str) -> None:
    """Copy this node's index and its change-log position to DESTINATION (a new folder), for a new node."""
    started = time.perf_counter()
    position = indexer.snapshot(destination)
    click.echo(f"Copied the index at change log position {position} to {destination} in "
               f"{time.perf_counter() - started:.1f} s")


@index_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def restore_command(source: str) -> None:
    """Use a snapshot from another node as this node's index, then catch up with the change log."""
    started = time.perf_counter()
    try:
        start, position = indexer.restore(source)
    except indexer.IndexMissing as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored the index at position {start}, caught up to {position} in "
               f"{time.perf_counter() - started:.1f} s")


@index_cli.command("check")
def check_command() -> None:
    """Compare listing ids and versions in the database with the index; exit 1 on any difference."""
    problems = indexer.check()
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} difference(s): run `flask index update` or `flask index rebuild`")
        raise click.exceptions.Exit(1)
    click.echo("The index matches the database")


class ChangeListener:
    """Wakes the follower when the change log grows: PostgreSQL LISTEN/NOTIFY, or a plain sleep elsewhere."""

    def __init__(self, app: Flask) -> None:
        self.connection: Any = None
        if db.engine.dialect.name == "postgresql":
            import psycopg

            url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(url, autocommit=True)
            self.connection.execute(f"LISTEN {CHANGE_CHANNEL}")

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a change; return True when one was announced."""
        if self.connection is None:
            time.sleep(seconds)
            return False
        woke = False
        for _ in self.connection.notifies(timeout=seconds, stop_after=1):
            woke = True
        return woke

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@index_cli.command("follow")
@click.option("--interval", type=float, default=None,
              help="Seconds between polls when nothing is announced (default SEARCH_FOLLOW_INTERVAL).")
@click.option("--once", is_flag=True, help="Poll once and stop (for tests and cron).")
def follow_command(interval: float | None, once: bool) -> None:
    """Keep this node's index in step with the change log (for SEARCH_SYNC_ON_COMMIT = False).

    On PostgreSQL it wakes on each committed change (NOTIFY) and polls as well, for changes held back behind a
    transaction still committing.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interval = interval if interval is not None else float(app.config["SEARCH_FOLLOW_INTERVAL"])
    listener = None if once else ChangeListener(app)
    last_sweep = 0.0
    position = -1
    try:
        while True:
            if time.monotonic() - last_sweep > 3600:
                _log_stale_listings()
                last_sweep = time.monotonic()
            began, before = time.perf_counter(), position
            position = indexer.update_index(app)
            db.session.remove()
            if position != before and not once:  # what a slow edit->searchable comes down to, in the node's log
                click.echo(f"{time.strftime('%H:%M:%S')} index at change log position {position} "
                           f"({(time.perf_counter() - began) * 1000:.0f} ms)")
            if once or listener is None:
                click.echo(f"Index at change log position {position}")
                return
            listener.wait(interval)
    finally:
        if listener is not None:
            listener.close()


@index_cli.command("seed-synonyms")
def seed_synonyms_command() -> None:
    """Add the starter synonyms that are missing (never overwrites a moderator's edit)."""
    from .synonyms import seed_synonyms

    added = seed_synonyms()
    db.session.commit()
    click.echo(f"Added {added} synonym(s)")
