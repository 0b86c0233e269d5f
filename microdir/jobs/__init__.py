"""Jobs: each idempotent, run by `flask jobs run-due` (cron) or on RQ workers in production.

Subsystems register their jobs with ``register_job``; ``run_due`` runs every registered job once, in this
process. With Redis, ``enqueue_due`` puts each job on the RQ queue instead and ``flask jobs worker`` runs them
(see ``queueing.py``). Every job is safe to run at any time, so "due" means "every run".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..extensions import db

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


register_job("mail.deliver_pending", deliver_pending_email)

# Each area's jobs register themselves on import.
from . import listings, referrals  # noqa: E402,F401


def run_job(name: str) -> Any:
    """Run one registered job and commit; roll back and raise if it fails."""
    try:
        outcome = _JOBS[name]()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
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
