"""Jobs: each idempotent, run by `flask jobs run-due` (cron) or on RQ workers in production.

Subsystems register their jobs with ``register_job``; ``run_due`` runs every registered job once, in this
process. With Redis, ``enqueue_due`` puts each job on the RQ queue instead and ``flask jobs worker`` runs them
(see ``queueing.py``). Every job is safe to run at any time, so "due" means "every run".
"""

from __future__ import annotations

# Each area's jobs register themselves into the registry on import.
from . import insights, listings, referrals  # noqa: F401
from .mail import deliver_pending_email
from .registry import _JOBS, SKIPPED, give_up_lease, job_names, register_job, run_due, run_job, take_lease

# Last, so what the other jobs queued goes out in the same run.
register_job("mail.deliver_pending", deliver_pending_email)

__all__ = ["_JOBS", "SKIPPED", "give_up_lease", "job_names", "register_job", "run_due", "run_job", "take_lease"]
