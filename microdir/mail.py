"""Email: a request only stores the message (the outbox); a job hands it to SMTP.

No request ever waits on the SMTP server: ``send_email`` adds the message to ``outbound_email`` in the caller's
transaction. Right after that transaction commits, the delivery job is put on the RQ queue when ``REDIS_URL`` is set;
otherwise `flask jobs run-due` (cron) delivers it. Delivery uses ``MAIL_TIMEOUT`` on every SMTP step and retries a
failed message with back-off (1, 2, 4 … minutes, at most ``MAIL_RETRY_MAX_MINUTES``) up to ``MAIL_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context, has_request_context, request, url_for
from flask_mailman import EmailMessage
from sqlalchemy import event, or_
from sqlalchemy.orm import Session

from .extensions import db, mail
from .models import OutboundEmail, utcnow

MAIL_QUEUED = "microdir.mail_queued"
DELIVERY_JOB = "mail.deliver_pending"
DEVELOPMENT_BASE_URL = "http://localhost:5000"


def _request_host_allowed() -> bool:
    """Return True when this request's host name is on the development allow-list (``LINK_HOSTS_ALLOWED``)."""
    try:
        host = urlsplit("//" + request.host).hostname
    except ValueError:  # a Host header that is not a host at all
        return False
    allowed = {name.lower() for name in current_app.config.get("LINK_HOSTS_ALLOWED") or []}
    return host is not None and host in allowed


def email_link(endpoint: str, **values: Any) -> str:
    """Return a full link to put in an email.

    ``PUBLIC_URL`` wins when it is set (production requires it), so a link never takes its host from a request's
    Host header: a reset link built from a forged header would send the token elsewhere. Without it (development),
    the request's address is used only when its host is in ``LINK_HOSTS_ALLOWED``; otherwise, and in a job outside
    any request, http://localhost:5000.
    """
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context() and _request_host_allowed():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/", base_url=base or DEVELOPMENT_BASE_URL):
        return url_for(endpoint, _external=True, **values)


def queue_email(to: str, subject: str, body: str, *, secret: bool = False) -> OutboundEmail:
    """Store a message to send; the caller's transaction commits it with the action that caused it."""
    message = OutboundEmail(to=to, subject=subject, body=body, erase_after_send=secret, attempts=0,
                            next_attempt_at=utcnow())
    db.session.add(message)
    db.session.info[MAIL_QUEUED] = True
    return message


def send_email(to: str, subject: str, body: str, *, secret: bool = False) -> OutboundEmail:
    """Queue a message; the delivery job sends it after the caller commits (never inside the caller)."""
    message = queue_email(to, subject, body, secret=secret)
    db.session.flush()
    return message


def _retry_delay(attempts: int) -> timedelta:
    """Back-off before the next try: 1, 2, 4, 8 … minutes, capped at MAIL_RETRY_MAX_MINUTES."""
    cap = float(current_app.config["MAIL_RETRY_MAX_MINUTES"])
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), cap))


def _record_failure(message: OutboundEmail, error: Exception) -> None:
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.next_attempt_at = utcnow() + _retry_delay(message.attempts)
    if message.attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
        message.to = message.body = None  # given up: keep no personal data for a retry that will never come
    current_app.logger.warning("Email %s not sent yet (attempt %s): %s", message.id, message.attempts,
                               message.last_error)


def _mark_sent(message: OutboundEmail) -> None:
    message.sent_at = utcnow()
    message.last_error = None
    message.next_attempt_at = None
    if current_app.config.get("DEV_MAIL_VIEWER"):
        return  # development only: kept for /dev/mail (production refuses to start with the viewer on)
    message.to = message.body = None  # sent: keep only the anonymous record that it went


# A failure of the connection itself (refused, timed out, dropped): the server is down, so the rest wait too.
_SERVER_DOWN = (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, OSError)


