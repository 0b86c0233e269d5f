"""The audit log page names the people and teams an event is about, and says its details in words."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from microdir.domain import accounts
from microdir.extensions import db
from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


def test_the_audit_log_names_the_account_and_team_and_says_the_details_in_words(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # It showed "user 2" for the account and "from_role: provider; to_role: moderator; team_id: None".
    admin = factories.create_user(Role.ADMIN)
    team = factories.create_team(name="Walsall Social Prescribing")
    person = factories.create_user(Role.PROVIDER, name="Priya Shah", email="priya.shah@example.com")
    accounts.change_role(person, Role.MODERATOR, actor=admin)
    other = factories.create_user(Role.PROVIDER, name="Lee Okoro", email="lee.okoro@example.com")
    accounts.change_role(other, Role.LINK_WORKER, actor=admin, team=team)
    db.session.commit()
    client_request.sign_in(admin)

    page = client_request.get("/admin/audit?what=user.role_change")
    rows = [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in page.select("#audit tbody tr")]
    assert rows[0][3:] == ["Account: Lee Okoro (lee.okoro@example.com)",
                           "From role: provider; To role: link worker; Team: Walsall Social Prescribing"]
    assert rows[1][3:] == ["Account: Priya Shah (priya.shah@example.com)",
                           "From role: provider; To role: moderator; Team: none"]

    # The CSV stays machine-readable: ids and the detail as JSON.
    download = client_request.client.get("/admin/audit?what=user.role_change&format=csv")
    records = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert records[0]["object_type"] == "user" and records[0]["object_id"] == str(person.id)
    assert json.loads(records[0]["detail"]) == {"from_role": "provider", "to_role": "moderator", "team_id": None}
