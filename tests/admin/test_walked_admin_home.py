"""The admin home's moderation line says what its number counts: the queue itself also lists lapsed quality checks
and unconfirmed listings, so "14 items waiting" there against "46 items are waiting" on the queue looked wrong."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import pending_change


def test_the_admin_home_says_what_the_moderation_count_counts(app_ctx: Any, client_request: ClientRequest) -> None:
    organization = factories.create_organization()
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    pending_change(factories.create_service(organization, name="Tuesday Tea Club"), provider, name="Tea and Chat")
    client_request.sign_in(factories.create_user(Role.ADMIN))

    text = " ".join(client_request.get("/admin/").text().split())

    assert "1 new listing, change, claim or problem report to decide." in text
    assert "waiting for a moderator" not in text
