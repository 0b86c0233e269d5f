"""Send email over SMTP. Every message is stored first, so a failed send is retried, never lost."""

from __future__ import annotations

import smtplib
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_mailman import EmailMessage

from .extensions import db
from .models import OutboundEmail, utcnow

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
    message = OutboundEmail(to=to, subject=subject, body=body, erase_after_send=secret)
    db.session.add(message)
    return message


def deliver(message: OutboundEmail) -> bool:
    """Try to hand one message to the SMTP server; record the outcome. Return True when it was accepted."""
    message.attempts += 1
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=current_app.config["MAIL_DEFAULT_SENDER"],
            to=[message.to],
        ).send()
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        current_app.logger.warning("Email %s not sent yet: %s", message.id, message.last_error)
        return False
    message.sent_at = utcnow()
    message.last_error = None
    if message.erase_after_send:
        message.body = "(removed after sending: it held a private link)"
    return True


def send_email(to: str, subject: str, body: str, *, secret: bool = False) -> OutboundEmail:
    """Queue a message and try to send it now; if SMTP is down it stays queued for `flask jobs run-due`."""
    message = queue_email(to, subject, body, secret=secret)
    db.session.flush()
    deliver(message)
    return message


def deliver_pending(max_attempts: int = 10) -> tuple[int, int]:
    """Retry every unsent message; return (sent, still waiting)."""
    pending = db.session.scalars(
        db.select(OutboundEmail)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < max_attempts)
        .order_by(OutboundEmail.id)
    ).all()
    sent = sum(1 for message in pending if deliver(message))
    return sent, len(pending) - sent
