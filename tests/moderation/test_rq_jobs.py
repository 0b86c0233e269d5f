"""Jobs on RQ with a real Redis: `enqueue-due` puts each job on the queue, a worker runs it, mail arrives."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import time_machine
from rq import SimpleWorker

from microdir.jobs import job_names
from microdir.jobs.queueing import enqueue_due, job_queue, queued_job_id, run_scheduler
from tests.conftest import Inbox
from tests.moderation.helpers import provider_with_listing

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own; tests/test_rate_limit_redis.py uses 15
CONFIRMED = datetime(2026, 1, 5, 9, 0)


@pytest.fixture
def redis_queue(app: Any) -> Any:
    """Point the app at Redis with a queue name of its own, and remove the queue afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    saved = {key: app.config.get(key) for key in ("REDIS_URL", "JOB_QUEUE_NAME")}
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=f"microdir-test-{uuid.uuid4().hex[:8]}")
    try:
        with app.app_context():
            queue = job_queue()
            yield queue
            queue.empty()
            queue.delete(delete_jobs=True)
    finally:
        app.config.update(saved)


def test_enqueued_jobs_run_on_a_worker_and_the_reminder_arrives(
    app_ctx: Any, redis_queue: Any, smtpd: Inbox
) -> None:
    _, provider, _ = provider_with_listing(last_verified_at=CONFIRMED)
    with time_machine.travel(CONFIRMED + timedelta(days=183), tick=True):
        outcomes = enqueue_due()
        assert set(outcomes) == set(job_names()) and set(outcomes.values()) == {"queued"}
        assert "listings.chase_stale" in outcomes and redis_queue.count == len(outcomes)
        assert set(enqueue_due().values()) == {"already queued"}  # waiting jobs are not queued twice

        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

        assert redis_queue.count == 0
        [message] = smtpd.to(provider.email)
        assert message["Subject"] == "Is your listing Tuesday Tea Club still right?"
        job = redis_queue.fetch_job(queued_job_id(redis_queue, "listings.chase_stale"))
        assert job is not None and job.get_status() == "finished"
        assert str(job.return_value()) == "1 reminded, 0 escalated, 0 hidden"

        # A second round runs everything again and sends nothing new.
        enqueue_due()
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
        assert len(smtpd.to(provider.email)) == 1


def test_the_scheduler_loop_enqueues_each_round(app_ctx: Any, redis_queue: Any) -> None:
    lines: list[str] = []
    pauses: list[float] = []
    run_scheduler(300, rounds=2, sleep=pauses.append, echo=lines.append)
    assert pauses == [300]
    assert lines.count("listings.chase_stale: queued") == 1
    assert lines.count("listings.chase_stale: already queued") == 1


def test_enqueue_due_without_redis_says_how_to_run_jobs(app: Any, cli_runner: Any) -> None:
    assert not app.config.get("REDIS_URL")
    result = cli_runner.invoke(args=["jobs", "enqueue-due"])
    assert result.exit_code != 0
    assert "Set MICRODIR_REDIS_URL" in result.output


def test_the_flask_jobs_worker_command_runs_queued_jobs_in_its_own_process(
    app: Any, app_ctx: Any, redis_queue: Any, smtpd: Inbox, tmp_path: Any
) -> None:
    """The production pair: `flask jobs enqueue-due` then `flask jobs worker` (a forking RQ worker)."""
    import os
    import subprocess
    import sys

    from microdir.models import utcnow

    _, provider, _ = provider_with_listing(last_verified_at=utcnow() - timedelta(days=200))
    env = {
        **os.environ,
        "FLASK_APP": "microdir:create_app",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "MICRODIR_CONFIG": "test",
        "MICRODIR_INSTANCE_PATH": str(tmp_path),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MICRODIR_REDIS_URL": REDIS_URL,
        "MICRODIR_JOB_QUEUE_NAME": app.config["JOB_QUEUE_NAME"],
        "MICRODIR_MAIL_PORT": str(smtpd.port),
        "MICRODIR_GEO_DATABASE": app.config["GEO_DATABASE"],
        "MICRODIR_SEARCH_INDEX_DIR": str(tmp_path / "index"),
    }

    def flask(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flask", "jobs", *args], env=env, capture_output=True,
                              text=True, timeout=120, cwd=str(tmp_path))

    enqueued = flask("enqueue-due")
    assert enqueued.returncode == 0, enqueued.stderr
    assert "listings.chase_stale: queued" in enqueued.stdout
    worked = flask("worker", "--burst")
    assert worked.returncode == 0, worked.stderr

    [message] = smtpd.to(provider.email)
    assert message["Subject"] == "Is your listing Tuesday Tea Club still right?"
    assert redis_queue.count == 0
