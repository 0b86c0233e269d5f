"""Jobs on RQ and Redis (production): `flask jobs enqueue-due` puts each job on the queue, `flask jobs worker`
runs them, `flask jobs scheduler` enqueues every few minutes. REDIS_URL (MICRODIR_REDIS_URL) names the server.

The job a worker runs is ``run_queued_job(name)``: it runs the registered job of that name in an app context,
so any RQ worker (ours or a plain `rq worker` with MICRODIR_* settings) can run it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Worker

from ..extensions import db
from .registry import job_names, run_job

ACTIVE = {"queued", "started", "deferred", "scheduled"}
WAITING = ACTIVE - {"started"}


class QueueNotConfigured(RuntimeError):
    pass


def redis_connection(app: Flask | None = None) -> Redis:
    url = (app or current_app).config.get("REDIS_URL")
    if not url:
        raise QueueNotConfigured("Set MICRODIR_REDIS_URL to run jobs on RQ; without it use `flask jobs run-due`.")
    return Redis.from_url(url)


def job_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["JOB_QUEUE_NAME"], connection=connection or redis_connection())


def run_queued_job(name: str) -> Any:
    """What an RQ worker runs: one registered job, inside an app context (made here if the worker has none)."""
    if has_app_context():
        return run_job(name)
    from .. import create_app

    with create_app().app_context():
        return run_job(name)


def queued_job_id(queue: Queue, name: str) -> str:
    """One id per job and queue, so a job still waiting is not queued twice (RQ ids allow letters, digits, - and _)."""
    return f"{queue.name}-{name}".replace(".", "-")


def enqueue_due(queue: Queue | None = None) -> dict[str, str]:
    """Put every registered job on the queue, unless it is already waiting or running there."""
    queue = queue or job_queue()
    outcomes: dict[str, str] = {}
    for name in job_names():
        job_id = queued_job_id(queue, name)
        existing = queue.fetch_job(job_id)
        if existing is not None and existing.get_status(refresh=True) in ACTIVE:
            outcomes[name] = "already queued"
            continue
        queue.enqueue(run_queued_job, name, job_id=job_id, result_ttl=86400, failure_ttl=7 * 86400,
                      description=f"microdir job {name}")
        outcomes[name] = "queued"
    return outcomes


def enqueue_soon(name: str, connection: Redis) -> str:
    """Queue one run of a job now (after a commit that gave it work), unless a run is already waiting to start.

    A run already under way may have read its work before this commit, so another is queued behind it.
    """
    queue = job_queue(connection)
    for job_id in (queued_job_id(queue, name), queued_job_id(queue, name) + "-next"):
        existing = queue.fetch_job(job_id)
        status = existing.get_status(refresh=True) if existing is not None else None
        if status in WAITING:
            return "already queued"
        if status != "started":
            queue.enqueue(run_queued_job, name, job_id=job_id, result_ttl=3600, failure_ttl=7 * 86400,
                          description=f"microdir job {name}")
            return "queued"
    return "already queued"


def run_worker(*, burst: bool = False, worker_class: type[Worker] = Worker) -> None:
    """Run an RQ worker on our queue; each job runs in the app context this is called in."""
    queue = job_queue()
    db.engine.dispose()  # a forked work horse must open its own database connections
    worker_class([queue], connection=queue.connection).work(burst=burst)


def run_scheduler(interval: int, *, rounds: int | None = None, sleep: Callable[[float], None] = time.sleep,
                  echo: Callable[[str], None] = print) -> None:
    """Enqueue every job now and then every ``interval`` seconds (``rounds`` limits it, for tests)."""
    done = 0
    while rounds is None or done < rounds:
        for name, outcome in enqueue_due().items():
            echo(f"{name}: {outcome}")
        done += 1
        if rounds is None or done < rounds:
            sleep(interval)
