"""The caseload tells a link worker how to start a referral, and takes them there."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


def test_the_caseload_links_to_finding_a_service_and_names_the_button_as_the_listing_does(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # It said 'find a service and choose "Refer someone"' with no link, while the listing's link says
    # "Refer someone to this service".
    client_request.sign_in(factories.create_user(Role.LINK_WORKER))
    service = factories.create_service(name="Tuesday Tea Club")

    caseload = client_request.get("/referrals/")
    intro = caseload.soup.select_one("#caseload-intro")
    link = intro.find("a", string="find a service")
    assert link is not None and link["href"] == "/"
    listing = client_request.get(f"/services/{service.id}")
    button = listing.soup.find("a", href=f"/referrals/new?service={service.id}")
    assert f"“{button.get_text(strip=True)}”" in intro.get_text()
