"""Jobs: each idempotent, run by `flask jobs run-due` (cron) or on RQ workers in production.

Subsystems register their jobs with ``register_job``; ``run_due`` runs every registered job once, in this
process. With Redis, ``enqueue_due`` puts each job on the RQ queue instead and ``flask jobs worker`` runs them
(see ``queueing.py``). Every job is safe to run at any time, so "due" means "every run".
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
    _JOBS[name] = job


def job_names() -> list[str]:
    """Return the registered jobs' names, in the order they run."""
    return list(_JOBS)


def deliver_pending_email() -> str:
    from ..mail import deliver_pending

    sent, waiting = deliver_pending()
    return f"{sent} sent, {waiting} waiting"


# Each area's jobs register themselves on import.
from . import insights, listings, referrals  # noqa: E402,F401

# Last, so what the other jobs queued goes out in the same run.
register_job("mail.deliver_pending", deliver_pending_email)

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
