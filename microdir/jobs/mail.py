"""The job that sends queued email (``mail.deliver_pending``); registered last, so what other jobs queue goes too."""

from __future__ import annotations

from ..mail import deliver_pending


def deliver_pending_email() -> str:
    sent, waiting = deliver_pending()
    return f"{sent} sent, {waiting} waiting"
