"""Editing when and where a service runs, in Chromium with JavaScript off; axe-core on the section pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from microdir.extensions import db
from microdir.geo import resolve_place
from microdir.models import Role
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import send_change_and_open_it_as_moderator, sign_in

pytestmark = pytest.mark.browser


def test_provider_changes_a_schedule_and_a_venue_without_javascript(
    app_ctx: Any, nojs_page: Any, search_index: Any, smtpd: Any
) -> None:
    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")

    sign_in(page, provider)
    page.goto("/provider/")
    page.get_by_role("link", name="Change Tuesday Tea Club").click()
    page.locator("#sections").get_by_role("link", name="When", exact=True).click()
    expect(page.locator("h1")).to_have_text("When")
    assert_accessible(page)

    first = page.locator("#session-1")
    first.get_by_label("Once a month, on a set weekday").check()
    first.get_by_label("Which week of the month").select_option(label="Second")
    first.get_by_label("End time (optional)").fill("9am")
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("End time must be after the start time")
    assert_accessible(page)
    page.locator("#session-1").get_by_label("End time (optional)").fill("midday")
    page.get_by_role("button", name="Add another time").click()
    second = page.locator("#session-2")
    expect(second).to_be_visible()
    expect(page.locator("#session-1").get_by_label("End time (optional)")).to_have_value("midday")  # kept
    second.get_by_label("Every week").check()
    second.get_by_label("Day of the week").select_option(label="Friday")
    second.get_by_label("Start time").fill("1:30pm")
    second.get_by_label("Only in school term time").check()
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been sent to a moderator")

    page.goto(f"/provider/services/{service.id}/edit/where")
    expect(page.locator("h1")).to_have_text("Where and which area you serve")
    assert_accessible(page)
    page.get_by_role("button", name="Add another venue").click()
    venue = page.locator("#venue-2")
    venue.get_by_label("Name of the venue (optional)").fill("Upper Room")
    venue.get_by_label("Address line 1").fill("2 Priory Row")
    venue.get_by_label("Town or city").fill("Coventry")
    venue.get_by_label("Postcode").fill("CV1 9YY")
    page.get_by_role("button", name="Send change for review").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("We could not find the postcode CV1 9YY")
    assert_accessible(page)
    page.locator("#venue-2").get_by_label("Postcode").fill("cv1 1aa")
    page.get_by_role("button", name="Remove venue 1").click()
    expect(page.locator("#venue-2")).to_have_count(0)
    diff = send_change_and_open_it_as_moderator(page, "Tuesday Tea Club")
    expect(diff).to_contain_text("On the second Tuesday of each month, 10am to midday")
    expect(diff).to_contain_text("Every Friday, from 1:30pm (term time only)")
    expect(diff).to_contain_text("Upper Room, 2 Priory Row, Coventry, CV1 1AA")
    page.get_by_role("button", name="Approve change").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is now live")

    page.goto(f"/services/{service.id}")
    expect(page.locator("main")).to_contain_text("On the second Tuesday of each month, 10am to midday")
    expect(page.locator("main")).to_contain_text("2 Priory Row")
    db.session.expire_all()
    hits = search_services(SearchRequest(text="tea", place=resolve_place("CV1 1AA"))).hits
    assert [(h.service_id, h.mode) for h in hits if h.distance_miles is not None and h.distance_miles < 1] == [(service.id, "venue")]


def test_provider_answers_accessibility_for_each_venue_without_javascript(
    app_ctx: Any, nojs_page: Any, search_index: Any
) -> None:
    from microdir.models import Address, Location, ServiceAtLocation

    page = nojs_page
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    upper = Location(organization_id=organization.id, name="Upper Room", latitude=52.4081, longitude=-1.5106)
    upper.addresses.append(Address(address_1="2 Priory Row", city="Coventry", state_province="Coventry",
                                   postal_code="CV1 1AA"))
    db.session.add(upper)
    service.service_at_locations.append(ServiceAtLocation(location=upper))
    db.session.commit()

    sign_in(page, provider)
    page.goto(f"/provider/services/{service.id}/edit/accessibility")
    hall = page.get_by_role("group", name="What does Community Hall, 1 High Street, Smethwick, B66 1AA have?")
    room = page.get_by_role("group", name="What does Upper Room, 2 Priory Row, Coventry, CV1 1AA have?")
    hall.get_by_label("Step-free access").check()
    room.get_by_label("Hearing loop").check()
    assert_accessible(page)
    diff = send_change_and_open_it_as_moderator(page, "Tuesday Tea Club")
    expect(diff).to_contain_text(
        "Community Hall, 1 High Street, Smethwick, B66 1AA: Step-free access; "
        "Upper Room, 2 Priory Row, Coventry, CV1 1AA: Hearing loop")
    page.get_by_role("button", name="Approve change").click()
    page.goto(f"/services/{service.id}")
    expect(page.locator("#accessibility")).to_contain_text("Community Hall")
    expect(page.locator("#accessibility")).to_contain_text("Upper Room")
    assert_accessible(page)
