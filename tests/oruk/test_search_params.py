"""search, postcode and proximity go through the search module (a real Whoosh index on disk)."""

from __future__ import annotations

from typing import Any

from tests import factories


def _ids(api: Any, query: str, endpoint: str = "/services") -> list[str]:
    return [item["id"] for item in api(f"{endpoint}?{query}")["contents"]]


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
    services_of = lambda q: [i["service"]["id"] for i in api(f"/service_at_locations?{q}")["contents"]]  # noqa: E731
    assert services_of("postcode=B66%201AA") == [near.id, far.id]  # nearest first
    assert services_of("postcode=B66%201AA&proximity=2000") == [near.id]
    assert services_of("postcode=CV1%201AA&proximity=2000") == [far.id]
    assert services_of("postcode=ZZ99%209ZZ") == []  # well formed but unknown: an empty result, not an error
    assert services_of("postcode=B66%201AA&proximity=2000&search=nothing-matches-this") == []
