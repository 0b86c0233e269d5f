"""The job registry and runner: jobs register by name; ``run_job`` runs one under its lease, ``run_due`` all.

The job modules of this package register into it, and so may any subsystem (``registration`` does, from its
``init_app``); ``microdir.jobs`` imports the job modules, so importing any part of the package registers them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, or_, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import JobLease, utcnow

Job = Callable[[], Any]
_JOBS: dict[str, Job] = {}


def register_job(name: str, job: Job) -> None:
    """Add ``job`` under ``name``; jobs run in the order they were registered."""
    _JOBS[name] = job


def job_names() -> list[str]:
    """Return the registered jobs' names, in the order they run."""
    return list(_JOBS)


SKIPPED = "skipped: already running elsewhere"


def _lease_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def take_lease(name: str, holder: str) -> bool:
    """Take the job's lease if nobody holds it (or theirs has lapsed); commit, and return whether we have it.

    One conditional UPDATE, so two runners racing (any mix of cron, RQ workers and nodes) cannot both win.
    """
    now = utcnow()
    until = now + timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))
    free = or_(JobLease.expires_at.is_(None), JobLease.expires_at <= now)
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]  # an UPDATE gives a cursor result
        update(JobLease).where(JobLease.name == name, free).values(holder=holder, expires_at=until)
    )
    taken = result.rowcount
    if not taken and db.session.get(JobLease, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobLease(name=name, holder=holder, expires_at=until))
            taken = 1
        except IntegrityError:  # another runner made the row first: it holds the lease
            taken = 0
    db.session.commit()
    return bool(taken)


def give_up_lease(name: str, holder: str) -> None:
    db.session.execute(update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
                       .values(holder=None, expires_at=None))
    db.session.commit()


def run_job(name: str) -> Any:
    """Run one registered job and commit; roll back and raise if it fails.

    Each run holds the job's lease, so the same job never runs twice at once and cannot send an email twice.
    """
    holder = _lease_holder()
    if not take_lease(name, holder):
        return SKIPPED
    try:
        outcome = _JOBS[name]()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        give_up_lease(name, holder)
    return outcome


def run_due() -> dict[str, Any]:
    """Run each registered job, committing after each so one failure does not undo the others."""
    outcomes: dict[str, Any] = {}
    for name in _JOBS:
        try:
            outcomes[name] = run_job(name)
        except Exception as error:  # report and carry on with the next job
            outcomes[name] = f"failed: {type(error).__name__}: {error}"
    return outcomes