def _send(message: OutboundEmail, connection: Any) -> None:
    message.attempts = (message.attempts or 0) + 1
    EmailMessage(subject=message.subject, body=message.body, from_email=current_app.config["MAIL_DEFAULT_SENDER"],
                 to=[message.to], connection=connection).send()


def deliver(message: OutboundEmail) -> bool:
    """Try to hand one message to the SMTP server; record the outcome. Return True when it was accepted."""
    try:
        _send(message, _connection())
    except (smtplib.SMTPException, *_SERVER_DOWN) as error:
        _record_failure(message, error)
        return False
    _mark_sent(message)
    return True


def _connection() -> Any:
    return mail.get_connection(timeout=float(current_app.config["MAIL_TIMEOUT"]))


def _due(max_attempts: int, skip: set[int], now: datetime) -> list[OutboundEmail]:
    query = (db.select(OutboundEmail)
             .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < max_attempts,
                    OutboundEmail.to.is_not(None),
                    or_(OutboundEmail.next_attempt_at.is_(None), OutboundEmail.next_attempt_at <= now))
             .order_by(OutboundEmail.id))
    if skip:
        query = query.where(OutboundEmail.id.not_in(skip))
    return list(db.session.scalars(query))


def deliver_pending(max_attempts: int | None = None, *, due_by: datetime | None = None) -> tuple[int, int]:
    """Send every message that is due over one SMTP connection; return (sent, still waiting).

    When the connection itself fails (refused, or a server that never answers: each step waits at most
    MAIL_TIMEOUT), the rest are left for the next run rather than each waiting out its own timeout.
    Messages queued while this runs are picked up before it ends. ``due_by`` (default now) picks which retries
    are due.
    """
    limit = int(max_attempts or current_app.config["MAIL_MAX_ATTEMPTS"])
    sent = waiting = 0
    tried: set[int] = set()
    server_down = False
    for _round in range(5):
        batch = [] if server_down else _due(limit, tried, due_by or utcnow())
        if not batch:
            break
        connection = _connection()
        try:
            for position, message in enumerate(batch):
                tried.add(message.id)
                try:
                    if position == 0:
                        message.attempts = (message.attempts or 0) + 1  # a failed open counts as this one's try
                        connection.open()
                        message.attempts -= 1
                    _send(message, connection)
                except _SERVER_DOWN as error:
                    _record_failure(message, error)
                    for later in batch[position + 1:]:  # not tried: they wait as long as this one
                        later.next_attempt_at = message.next_attempt_at
                    waiting += len(batch) - position
                    server_down = True
                    break
                except smtplib.SMTPException as error:  # this message was refused (e.g. a bad address)
                    _record_failure(message, error)
                    waiting += 1
                    continue
                _mark_sent(message)
                sent += 1
                db.session.flush()
        finally:
            try:
                connection.close()
            except Exception:  # closing a dead connection: nothing more to do
                pass
    return sent, waiting


def _enqueue_delivery(app: Flask) -> None:
    """Put the delivery job on the RQ queue (a short timeout: a slow Redis leaves the mail for cron)."""
    from redis import Redis

    from .jobs.queueing import enqueue_soon

    connection = Redis.from_url(app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
    enqueue_soon(DELIVERY_JOB, connection)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(MAIL_QUEUED, False) or not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        return  # `flask jobs run-due` delivers it
    try:
        _enqueue_delivery(app)
    except Exception:  # the message is stored: cron or the scheduler will send it
        app.logger.exception("Could not queue mail delivery; `flask jobs run-due` will send it")


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if not getattr(previous_transaction, "nested", False):
        session.info.pop(MAIL_QUEUED, None)


def init_app(app: Flask) -> None:
    """Queue delivery after each commit that stored a message."""
    app.config.setdefault("MAIL_MAX_ATTEMPTS", 12)
    app.config.setdefault("MAIL_RETRY_MAX_MINUTES", 60)
    with app.app_context():
        if not event.contains(db.session, "after_commit", _after_commit):
            event.listen(db.session, "after_commit", _after_commit)
            event.listen(db.session, "after_soft_rollback", _after_rollback)
