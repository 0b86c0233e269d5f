"""The outbox: retries with back-off, delivery queued on RQ after commit when Redis is configured."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from flask import Flask
from rq import SimpleWorker
from sqlalchemy import text

from microdir.extensions import db
from microdir.mail import deliver_pending, send_email
from microdir.models import OutboundEmail, utcnow
from tests.silent_servers import closed_port

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own (tests/moderation/test_rq_jobs.py uses 14)


def test_a_failed_message_is_retried_with_growing_back_off_then_given_up(app: Flask, app_ctx: Any) -> None:
    mailman = app.extensions["mailman"]
    port, mailman.port = mailman.port, closed_port()
    saved = app.config["MAIL_MAX_ATTEMPTS"]
    app.config["MAIL_MAX_ATTEMPTS"] = 4
    try:
        message = send_email("someone@example.com", "Hello", "Body text")
        db.session.commit()
        assert message.sent_at is None and message.attempts == 0  # queued only
        gaps = []
        now = utcnow()
        for _ in range(4):
            with time_machine.travel(now, tick=False):
                assert deliver_pending() == (0, 1)
            gaps.append(message.next_attempt_at - now)
            now = message.next_attempt_at
        assert gaps == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
        with time_machine.travel(now + timedelta(days=1), tick=False):
            assert deliver_pending() == (0, 0)  # given up after MAIL_MAX_ATTEMPTS
    finally:
        mailman.port = port
        app.config["MAIL_MAX_ATTEMPTS"] = saved


def test_back_off_is_capped(app: Flask, app_ctx: Any) -> None:
    from microdir.mail import _retry_delay

    assert _retry_delay(1) == timedelta(minutes=1)
    assert _retry_delay(20) == timedelta(minutes=app.config["MAIL_RETRY_MAX_MINUTES"])


def test_after_commit_the_delivery_job_is_queued_on_rq_and_a_worker_sends_it(
    app: Flask, app_ctx: Any, smtpd: Any
) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    saved = {key: app.config.get(key) for key in ("REDIS_URL", "JOB_QUEUE_NAME")}
    app.config.update(REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=f"microdir-test-{uuid.uuid4().hex[:8]}")
    from microdir.jobs.queueing import job_queue

    queue = job_queue()
    try:
        send_email("someone@example.com", "Hello", "Body text")
        assert queue.count == 0  # nothing before the commit
        db.session.commit()
        assert queue.count == 1
        send_email("other@example.com", "Hello again", "Body text")
        db.session.commit()
        assert queue.count == 1  # a run already waiting will send it too
        db.session.remove()  # the worker's job uses a session of its own
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        assert sorted(m["To"] for m in smtpd.received) == ["other@example.com", "someone@example.com"]
        assert db.session.scalars(db.select(OutboundEmail).where(OutboundEmail.sent_at.is_(None))).all() == []
    finally:
        queue.empty()
        queue.delete(delete_jobs=True)
        app.config.update(saved)


def _raw_outbox() -> list[Any]:
    return db.session.execute(text('SELECT "to", body, subject, sent_at FROM outbound_email')).all()


def test_queued_recipient_and_body_are_encrypted_at_rest_and_erased_once_sent(app_ctx: Any, smtpd: Any) -> None:
    send_email("winifred@example.com", "Your referral", "Hello Winifred, your reset link is https://x/secret-token")
    db.session.commit()
    [(to, body, subject, sent_at)] = _raw_outbox()
    assert "winifred" not in to and "Winifred" not in body and "secret-token" not in body  # encrypted at rest
    assert sent_at is None and subject == "Your referral"

    assert smtpd.to("winifred@example.com")  # delivered by the job
    db.session.commit()
    [(to, body, subject, sent_at)] = _raw_outbox()
    assert (to, body) == (None, None)  # erased once sent...
    assert subject == "Your referral" and sent_at is not None  # ...keeping the anonymous record that it went


def test_a_message_given_up_keeps_no_address_nor_body(app: Flask, app_ctx: Any) -> None:
    mailman = app.extensions["mailman"]
    port, mailman.port = mailman.port, closed_port()
    try:
        send_email("someone@example.com", "Hello", "Body text")
        db.session.commit()
        assert deliver_pending(max_attempts=1, due_by=utcnow() + timedelta(days=1)) == (0, 1)
        db.session.commit()
    finally:
        mailman.port = port
    saved = app.config["MAIL_MAX_ATTEMPTS"]
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    try:
        assert deliver_pending(due_by=utcnow() + timedelta(days=1)) == (1, 0)
    finally:
        app.config["MAIL_MAX_ATTEMPTS"] = saved
    db.session.commit()
    mailman.port = closed_port()
    try:
        send_email("other@example.com", "Hello", "Body text")
        db.session.commit()
        app.config["MAIL_MAX_ATTEMPTS"] = 1
        assert deliver_pending() == (0, 1)
        db.session.commit()
    finally:
        mailman.port = port
        app.config["MAIL_MAX_ATTEMPTS"] = saved
    given_up = db.session.scalars(db.select(OutboundEmail).where(OutboundEmail.sent_at.is_(None))).one()
    assert (given_up.to, given_up.body) == (None, None) and given_up.last_error
