"""search, postcode and proximity go through the search module (a real Whoosh index on disk)."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import AreaType, Location, ServiceArea, ServiceAtLocation
from tests import factories

EDINBURGH = {"postcode": "EH1 1AA", "latitude": 55.9533, "longitude": -3.1883}


def _ids(api: Any, query: str, endpoint: str = "/services") -> list[str]:
    return [item["id"] for item in api(f"{endpoint}?{query}")["contents"]]


def _services_of(api: Any, query: str) -> list[str]:
    return [item["service"]["id"] for item in api(f"/service_at_locations?{query}")["contents"]]


def test_search_finds_services_by_words_and_respects_other_filters(app_ctx: Any, api: Any) -> None:
    org = factories.create_organization()
    choir = factories.create_service(org, name="Smethwick Singing Circle", description="A friendly community choir.")
    walks = factories.create_service(name="Canal Walks", description="Gentle walking group by the canal.")
    assert _ids(api, "search=choir") == [choir.id]
    assert _ids(api, "search=walking") == [walks.id]
    assert _ids(api, f"search=choir&organization_id={walks.organization_id}") == []
    body = api("/services?search=choir&per_page=1")
    assert body["total_items"] == 1 and body["contents"][0]["name"] == "Smethwick Singing Circle"


def test_postcode_lists_only_services_whose_area_covers_it_nearest_venue_first(app_ctx: Any, api: Any) -> None:
    near = factories.create_service(name="Near", area=AreaType.COUNCILS)  # a B66 1AA venue; serves Sandwell
    # Run from an office in Edinburgh, but its service area is Sandwell, the council B66 1AA is in.
    covers = factories.create_service(name="Covers Sandwell", area=AreaType.COUNCILS, **EDINBURGH)
    district = factories.create_service(name="Covers B66", postcode="CV1 1AA", latitude=52.4068, longitude=-1.5197)
    district.service_areas.append(ServiceArea(area_type=AreaType.DISTRICTS, lad_codes=[], outcodes=["B66"]))
    # A venue in Coventry with no area served: 20 miles away, it does not cover B66 1AA (no widening radius).
    coventry = factories.create_service(name="Coventry only", postcode="CV1 1AA", latitude=52.4068, longitude=-1.5197)
    online = factories.create_service(name="Phone line", postcode=None)
    online.service_areas.append(ServiceArea(area_type=AreaType.REMOTE, lad_codes=[], outcodes=[]))
    db.session.commit()
    body = api("/service_at_locations?postcode=B66%201AA")
    assert [i["service"]["id"] for i in body["contents"]] == [near.id, district.id, covers.id]
    assert body["total_items"] == 3
    assert _services_of(api, "postcode=CV1%201AA") == []  # no area served covers Coventry
    # With proximity, only venues that close count: covering the area is not being within 2 km.
    assert _services_of(api, "postcode=B66%201AA&proximity=2000") == [near.id]
    assert set(_services_of(api, "postcode=CV1%201AA&proximity=2000")) == {district.id, coventry.id}
    assert _services_of(api, "postcode=EH1%201AA&proximity=2000&search=sandwell") == [covers.id]
    assert _services_of(api, f"postcode=B66%201AA&organization_id={covers.organization_id}") == [covers.id]
    assert _services_of(api, "postcode=B66%201AA&proximity=2000&search=nothing-matches-this") == []
    assert _services_of(api, "postcode=ZZ99%209ZZ") == []  # well formed but unknown: an empty result, not an error
    assert online.id not in _services_of(api, "postcode=B66%201AA&proximity=1000000")


def test_a_postcode_answer_changes_at_once_when_an_area_is_edited(app_ctx: Any, api: Any) -> None:
    service = factories.create_service(name="Moving area", postcode="CV1 1AA", latitude=52.4068, longitude=-1.5197)
    assert _services_of(api, "postcode=B66%201AA") == []
    service.service_areas.append(ServiceArea(area_type=AreaType.DISTRICTS, lad_codes=[], outcodes=["B66"]))
    db.session.commit()
    assert _services_of(api, "postcode=B66%201AA") == [service.id]


def test_proximity_lists_only_the_venues_within_it(app_ctx: Any, api: Any) -> None:
    service = factories.create_service(name="Two venues", area=AreaType.COUNCILS)
    far_venue = Location(organization_id=service.organization_id, name="Coventry Hall", latitude=52.4068, longitude=-1.5197)
    service.service_at_locations.append(ServiceAtLocation(location=far_venue))
    db.session.commit()
    venues = lambda q: [i["location"]["name"] for i in api(f"/service_at_locations?{q}&full=true")["contents"]]  # noqa: E731
    assert venues("postcode=B66%201AA&proximity=2000") == ["Community Hall"]
    assert venues("postcode=CV1%201AA&proximity=2000") == ["Coventry Hall"]
    assert sorted(venues("postcode=B66%201AA")) == ["Community Hall", "Coventry Hall"]
