"""A provider adds another service to their organisation: the same task list as the first, and the same moderation
path (a new service is reviewed before it is public)."""

from __future__ import annotations

import re
from typing import Any

from microdir.domain import moderation, revisions
from microdir.extensions import db
from microdir.models import AuditEvent, ListingStatus, Role, Service
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import people_data
from tests.registration.helpers import SECTION_ANSWERS, statuses


def _provider() -> tuple[Any, Any, Service]:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    first = factories.create_service(organization, name="Tuesday Tea Club")
    return provider, organization, first


def test_a_provider_adds_a_second_service_and_a_moderator_reviews_it(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    provider, organization, first = _provider()
    client_request.sign_in(provider)
    listings = client_request.get("/provider/")
    (link,) = listings.select(f"#add-service-{organization.id}")
    page = client_request.get(link["href"])
    assert page.h1 == "What is the service called?"

    made = client_request.post(link["href"], {"name": "Thursday Walking Group"})
    match = re.fullmatch(r"/register/services/([0-9a-f-]+)/tasks", made.response.headers["Location"])
    assert match
    service = db.session.get(Service, match.group(1))
    assert (service.organization_id, service.listing_status) == (organization.id, ListingStatus.DRAFT)
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "service.create")).actor_id == provider.id

    tasks = client_request.get(made.response.headers["Location"])
    assert tasks.h1 == "Register Thursday Walking Group"
    shown = statuses(tasks)
    # The organisation's answers carry over; the new service's own sections are still to do.
    assert (shown["About your organisation"], shown["Your workers"]) == ("Completed", "Completed")
    assert shown["What you offer"] == "Not yet started"
    assert shown["Check your answers and submit"] == "Cannot start yet"

    links = {a.get_text(strip=True): a["href"] for a in tasks.select(".govuk-task-list__link")}
    for key, title in [("about", "What you offer"), ("when", "When"), ("where", "Where and which area you serve"),
                       ("cost", "Cost"), ("who", "Who it is for"), ("accessibility", "Accessibility"),
                       ("contact", "How people get in touch")]:
        answers = {**SECTION_ANSWERS[key], **({"name": "Thursday Walking Group"} if key == "about" else {})}
        client_request.post(links[title], answers)
    assert statuses(client_request.get(f"/register/services/{service.id}/tasks"))["Check your answers and submit"] \
        == "Not yet started"
    db.session.refresh(service)
    client_request.post(f"/register/services/{service.id}/submit", {"version": str(service.version)},
                        form_url=f"/register/services/{service.id}/check")
    db.session.expire_all()
    assert service.listing_status is ListingStatus.PENDING_REVIEW
    revision = revisions.pending_revision(service)
    assert revision is not None and revision.is_new_listing
    resident = ClientRequest(client_request.app)
    resident.get(f"/services/{service.id}", expected_status=404)  # not public until a moderator approves
    assert db.session.get(Service, first.id).listing_status is ListingStatus.PUBLISHED  # the first is untouched

    moderation.approve(revision, factories.create_user(Role.MODERATOR), seen=moderation.listing_seen(revision))
    db.session.commit()
    assert "Thursday Walking Group" in resident.get(f"/services/{service.id}").text()


def test_a_blank_name_is_refused_and_another_organisation_cannot_be_added_to(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization, _first = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/services/new"
    page = client_request.post(url, {"name": "  "}, expected_status=200)
    assert page.error_summary() == ["Enter the name of the service"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Service)) == 1
    other = factories.create_organization(name="Someone Else")
    client_request.get(f"/provider/organisations/{other.id}/services/new", expected_status=403)
    client_request.post(f"/provider/organisations/{other.id}/services/new", {"name": "Sneaky"}, expected_status=403,
                        form_url=url)
    assert db.session.scalar(db.select(db.func.count()).select_from(Service)) == 1


def test_an_organisation_from_an_imported_listing_answers_about_itself_in_the_workers_task(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization, _first = _provider()
    db.session.delete(organization.profile)  # as one claimed from an imported listing: no answers yet
    db.session.commit()
    client_request.sign_in(provider)
    made = client_request.post(f"/provider/organisations/{organization.id}/services/new", {"name": "Choir"})
    service_id = made.response.headers["Location"].split("/")[3]
    assert statuses(client_request.get(made.response.headers["Location"]))["Your workers"] == "Not yet started"
    url = f"/register/services/{service_id}/workers"
    page = client_request.get(url)
    assert page.select("input[name=legal_form]") and page.select("input[name=independent]")
    client_request.post(url, {"legal_form": "charity", "independent": "yes", **people_data(("unpaid", "6"))})
    db.session.expire_all()
    profile = db.session.get(Service, service_id).organization.profile
    assert profile is not None and profile.unpaid_workers == 1 and profile.independent
    assert statuses(client_request.get(made.response.headers["Location"]))["Your workers"] == "Completed"


def test_about_your_organisation_is_not_completed_until_an_imported_organisation_says_what_it_is(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization, _first = _provider()
    db.session.delete(organization.profile)  # claimed from an imported listing: kind and independence not asked yet
    db.session.commit()
    client_request.sign_in(provider)
    made = client_request.post(f"/provider/organisations/{organization.id}/services/new", {"name": "Choir"})
    tasks_url = made.response.headers["Location"]
    service_id = tasks_url.split("/")[3]
    before = statuses(client_request.get(tasks_url))
    assert before["About your organisation"] == "Not yet started"
    assert before["Check your answers and submit"] == "Cannot start yet"
    client_request.post(f"/register/services/{service_id}/workers",
                        {"legal_form": "cic", "independent": "yes", **people_data(("paid", "20"))})
    assert statuses(client_request.get(tasks_url))["About your organisation"] == "Completed"
