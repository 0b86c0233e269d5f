"""The ORUK read API: envelopes, visibility, filters, errors, caching headers, all checked against the schemas."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from microdir.domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID, term_id
from microdir.extensions import db
from microdir.models import (
    Contact,
    ListingStatus,
    Location,
    Phone,
    QualityCheck,
    QualityCheckType,
    ServiceAtLocation,
    utcnow,
)
from microdir.oruk import serialise
from microdir.oruk.validate import errors
from tests import factories


def assert_valid(body: Any, schema: str) -> None:
    assert errors(body, schema) == []


def _no_nulls(value: Any, path: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert item is not None and item != "", f"{path}.{key} is {item!r}"
            _no_nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _no_nulls(item, f"{path}[{n}]")


def test_root_describes_the_api_for_the_validator(app_ctx: Any, api: Any) -> None:
    body = api("/")
    assert body == {
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md",
        "openapi_url": "http://localhost/api/oruk/openapi.json",
    }
    assert_valid(body, "api_details")


def test_every_response_is_open_to_other_sites(app_ctx: Any, api: Any) -> None:
    client = api.client
    for path, status in [("/", 200), ("/services", 200), ("/services/not-a-uuid", 400),
                         (f"/services/{serialise.FACTS_TAXONOMY_ID}", 404), ("/no-such-thing", 404)]:
        response = client.get("/api/oruk" + path)
        assert response.status_code == status
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_services_are_paged_in_the_standard_envelope(app_ctx: Any, api: Any) -> None:
    org = factories.create_organization()
    made = [factories.create_service(org, name=f"Service {n}") for n in range(5)]
    pages = [api(f"/services?per_page=2&page={n}") for n in (1, 2, 3)]
    for n, page in enumerate(pages, start=1):
        assert_valid(page, "service_list")
        assert page["total_items"] == 5 and page["total_pages"] == 3 and page["page_number"] == n
        assert page["first_page"] is (n == 1) and page["last_page"] is (n == 3) and page["empty"] is False
        assert page["size"] == len(page["contents"])
    assert [item["id"] for page in pages for item in page["contents"]] == [s.id for s in made]
    item = pages[0]["contents"][0]
    assert item["organization"]["id"] == org.id and "schedules" not in item  # one-to-one fields only
    assert item["last_modified"].endswith("Z") and len(item["last_modified"]) == 24


def test_an_empty_result_says_so(app_ctx: Any, api: Any) -> None:
    body = api("/services?search=&page=1")
    assert body == {"total_items": 0, "total_pages": 0, "page_number": 1, "size": 0, "first_page": True,
                    "last_page": True, "empty": True, "contents": []}
    assert_valid(body, "service_list")


def test_only_publicly_visible_listings_are_published(app_ctx: Any, api: Any) -> None:
    visible = factories.create_service(name="Visible")
    draft = factories.create_service(name="Draft", listing_status=ListingStatus.DRAFT)
    pending = factories.create_service(name="Pending", listing_status=ListingStatus.PENDING_REVIEW)
    old = utcnow() - timedelta(days=app_ctx.config["STALE_HIDE_DAYS"] + 5)
    stale = factories.create_service(name="Stale", last_verified_at=old, first_published_at=old)
    ids = [item["id"] for item in api("/services")["contents"]]
    assert ids == [visible.id]
    for hidden in (draft, pending, stale):
        api(f"/services/{hidden.id}", expected=404)
    assert [o["id"] for o in api("/organizations")["contents"]] == [visible.organization_id]


def test_a_venue_at_someones_home_is_never_published(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    home = Location(organization_id=service.organization_id, name="Kitchen table", is_private_home=True, latitude=52.5, longitude=-1.9)
    sal = ServiceAtLocation(location=home)
    service.service_at_locations.append(sal)
    db.session.commit()
    full = api(f"/services/{service.id}")
    assert [s["location"]["name"] for s in full["service_at_locations"]] == ["Community Hall"]
    assert "Kitchen table" not in json.dumps(api("/service_at_locations?full=true"))
    api(f"/service_at_locations/{sal.id}", expected=404)
    assert "Kitchen table" not in api.client.get("/api/oruk/download").get_data(as_text=True)


def test_a_full_service_is_nested_valid_and_has_no_nulls(app_ctx: Any, api: Any) -> None:
    service = factories.create_service(minimum_age=18, maximum_age=99, eligibility_description="Adults who live alone")
    contact = Contact(name="Reception", title="Welcome desk", email="private@example.org")
    contact.phones.append(Phone(number="0121 496 0000"))
    service.contacts.append(contact)
    db.session.commit()
    body = api(f"/services/{service.id}")
    assert_valid(body, "service")
    _no_nulls(body)
    assert body["organization"]["id"] == service.organization_id
    assert body["minimum_age"] == 18 and body["maximum_age"] == 99
    assert body["eligibility_description"] == "Adults who live alone"
    location = body["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"] == "B66 1AA"
    assert body["schedules"][0] == {**body["schedules"][0], "freq": "WEEKLY", "byday": "TU", "opens_at": "10:00:00", "closes_at": "12:00:00"}
    assert body["contacts"][0]["phones"][0]["number"] == "0121 496 0000"
    assert "private@example.org" not in json.dumps(body)  # staff email addresses stay out of the open feed
    terms = {a["taxonomy_term"]["id"] for a in body["attributes"]}
    assert {term_id("categories", "friendship"), term_id("needs", "loneliness")} <= terms


def test_listing_facts_are_published_as_attributes(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    today = date.today()
    service.organization.quality_checks.extend([
        QualityCheck(check_type=QualityCheckType.DBS, checked_on=today - timedelta(days=3)),
        QualityCheck(check_type=QualityCheckType.PUBLIC_LIABILITY, checked_on=today - timedelta(days=400), expires_on=today - timedelta(days=35)),
        QualityCheck(check_type=QualityCheckType.FOOD_HYGIENE),  # not checked by a moderator yet
    ])
    db.session.commit()
    body = api(f"/services/{service.id}")
    facts = {a["taxonomy_term"]["term"]: a.get("value") for a in body["attributes"]
             if a["taxonomy_term"].get("taxonomy_id") == serialise.FACTS_TAXONOMY_ID}
    assert facts == {
        "micro-provider-verified": None,
        "last-verified": service.last_verified_at.date().isoformat(),
        "quality-check:dbs": (today - timedelta(days=3)).isoformat(),
    }
    # The fact terms resolve like any other term, and their taxonomy is listed.
    for attribute in body["attributes"]:
        assert_valid(api(f"/taxonomy_terms/{attribute['taxonomy_term_id']}"), "taxonomy_term")
    assert serialise.FACTS_TAXONOMY_ID in [t["id"] for t in api("/taxonomies")["contents"]]


def test_a_provider_over_the_size_limit_is_not_called_a_micro_provider(app_ctx: Any, api: Any) -> None:
    org = factories.create_organization()
    org.profile.paid_workers_fte = 12
    db.session.commit()
    body = api(f"/services/{factories.create_service(org).id}")
    assert "micro-provider-verified" not in [a["taxonomy_term"].get("term") for a in body["attributes"]]


def test_filters_are_cumulative(app_ctx: Any, api: Any) -> None:
    org = factories.create_organization()
    friends = factories.create_service(org, name="Friends", categories=("friendship",), needs=("loneliness",))
    lunch = factories.create_service(org, name="Lunch", categories=("drop-ins-lunch-clubs",), needs=("food",))
    other = factories.create_service(name="Elsewhere", categories=("friendship",), needs=("carers",))

    def ids(query: str) -> list[str]:
        body = api("/services?" + query)
        assert_valid(body, "service_list")
        return [item["id"] for item in body["contents"]]

    assert ids(f"taxonomy_term_id={term_id('categories', 'friendship')}") == [other.id, friends.id]
    assert ids(f"taxonomy_term_id={term_id('categories', 'friendship')}&organization_id={org.id}") == [friends.id]
    assert ids(f"taxonomy_id={NEEDS_TAXONOMY_ID}&organization_id={org.id}") == [friends.id, lunch.id]
    lunch.name = "Lunch club"
    db.session.commit()
    changed = api(f"/services/{lunch.id}")["last_modified"]
    assert ids("modified_after=" + changed) == [lunch.id]
    assert ids("modified_after=2000-01-01") == [other.id, friends.id, lunch.id]
    assert ids(f"taxonomy_id={CATEGORIES_TAXONOMY_ID}&taxonomy_term_id={term_id('needs', 'food')}") == [lunch.id]


def test_minimal_gives_ids_and_dates_in_one_page(app_ctx: Any, api: Any) -> None:
    made = [factories.create_service() for _ in range(3)]
    body = api("/services?minimal=true")
    assert_valid(body, "service_list")
    assert body["total_pages"] == 1 and {i["id"] for i in body["contents"]} == {s.id for s in made}
    assert set(body["contents"][0]) == {"id", "name", "status", "last_modified", "modified_date"}


@pytest.mark.parametrize(
    "path",
    [
        "/services?page=0", "/services?page=-1", "/services?page=abc", "/services?per_page=10000", "/services?per_page=0",
        "/services?page=99999999999999999999", "/services/not-a-uuid", "/services?modified_after=yesterday",
        "/services?format=xml", "/services?taxonomy_term_id=friendship", "/services?minimal=maybe",
        "/taxonomies/123", "/taxonomy_terms?top_only=yes", "/organizations/1", "/service_at_locations?proximity=abc",
        "/service_at_locations?postcode=B66%201AA&proximity=-5",
    ],
)
def test_bad_parameters_get_a_json_400(app_ctx: Any, api: Any, path: str) -> None:
    body = api(path, expected=400)
    assert body["status"] == 400 and body["message"]


def test_unknown_ids_get_a_json_404(app_ctx: Any, api: Any) -> None:
    for kind in ("services", "service_at_locations", "taxonomies", "taxonomy_terms", "organizations"):
        body = api(f"/{kind}/0b1f4c3e-3b5e-4c6e-9a57-8a1b2c3d4e5f", expected=404)
        assert body["status"] == 404


def test_conditional_get_answers_304(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    client = api.client
    first = client.get(f"/api/oruk/services/{service.id}")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(f"/api/oruk/services/{service.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = client.get(f"/api/oruk/services/{service.id}", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    service.name = "Renamed"
    db.session.commit()
    changed = client.get(f"/api/oruk/services/{service.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Renamed"


def test_ndjson_streams_every_result_without_paging(app_ctx: Any, api: Any) -> None:
    made = [factories.create_service() for _ in range(3)]
    response = api.client.get("/api/oruk/services?format=ndjson&full=true&per_page=1")
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert {line["id"] for line in lines} == {s.id for s in made}
    for line in lines:
        assert_valid(line, "service")
        assert "schedules" in line
    download = api.client.get("/api/oruk/download")
    assert download.mimetype == "application/x-ndjson" and "attachment" in download.headers["Content-Disposition"]
    assert len(download.get_data(as_text=True).splitlines()) == 3


def test_taxonomy_endpoints_are_valid_and_filter(app_ctx: Any, api: Any) -> None:
    taxonomies = api("/taxonomies")
    assert_valid(taxonomies, "taxonomy_list")
    assert {CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID, serialise.FACTS_TAXONOMY_ID} <= {t["id"] for t in taxonomies["contents"]}
    one = api(f"/taxonomies/{CATEGORIES_TAXONOMY_ID}")
    assert_valid(one, "taxonomy")
    assert len(one["taxonomy_terms"]) == 8
    terms = api(f"/taxonomy_terms?taxonomy_id={NEEDS_TAXONOMY_ID}&per_page=100")
    assert_valid(terms, "taxonomy_term_list")
    assert terms["total_items"] == 16 and all(t["taxonomy_id"] == NEEDS_TAXONOMY_ID for t in terms["contents"])
    assert api("/taxonomy_terms?top_only=true")["total_items"] == api("/taxonomy_terms")["total_items"]
    assert api(f"/taxonomy_terms?parent_id={term_id('needs', 'food')}")["empty"] is True
    found = api("/taxonomy_terms?search=dementia")["contents"]
    assert [t["id"] for t in found] == [term_id("needs", "dementia")]


def test_organization_endpoints(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    listing = api("/organizations?full_service=true")
    assert_valid(listing, "organization_list")
    assert listing["contents"][0]["services"][0]["id"] == service.id
    one = api(f"/organizations/{service.organization_id}")
    assert_valid(one, "organization")
    assert [s["id"] for s in one["services"]] == [service.id]
    full = api(f"/organizations/{service.organization_id}?full_service=true")
    assert_valid(full["services"][0], "service")
    assert api("/organizations?search=" + service.organization.name.upper()[:10])["total_items"] == 1
    assert api("/organizations?search=nothing-like-this")["empty"] is True


def test_service_at_locations_are_valid(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    body = api("/service_at_locations")
    assert_valid(body, "service_at_location_list")
    item = body["contents"][0]
    assert item["service"]["id"] == service.id and item["location"]["name"] == "Community Hall"
    one = api(f"/service_at_locations/{item['id']}")
    assert_valid(one, "service_at_location")
    assert one["location"]["addresses"][0]["postal_code"] == "B66 1AA"


def test_the_openapi_document_describes_what_is_served(app_ctx: Any, api: Any) -> None:
    document = api("/openapi.json")
    assert document["servers"] == [{"url": "http://localhost/api/oruk"}]
    assert set(document["paths"]) >= {"/", "/services", "/services/{id}", "/service_at_locations", "/taxonomies",
                                       "/taxonomy_terms", "/organizations", "/organizations/{id}"}
    per_page = next(p for p in document["paths"]["/services"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert "https://openreferraluk.org" not in json.dumps(document["components"])  # resolves offline


def test_the_api_is_rate_limited(app_ctx: Any, api: Any) -> None:
    app_ctx.config["ORUK_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [api.client.get("/api/oruk/").status_code for _ in range(4)]
    finally:
        app_ctx.config["ORUK_RATE_LIMIT"] = "600 per minute"
    assert statuses == [200, 200, 200, 429]


def test_an_edit_to_a_venue_or_contact_shows_at_once_with_a_new_etag(app_ctx: Any, api: Any) -> None:
    service = factories.create_service()
    client = api.client
    first = client.get(f"/api/oruk/services/{service.id}")
    service.service_at_locations[0].location.addresses[0].city = "Oldbury"
    service.contacts.append(Contact(name="Reception", phones=[Phone(number="0121 496 0000")]))
    db.session.commit()
    changed = client.get(f"/api/oruk/services/{service.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    body = changed.get_json()
    assert body["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Oldbury"
    assert body["contacts"][0]["phones"][0]["number"] == "0121 496 0000"
    again = client.get(f"/api/oruk/services/{service.id}", headers={"If-None-Match": changed.headers["ETag"]})
    assert again.status_code == 304
