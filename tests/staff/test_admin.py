"""Admin (issue 15): the audit-log viewer, changing a role, confirming "Stop sign-in", one audited team operation."""

from __future__ import annotations

import csv
import io
from typing import Any

from microdir.domain import accounts, audit
from microdir.extensions import db
from microdir.models import AuditEvent, Role, Team, TeamKind, User
from tests import factories
from tests.pages import ClientRequest


def _admin(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.ADMIN, email="alex.admin@example.org")
    client_request.sign_in(user)
    return user


def test_the_audit_log_filters_pages_and_downloads_csv(app_ctx: Any, client_request: ClientRequest) -> None:
    admin = _admin(client_request)
    for i in range(55):
        audit.record("listing.edit", "service", f"svc-{i}", actor=admin)
    audit.record("user.role_change", "user", "42", actor=None, reason="=HYPERLINK(1)")
    db.session.commit()
    page = client_request.get("/admin/audit?what=listing.")
    assert "55 events, page 1 of 2" in page.text()
    assert len(page.select("#audit tbody tr")) == 50
    older = client_request.get(page.select("a[rel=next]")[0]["href"])
    assert len(older.select("#audit tbody tr")) == 5 and "what=listing." in older.select("a[rel=prev]")[0]["href"]
    assert [td.get_text(strip=True) for td in
            client_request.get("/admin/audit?object_type=user&object_id=42").select("#audit tbody tr td")][1:3] == [
        "system", "user.role_change"]
    assert "0 events" in client_request.get("/admin/audit?who=nobody-like-this").text()
    system = client_request.get("/admin/audit?who=SYSTEM")
    assert {tr.select("td")[1].get_text(strip=True) for tr in system.select("#audit tbody tr")} == {"system"}
    # dates: a range, and a bad date is a GOV.UK error, never a 500
    assert "0 events" in client_request.get("/admin/audit?since=2001-01-01&until=2001-01-02").text()
    bad = client_request.get("/admin/audit?since=31-12-2026&until=x&page=abc")
    assert [a.get_text(strip=True) for a in bad.select(".govuk-error-summary a")] == [
        "From must be a real date, like 2026-12-31", "To must be a real date, like 2026-12-31"]
    for nasty in ["?who=%25", "?what=_", "?page=-5", "?page=99999999999", "?object_id=" + "x" * 500]:
        client_request.get("/admin/audit" + nasty)
    response = client_request.client.get("/admin/audit?object_type=user&format=csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "when_utc", "who", "action", "object_type", "object_id", "reason", "detail"]
    assert rows[1:] and all(r[4] == "user" for r in rows[1:]) and "user.role_change" in [r[3] for r in rows]
    assert "'=HYPERLINK(1)" in [r[6] for r in rows]  # a formula is never run by a spreadsheet


def test_change_role_is_audited_and_applies_at_the_next_request(
    app_ctx: Any, client_request: ClientRequest, app: Any
) -> None:
    admin = _admin(client_request)
    person = factories.create_user(Role.COMMISSIONER)
    theirs = ClientRequest(app)
    theirs.sign_in(person)
    theirs.get("/moderation/", expected_status=403)
    team = accounts.create_team("Smethwick Medical Centre", TeamKind.GP_PRACTICE)
    db.session.commit()
    url = f"/admin/users/{person.id}/role"
    page = client_request.post(url, {"role": "link_worker"}, expected_status=200)
    assert page.error_summary() == ["Select the link worker’s team"]
    client_request.post(url, {"role": "moderator"})
    db.session.expire_all()
    assert db.session.get(User, person.id).role is Role.MODERATOR
    theirs.get("/moderation/")  # their very next request: still signed in, with the new role
    (event,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.role_change")).all()
    assert (event.actor_id, event.detail["from_role"], event.detail["to_role"]) == (admin.id, "commissioner",
                                                                                    "moderator")
    client_request.post(url, {"role": "link_worker", "team_id": team.id})
    db.session.expire_all()
    assert db.session.get(User, person.id).team_id == team.id
    client_request.get(f"/admin/users/{admin.id}/role")
    own = client_request.post(f"/admin/users/{admin.id}/role", {"role": "provider"}, expected_status=200)
    assert own.error_summary() == ["You cannot change your own role"]
    client_request.post(url, {"role": "superuser"}, expected_status=200)


def test_stop_sign_in_asks_first(app_ctx: Any, client_request: ClientRequest) -> None:
    _admin(client_request)
    person = factories.create_user(Role.PROVIDER)
    users = client_request.get("/admin/users")
    (link,) = [a for a in users.select("a") if a.get_text(" ", strip=True).startswith("Stop sign-in")
               and a["href"].endswith(f"/{person.id}/active")]
    confirm = client_request.get(link["href"])
    assert confirm.h1 == f"Are you sure you want to stop {person.name} signing in?"
    db.session.expire_all()
    assert db.session.get(User, person.id).active  # looking at the question changed nothing
    client_request.post(link["href"], {})
    db.session.expire_all()
    assert not db.session.get(User, person.id).active


def test_one_audited_team_operation_for_the_page_and_the_cli(
    app_ctx: Any, client_request: ClientRequest, cli_runner: Any
) -> None:
    _admin(client_request)
    page = client_request.post("/admin/teams", {"name": "  ", "kind": "pcn"}, expected_status=200)
    assert page.error_summary() == ["Enter the team’s name"]
    client_request.post("/admin/teams", {"name": "Oldbury  PCN", "kind": "pcn"})
    dup = client_request.post("/admin/teams", {"name": "oldbury pcn", "kind": "pcn"}, expected_status=200)
    assert dup.error_summary() == ["There is already a team called Oldbury PCN"]
    result = cli_runner.invoke(args=["teams", "create", "--name", "Rowley Council Team", "--kind", "council_team"])
    assert result.exit_code == 0, result.output
    again = cli_runner.invoke(args=["teams", "create", "--name", "ROWLEY council team", "--kind", "pcn"])
    assert again.exit_code != 0 and "already a team" in again.output
    result = cli_runner.invoke(args=["users", "create", "--email", "lw@example.org", "--name", "L W", "--role",
                                     "link_worker", "--password", "correct horse battery staple",
                                     "--team", "Tipton Hub"])
    assert result.exit_code == 0, result.output
    teams = {t.name: t.kind for t in db.session.scalars(db.select(Team))}
    assert teams == {"Oldbury PCN": TeamKind.PCN, "Rowley Council Team": TeamKind.COUNCIL_TEAM,
                     "Tipton Hub": TeamKind.OTHER}
    created = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "team.create")).all()
    assert sorted(e.detail["name"] for e in created) == sorted(teams)
    assert "Rowley Council Team" in client_request.get("/admin/teams").text()
