"""Distance ordering and labels, widening, areas served and remote services."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.geo import resolve_place
from microdir.models import AreaType, ServiceArea
from microdir.search import SearchRequest, find_service_ids, search_services
from tests import factories
from tests.search.conftest import COVENTRY, HUDDERSFIELD, SMETHWICK, STOCKPORT


def venue(name: str, where: tuple[float, float], postcode: str, **kw: Any) -> str:
    return factories.create_service(name=name, description="Befriending group.", postcode=postcode,
                                    latitude=where[0], longitude=where[1], **kw).id


def test_nearest_first_with_distance_labels(ctx: Any) -> None:
    smethwick = venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    coventry = venue("Coventry Friends", COVENTRY, "CV1 5FB")
    stockport = venue("Stockport Friends", STOCKPORT, "SK1 3XE")
    results = search_services(SearchRequest(text="befriending", place=resolve_place("CV1 5FB"), order="nearest"))
    assert [h.service_id for h in results.hits] == [coventry, smethwick, stockport]
    first, second, _ = results.hits
    assert (first.mode, first.label, first.distance_miles) == ("venue", "less than 0.1 miles", 0.0)
    assert second.label == f"{round(second.distance_miles)} miles" and 20 < second.distance_miles < 23
    # Nothing within 5 miles except Coventry, so the radius widened until everything was found.
    assert results.widened_to_miles is not None and results.widened_to_miles >= 60


def test_no_widening_when_enough_results_are_close(ctx: Any) -> None:
    near = [venue(f"Near {i}", SMETHWICK, "B66 1AA") for i in range(3)]
    venue("Far", HUDDERSFIELD, "HD1 2TA")
    results = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA"), per_page=3))
    assert sorted(h.service_id for h in results.hits) == sorted(near)
    assert results.widened_to_miles is None
    assert results.total == 3


def test_widening_reports_the_radius_used(ctx: Any) -> None:
    # Coventry is ~21 miles from Smethwick: found once the radius widens to 25 miles.
    smethwick = venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    coventry = venue("Coventry Friends", COVENTRY, "CV1 5FB")
    venue("Huddersfield Friends", HUDDERSFIELD, "HD1 2TA")
    results = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA"), per_page=2))
    assert results.widened_to_miles == 25.0
    assert [h.service_id for h in results.hits] == [smethwick, coventry]


def test_relevance_order_blends_nearness(ctx: Any) -> None:
    close_weak = factories.create_service(name="Community Hub", description="Lots on, including befriending.",
                                          latitude=COVENTRY[0], longitude=COVENTRY[1], postcode="CV1 5FB")
    far_strong = factories.create_service(name="Befriending Befriending", description="Befriending befriending.",
                                          latitude=STOCKPORT[0], longitude=STOCKPORT[1], postcode="SK1 3XE")
    coventry = resolve_place("CV1 5FB")
    blended = search_services(SearchRequest(text="befriending", place=coventry))
    assert [h.service_id for h in blended.hits] == [close_weak.id, far_strong.id]
    no_place = search_services(SearchRequest(text="befriending"))
    assert [h.service_id for h in no_place.hits] == [far_strong.id, close_weak.id]


def test_areas_served_and_remote_services_appear_with_labels(ctx: Any) -> None:
    at_venue = venue("Hall Friends", SMETHWICK, "B66 1AA")
    council = factories.create_service(name="Sandwell Visitors", description="Befriending at home.", postcode=None,
                                       area=AreaType.COMES_TO_YOU)
    district = factories.create_service(name="B66 Friends", description="Befriending.", postcode=None)
    district.service_areas.append(ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]))
    radius = factories.create_service(name="Radius Friends", description="Befriending.", postcode=None)
    radius.service_areas.append(ServiceArea(area_type=AreaType.RADIUS, centre_latitude=52.48,
                                            centre_longitude=-1.9, radius_miles=10))
    remote = factories.create_service(name="Phone Friends", description="Befriending calls.", postcode=None)
    remote.service_areas.append(ServiceArea(area_type=AreaType.REMOTE))
    elsewhere = factories.create_service(name="Stockport Visitors", description="Befriending.", postcode=None)
    elsewhere.service_areas.append(ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000007"]))
    db.session.commit()

    results = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA")))
    by_id = {h.service_id: h for h in results.hits}
    assert set(by_id) == {at_venue, council.id, district.id, radius.id, remote.id}
    assert (by_id[council.id].mode, by_id[council.id].label) == ("comes_to_you", "Comes to you")
    assert (by_id[district.id].mode, by_id[district.id].label) == ("area", "Covers your area")
    assert (by_id[radius.id].mode, by_id[radius.id].label) == ("area", "Covers your area")
    assert (by_id[remote.id].mode, by_id[remote.id].label) == ("remote", "By phone or online")
    assert results.hits[-1].service_id == remote.id  # remote after everything local

    stockport = search_services(SearchRequest(text="befriending", place=resolve_place("SK1 3XE")))
    assert elsewhere.id in {h.service_id for h in stockport.hits}
    assert council.id not in {h.service_id for h in stockport.hits if h.mode != "venue"}


def test_find_service_ids_for_the_open_data_api(ctx: Any) -> None:
    smethwick = venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    coventry = venue("Coventry Friends", COVENTRY, "CV1 5FB")
    venue("Stockport Friends", STOCKPORT, "SK1 3XE")
    near = find_service_ids(lat=COVENTRY[0], lon=COVENTRY[1], within_metres=40_000)
    assert [i for i, _ in near] == [coventry, smethwick]
    assert near[0][1] == 0.0 and 33_000 < (near[1][1] or 0) < 37_000
    assert len(find_service_ids("befriending")) == 3
    assert find_service_ids("befriending", limit=1)[0][1] is None
    assert find_service_ids("nothing like this") == []
