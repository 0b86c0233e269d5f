"""A referral never waits on the mail server: the request stores the messages, the delivery job sends them."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from microdir.extensions import db
from microdir.mail import deliver_pending
from microdir.models import OutboundEmail, Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import S, make_referral
from tests.silent_servers import silent_server


def test_sending_a_referral_returns_at_once_when_smtp_accepts_and_never_answers(
    app: Flask, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    link_worker = factories.create_user(Role.LINK_WORKER)
    service = factories.create_service(name="Tuesday Friends")
    members = [factories.create_user(Role.PROVIDER, organizations=[service.organization]) for _ in range(3)]
    referral = make_referral(S.DRAFT, team_user=link_worker, service=service)
    client_request.sign_in(link_worker)
    mailman = app.extensions["mailman"]
    with silent_server() as port:
        saved = mailman.port, mailman.timeout
        # A long SMTP timeout while the link worker sends: sending inline would wait at least 3 × 30 s.
        mailman.port, mailman.timeout, app.config["MAIL_TIMEOUT"] = port, 30, 30
        try:
            started = time.monotonic()
            page = client_request.post(f"/referrals/{referral.id}/send", form_url=f"/referrals/{referral.id}/check",
                                       expected_status=200, follow_redirects=True)
            took = time.monotonic() - started
            assert "Referral sent" in page.text()
            db.session.expire_all()
            assert referral.status is S.SENT  # sent, not left a draft
            assert took < 15  # the request never touched SMTP (it used to wait 31 s, or fail with a 500)
            waiting = db.session.scalars(db.select(OutboundEmail).where(OutboundEmail.sent_at.is_(None))
                                        .order_by(OutboundEmail.id)).all()  # the order the job tries them
            assert {m.to for m in waiting} >= {m.email for m in members}

            # The delivery job meets the hung server: it gives up within the SMTP timeout, and keeps every message.
            app.config["MAIL_TIMEOUT"] = 1
            started = time.monotonic()
            assert deliver_pending() == (0, len(waiting))
            assert time.monotonic() - started < 10  # one timeout for the lot, not one per message
            db.session.commit()
        finally:
            mailman.port, mailman.timeout = saved
            app.config["MAIL_TIMEOUT"] = 5
    first = db.session.get(OutboundEmail, waiting[0].id)
    assert first.attempts == 1 and first.last_error and first.next_attempt_at is not None
    # Back-off: nothing is due again at once...
    assert deliver_pending() == (0, 0)
    # ...and once it is, every member's message goes.
    for message in waiting:
        db.session.get(OutboundEmail, message.id).next_attempt_at = None
    db.session.commit()
    assert [m["To"] for m in smtpd.messages if m["To"] in {u.email for u in members}]
    assert all(smtpd.to(member.email) for member in members)
