"""A moderator correcting a reported listing uses the provider's edit page: its links must lead back to moderation."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


def _back_link(page: Any) -> tuple[str, str]:
    link = page.soup.select_one("a.govuk-back-link")
    return link.get_text(strip=True), link["href"]


def test_a_moderator_correcting_a_listing_is_led_back_to_moderating_it(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # It said "Back to your listings" and went to /provider/, an empty page for a moderator: a dead end.
    service = factories.create_service(name="Tuesday Tea Club")
    client_request.sign_in(factories.create_user(Role.MODERATOR))

    page = client_request.get(f"/provider/services/{service.id}/edit")

    assert _back_link(page) == ("Back to moderating Tuesday Tea Club", f"/moderation/listings/{service.id}")
    assert "Change one part of this listing" in page.text()


def test_a_provider_is_still_led_back_to_their_listings(app_ctx: Any, client_request: ClientRequest) -> None:
    organization = factories.create_organization()
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    client_request.sign_in(provider)

    page = client_request.get(f"/provider/services/{service.id}/edit")

    assert _back_link(page) == ("Back to your listings", "/provider/")
    assert "Change one part of your listing" in page.text()
