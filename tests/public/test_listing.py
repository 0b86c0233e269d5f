"""The listing page: everything a resident needs, and nothing hidden leaks out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine

from microdir.extensions import db
from microdir.models import (
    Accessibility,
    AreaType,
    Contact,
    Language,
    ListingStatus,
    Phone,
    QualityCheck,
    QualityCheckType,
    Role,
    Schedule,
    ServiceArea,
    utcnow,
)
from tests import factories
from tests.pages import ClientRequest


def rich_service() -> Any:
    service = factories.create_service(
        name="Smethwick Memory Cafe",
        description="A relaxed cafe for people living with dementia and their carers.",
        eligibility_description="People living with dementia and the people who care for them.",
        minimum_age=50,
        last_verified_at=utcnow() - timedelta(days=22),
    )
    service.phones.append(Phone(number="0121 496 0000", description="Mondays only"))
    service.contacts.append(Contact(email="cafe@example.org"))
    service.languages.append(Language(name="Punjabi", code="pa"))
    service.locations[0].accessibility.append(Accessibility(feature="step_free"))
    service.service_areas.append(ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000028"]))
    service.schedules.append(Schedule(freq="MONTHLY", interval=1, byday="-1FR"))
    service.organization.quality_checks.append(
        QualityCheck(check_type=QualityCheckType.DBS, checked_on=date(2026, 3, 3), reference="001")
    )
    service.organization.quality_checks.append(  # expired: not shown
        QualityCheck(check_type=QualityCheckType.PUBLIC_LIABILITY, checked_on=date(2024, 1, 1),
                     expires_on=date(2025, 1, 1))
    )
    db.session.commit()
    return service


@time_machine.travel("2026-03-04 09:00", tick=False)
def test_listing_shows_what_a_resident_needs(app_ctx: Any, client_request: ClientRequest) -> None:
    service = rich_service()
    page = client_request.get(f"/services/{service.id}")
    text = page.text()
    assert page.h1 == "Smethwick Memory Cafe"
    assert service.organization.name in text
    assert "People living with dementia and the people who care for them." in text
    assert "Ages 50 and over" in text
    assert [li.get_text(strip=True) for li in page.select("#schedule li")] == [
        "Every Tuesday, 10am to midday", "On the last Friday of each month"]
    assert [li.get_text(strip=True) for li in page.select("#next-sessions li")] == [
        "Tuesday 10 March 2026 at 10am", "Tuesday 17 March 2026 at 10am", "Tuesday 24 March 2026 at 10am"]
    assert [li.get_text(strip=True) for li in page.select("#helps-with li")] == [
        "Friendship and good neighbour", "Loneliness and isolation"]
    assert "1 High Street" in text and "B66 1AA" in text
    osm = page.soup.select_one("a[href^='https://www.openstreetmap.org/']")["href"]
    assert osm == "https://www.openstreetmap.org/?mlat=52.49643&mlon=-1.97264#map=17/52.49643/-1.97264"
    assert "People living in Sandwell" in page.soup.select_one("#area").get_text()
    assert page.soup.select_one("#cost").get_text(strip=True) == "Free"
    assert page.soup.select_one("a[href='tel:01214960000']").get_text(strip=True) == "0121 496 0000"
    assert page.soup.select_one("a[href='mailto:cafe@example.org']")
    assert "Step-free access" in page.soup.select_one("#accessibility").get_text()
    assert page.soup.select_one("#languages").get_text(strip=True) == "Punjabi"
    assert "Taking new people" in page.soup.select_one("#capacity").get_text()
    assert page.soup.select_one("#checked").get_text(strip=True) == "Checked 3 weeks ago"
    details = page.soup.select_one("details#micro-provider").get_text(" ", strip=True)
    assert "five or fewer workers, paid or unpaid" in details and "independent" in details
    assert [li.get_text(strip=True) for li in page.select("#quality-checks li")] == [
        "DBS check — checked on 3 March 2026"]
    report = page.soup.find("a", string="Report a problem with this listing")
    assert report["href"] == f"/services/{service.id}/report"
    assert page.soup.select_one("form[action='/shortlist/add'] input[name=service_id]")["value"] == service.id


def test_hidden_listings_are_not_found(app_ctx: Any, client_request: ClientRequest) -> None:
    draft = factories.create_service(listing_status=ListingStatus.DRAFT)
    suspended = factories.create_service(listing_status=ListingStatus.SUSPENDED)
    stale = factories.create_service(last_verified_at=utcnow() - timedelta(days=400),
                                     first_published_at=utcnow() - timedelta(days=800))
    for service in (draft, suspended, stale):
        client_request.get(f"/services/{service.id}", expected_status=404)
        client_request.get(f"/services/{service.id}/report", expected_status=404)
    client_request.get("/services/not-a-uuid", expected_status=404)
    client_request.get("/services/" + "x" * 300, expected_status=404)


def test_staff_who_may_see_unpublished_listings_get_a_warning(app_ctx: Any, client_request: ClientRequest) -> None:
    organization = factories.create_organization()
    draft = factories.create_service(organization, listing_status=ListingStatus.DRAFT, name="Not Yet Open")
    other_provider = factories.create_user(Role.PROVIDER)
    client_request.sign_in(other_provider)
    client_request.get(f"/services/{draft.id}", expected_status=404)
    client_request.sign_out()
    own_provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    client_request.sign_in(own_provider)
    page = client_request.get(f"/services/{draft.id}")
    assert "This listing is not published" in page.soup.select_one(".govuk-warning-text").get_text()
    published = factories.create_service(organization)
    assert not client_request.get(f"/services/{published.id}").select(".govuk-warning-text")
