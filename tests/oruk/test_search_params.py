"""search, postcode and proximity go through the search module (a real Whoosh index on disk)."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import AreaType, Location, ServiceAtLocation
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


def test_postcode_and_proximity_narrow_venues_by_distance(app_ctx: Any, api: Any) -> None:
    near = factories.create_service(name="Near", postcode="B66 1AA", latitude=52.49643, longitude=-1.97264)
    far = factories.create_service(name="Far", postcode="CV1 1AA", latitude=52.4068, longitude=-1.5197)
    assert _services_of(api, "postcode=B66%201AA") == [near.id, far.id]  # nearest first
    assert _services_of(api, "postcode=B66%201AA&proximity=2000") == [near.id]
    assert _services_of(api, "postcode=CV1%201AA&proximity=2000") == [far.id]
    assert _services_of(api, "postcode=ZZ99%209ZZ") == []  # well formed but unknown: an empty result, not an error
    assert _services_of(api, "postcode=B66%201AA&proximity=2000&search=nothing-matches-this") == []


def test_postcode_keeps_services_whose_area_covers_it(app_ctx: Any, api: Any) -> None:
    near = factories.create_service(name="Near", postcode="B66 1AA", latitude=52.49643, longitude=-1.97264)
    # Run from an office in Edinburgh, but its service area is Sandwell, the council B66 1AA is in.
    covers = factories.create_service(name="Covers Sandwell", area=AreaType.COUNCILS, **EDINBURGH)
    body = api("/service_at_locations?postcode=B66%201AA")
    assert [i["service"]["id"] for i in body["contents"]] == [near.id, covers.id]  # the venue at the door first
    assert body["total_items"] == 2
    # With proximity, only venues that close count: covering the area is not being within 2 km.
    assert _services_of(api, "postcode=B66%201AA&proximity=2000") == [near.id]
    assert _services_of(api, "postcode=EH1%201AA&proximity=2000&search=sandwell") == [covers.id]
    assert _services_of(api, f"postcode=B66%201AA&organization_id={covers.organization_id}") == [covers.id]


def test_proximity_lists_only_the_venues_within_it(app_ctx: Any, api: Any) -> None:
    service = factories.create_service(name="Two venues", postcode="B66 1AA", latitude=52.49643, longitude=-1.97264)
    far_venue = Location(organization_id=service.organization_id, name="Coventry Hall", latitude=52.4068, longitude=-1.5197)
    service.service_at_locations.append(ServiceAtLocation(location=far_venue))
    db.session.commit()
    venues = lambda q: [i["location"]["name"] for i in api(f"/service_at_locations?{q}&full=true")["contents"]]  # noqa: E731
    assert venues("postcode=B66%201AA&proximity=2000") == ["Community Hall"]
    assert venues("postcode=CV1%201AA&proximity=2000") == ["Coventry Hall"]
    assert sorted(venues("postcode=B66%201AA")) == ["Community Hall", "Coventry Hall"]
