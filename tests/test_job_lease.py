"""One run of each job at a time: a lease per job in the database, taken by one conditional UPDATE.

Cron's `flask jobs run-due` and an RQ worker (or two overlapping cron runs) must never both run the stale-listing
chase, or a provider would get the same reminder twice.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine

from microdir.extensions import db
from microdir.jobs import _JOBS, SKIPPED, run_due, run_job, take_lease
from microdir.models import JobLease
from tests.conftest import Inbox
from tests.moderation.helpers import provider_with_listing

CONFIRMED = datetime(2026, 1, 5, 9, 0)
DUE = CONFIRMED + timedelta(days=183)  # past the first reminder


def test_a_job_another_runner_holds_is_skipped_and_runs_once_the_lease_lapses(app_ctx: Any, smtpd: Inbox) -> None:
    _, provider, _ = provider_with_listing(last_verified_at=CONFIRMED)
    with time_machine.travel(DUE, tick=False):
        assert take_lease("listings.chase_stale", "a cron run on another node")
        outcomes = run_due()
    assert outcomes["listings.chase_stale"] == SKIPPED
    assert outcomes["mail.deliver_pending"] != SKIPPED  # only the held job waits
    assert smtpd.to(provider.email) == []

    lapsed = DUE + timedelta(seconds=app_ctx.config["JOB_LEASE_SECONDS"] + 1)  # that run died without letting go
    with time_machine.travel(lapsed, tick=False):
        assert run_job("listings.chase_stale") == "1 reminded, 0 escalated, 0 hidden"
        assert run_job("listings.chase_stale") == "0 reminded, 0 escalated, 0 hidden"
    assert [m["Subject"] for m in smtpd.to(provider.email)] == ["Is your listing Tuesday Tea Club still right?"]
    assert db.session.get(JobLease, "listings.chase_stale").holder is None  # let go after each run


def test_a_job_that_fails_lets_go_of_its_lease(app_ctx: Any) -> None:
    def broken() -> str:
        raise RuntimeError("SMTP server on fire")

    _JOBS["test.broken"] = broken
    try:
        with pytest.raises(RuntimeError):
            run_job("test.broken")
        assert take_lease("test.broken", "the next run")
    finally:
        del _JOBS["test.broken"]


def test_two_runners_racing_for_a_lease_never_both_win(app: Any) -> None:
    """Real threads, each with its own database connection, start at the same moment; 10 rounds."""
    for round_number in range(10):
        name = f"test.race-{round_number}"
        barrier = threading.Barrier(2)
        won: list[bool] = []

        def runner(holder: str, name: str = name, barrier: threading.Barrier = barrier, won: list[bool] = won) -> None:
            with app.app_context():
                barrier.wait()
                won.append(take_lease(name, holder))
                db.session.remove()

        threads = [threading.Thread(target=runner, args=(f"runner {i}",)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(won) == [False, True], f"round {round_number}: {won}"
