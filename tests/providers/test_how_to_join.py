""""How to join" on a listing: the provider says how a person starts; moderated like other edits; shown to residents
and published in the ORUK open data as HSDS ``service.application_process`` (and read back by the importer)."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import ListingRevision, Role, Service
from microdir.oruk import importer
from microdir.oruk.validate import errors
from tests import factories
from tests.pages import ClientRequest
from tests.providers.test_edit_sections import _approve, _diff_rows, _post, _url

HOW = "Phone Sam first so we can save you a seat. Bring a friend if you like."


def _listing() -> tuple[Any, Service]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    return provider, factories.create_service(organization, name="Tuesday Tea Club")


def test_how_to_join_is_moderated_shown_and_published_as_open_data(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, service = _listing()
    client_request.sign_in(provider)
    page = client_request.get(_url(service, "contact"))
    assert page.soup.select_one("textarea[name=application_process]") is not None
    _post(client_request, service, "contact", email="tea@example.org", application_process=HOW)
    db.session.expire_all()
    assert service.application_process is None  # published listing: waits for a moderator
    assert _diff_rows(client_request, service)["How to join"] == ("Not given", HOW)

    _approve(service)
    listing = client_request.get(f"/services/{service.id}")
    assert listing.soup.select_one("#how-to-join").get_text(strip=True) == HOW
    assert "How to join" in [h.get_text(strip=True) for h in listing.select("h2")]

    exported = client_request.client.get(f"/api/oruk/services/{service.id}").get_json()
    assert exported["application_process"] == HOW
    assert errors(exported, "service") == []
    exported["application_process"] = "Just turn up."
    report = importer.import_services([exported], publish=True)
    db.session.commit()
    assert report.updated == 1
    db.session.expire_all()
    assert db.session.get(Service, service.id).application_process == "Just turn up."


def test_how_to_join_that_is_too_long_is_refused_and_changes_nothing(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, service = _listing()
    client_request.sign_in(provider)
    page = _post(client_request, service, "contact", expected_status=200, email="tea@example.org",
                 application_process="x" * 1001)
    from tests.pages import check_page

    check_page(page)
    assert page.error_summary() == ["How to join must be 1,000 characters or fewer"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ListingRevision)) == 0
