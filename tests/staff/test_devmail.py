"""The development mail viewer (issue 15): off by default, lists stored emails with working links when on,
keeps a secret link's body only while it is on, and production refuses to start with it."""

from __future__ import annotations

from typing import Any

import pytest

from microdir import create_app
from microdir.domain import accounts
from microdir.extensions import db
from microdir.models import OutboundEmail, Role
from tests import factories
from tests.pages import ClientRequest


@pytest.fixture
def viewer_on(app: Any) -> Any:
    app.config["DEV_MAIL_VIEWER"] = True
    yield app
    app.config["DEV_MAIL_VIEWER"] = False


def test_off_by_default(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.get("/dev/mail/", expected_status=404)


def test_a_newcomer_follows_a_password_reset_link_from_the_viewer(
    app_ctx: Any, client_request: ClientRequest, viewer_on: Any
) -> None:
    user = factories.create_user(Role.PROVIDER, email="pat@example.org")
    accounts.request_password_reset(user.email)
    db.session.commit()
    index = client_request.get("/dev/mail/")
    (row,) = [a for a in index.select("#emails a") if "password" in a.get_text().lower()]
    message = client_request.get(row["href"])
    (link,) = [a["href"] for a in message.select("#email-body a") if "/reset-password/" in a["href"]]
    reset = client_request.get(link.split("localhost:5000")[-1].split("localhost")[-1])
    assert reset.h1  # the reset page opens from the emailed link
    stored = db.session.scalars(db.select(OutboundEmail)).all()[-1]
    assert "/reset-password/" in stored.body  # not blanked while the viewer is on


def test_a_body_is_escaped_and_only_web_addresses_become_links(app_ctx: Any, viewer_on: Any,
                                                                client_request: ClientRequest) -> None:
    db.session.add(OutboundEmail(to="x@example.org", subject="Hi", body="<script>x</script> see https://e.example/a?b=1"))
    db.session.commit()
    message_id = db.session.scalars(db.select(OutboundEmail.id)).all()[-1]
    page = client_request.get(f"/dev/mail/{message_id}")
    assert page.select("#email-body script") == []
    assert [a["href"] for a in page.select("#email-body a")] == ["https://e.example/a?b=1"]
    client_request.get("/dev/mail/999999", expected_status=404)


def test_production_refuses_to_start_with_the_viewer_on() -> None:
    with pytest.raises(RuntimeError, match="development only"):
        create_app({"CONFIG": "production", "SECRET_KEY": "x" * 40, "PUBLIC_URL": "https://d.example.gov.uk",
                    "FIELD_ENCRYPTION_KEYS": ["ZmFrZS1rZXktZm9yLWEtdGVzdC0xMjM0NTY3ODkwYWI="],
                    "DEV_MAIL_VIEWER": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
