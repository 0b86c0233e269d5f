"""Administrators create accounts by invitation and can stop a person signing in."""

from __future__ import annotations

import re
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, Role, User
from tests import factories
from tests.pages import ClientRequest


def test_admin_invites_a_link_worker_who_chooses_a_password(app_ctx: Any, client_request: ClientRequest,
                                                            smtpd: Any, app: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    page = client_request.post("/admin/users/new", {"name": "Priya Shah", "email": "Priya.Shah@example.com",
                                                    "role": "link_worker", "new_team": "Oldbury PCN"})
    assert page.response.headers["Location"] == "/admin/users"
    listing = client_request.get("/admin/users")
    assert "Priya Shah" in listing.text() and "Oldbury PCN" in listing.text()
    (message,) = smtpd.to("priya.shah@example.com")
    link = re.search(r"http://\S+/reset-password/\S+", smtpd.body(message)).group(0)
    newcomer = ClientRequest(app)
    newcomer.post(link.replace("http://localhost", ""), {"password": "my own long passphrase",
                                                        "confirm": "my own long passphrase"})
    user = db.session.scalar(db.select(User).where(User.email == "priya.shah@example.com"))
    newcomer.sign_in(user, "my own long passphrase")
    assert newcomer.get("/account/").h1 == "Your account"
    created = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.create",
                                                           AuditEvent.object_id == str(user.id)))
    assert created.actor_id == admin.id


def test_inviting_with_bad_details_changes_nothing(app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    page = client_request.post("/admin/users/new", {"name": "", "email": "not-an-email", "role": "provider"},
                               expected_status=200)
    assert "Enter the person’s full name" in page.error_summary()
    count = db.session.scalar(db.select(db.func.count(User.id)))
    page = client_request.post("/admin/users/new", {"name": "Sam", "email": "sam@example.com", "role": "provider"},
                               expected_status=200)
    assert page.error_summary() == ["Select the provider’s organisation"]
    assert db.session.scalar(db.select(db.func.count(User.id))) == count
    assert smtpd.messages == []


def test_stopping_sign_in_ends_the_session(app_ctx: Any, client_request: ClientRequest, app: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    provider = factories.create_user(Role.PROVIDER)
    theirs = ClientRequest(app)
    theirs.sign_in(provider)
    client_request.sign_in(admin)
    client_request.post(f"/admin/users/{provider.id}/active", form_url=f"/admin/users/{provider.id}/active")
    theirs.get("/account/", expected_status=302)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
    assert event.actor_id == admin.id and event.object_id == str(provider.id)


def test_a_team_made_while_inviting_is_audited_as_the_admin(app_ctx: Any, client_request: ClientRequest,
                                                            smtpd: Any) -> None:
    admin = factories.create_user(Role.ADMIN)
    client_request.sign_in(admin)
    client_request.post("/admin/users/new", {"name": "Priya Shah", "email": "priya@example.com",
                                             "role": "link_worker", "new_team": "Oldbury PCN"})
    made = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "team.create"))
    assert made.actor_id == admin.id and made.detail["name"] == "Oldbury PCN"


def test_a_team_made_from_the_command_line_is_audited_as_the_system(app_ctx: Any, cli_runner: Any) -> None:
    result = cli_runner.invoke(args=["users", "create", "--email", "lw@example.com", "--name", "Lee Ward",
                                     "--role", "link_worker", "--team", "Oak Tree Surgery",
                                     "--password", "a long enough passphrase"])
    assert result.exit_code == 0, result.output
    made = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "team.create"))
    assert made.actor_id is None and made.detail == {"name": "Oak Tree Surgery", "kind": "gp_practice"}
