"""Issue 13 item 12: the invite form does not reveal who has an account; admins see pending invitations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.models import AuditEvent, Role, User, utcnow
from tests import factories
from tests.pages import ClientRequest


def _invite(client_request: ClientRequest, email: str) -> tuple[int, str, str]:
    page = client_request.post("/admin/users/new", {"name": "Sam Lee", "email": email, "role": "moderator"})
    banner = client_request.get("/admin/users").select(".govuk-notification-banner")[0].get_text(" ", strip=True)
    return page.status, page.response.headers["Location"], banner.replace(email, "<email>")


def test_invite_form_answers_the_same_for_a_staff_address(app_ctx: Any, client_request: ClientRequest,
                                                          smtpd: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    other_admin = factories.create_user(Role.ADMIN, email="head.admin@example.com")
    client_request.sign_in(admin)
    for_new = _invite(client_request, "someone.new@example.com")
    for_staff = _invite(client_request, "head.admin@example.com")
    assert for_new == for_staff
    assert "cannot" not in for_staff[2] and "already" not in for_staff[2]
    # Nothing changed for the existing account; its owner is told someone tried.
    assert db.session.get(User, other_admin.id).role is Role.ADMIN
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "head.admin@example.com")) == 1
    (notice,) = smtpd.to("head.admin@example.com")
    body = smtpd.body(notice)
    assert "you already have one" in body and "/sign-in" in body and "/reset-password/" not in body
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.invite_existing")).actor_id == admin.id


def test_pending_invitations_are_listed_for_admins(app_ctx: Any, client_request: ClientRequest, smtpd: Any,
                                                  app: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    client_request.post("/admin/users/new", {"name": "Ruth Okafor", "email": "ruth@example.com", "role": "commissioner"})
    rows = client_request.get("/admin/users").select("#invitations tbody tr")
    assert [row.select("td")[1].get_text(strip=True) for row in rows] == ["ruth@example.com"]
    assert "Waiting" in rows[0].get_text()
    with time_machine.travel(utcnow() + timedelta(hours=73), tick=True):
        later = ClientRequest(app)
        later.sign_in(admin)
        assert "Expired" in later.get("/admin/users").select("#invitations tbody tr")[0].get_text()
    (message,) = smtpd.to("ruth@example.com")
    link = re.search(r"http://\S+/reset-password/\S+", smtpd.body(message)).group(0)
    ClientRequest(app).post(link.replace("http://localhost", ""), {"password": "lantern orbit pebble quietly",
                                                                  "confirm": "lantern orbit pebble quietly"})
    assert client_request.get("/admin/users").select("#invitations") == []
