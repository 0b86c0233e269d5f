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
    assert [h.service_id for h in results.hits] == [coventry, smethwick]
    first, second = results.hits
    assert (first.mode, first.label, first.distance_miles) == ("venue", "less than 0.1 miles", 0.0)
    assert second.label == f"{round(second.distance_miles)} miles" and 20 < second.distance_miles < 23
    # Nothing within 5 miles except Coventry, so the radius widened, but never past 25 miles: Stockport (~65) is
    # not an answer for Coventry.
    assert results.widened_to_miles == 25.0
    assert stockport not in {h.service_id for h in results.hits}


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
    close = factories.create_service(name="Coventry Befrienders", description="Befriending visits.",
                                     latitude=COVENTRY[0], longitude=COVENTRY[1], postcode="CV1 5FB")
    further = factories.create_service(name="Smethwick Befrienders", description="Befriending visits.",
                                       latitude=SMETHWICK[0], longitude=SMETHWICK[1], postcode="B66 1AA")
    coventry = resolve_place("CV1 5FB")
    blended = search_services(SearchRequest(text="befriending", place=coventry))
    assert [h.service_id for h in blended.hits] == [close.id, further.id]  # as relevant: the nearer first


def test_relevance_comes_before_nearness_in_best_match(ctx: Any) -> None:
    close_weak = factories.create_service(name="Community Hub", description="Lots on: bingo, quiz, and a garden.",
                                          latitude=COVENTRY[0], longitude=COVENTRY[1], postcode="CV1 5FB")
    strong = factories.create_service(name="Gardening Club", description="Gardening in the community garden.",
                                      latitude=SMETHWICK[0], longitude=SMETHWICK[1], postcode="B66 1AA")
    blended = search_services(SearchRequest(text="gardening", place=resolve_place("CV1 5FB")))
    assert [h.service_id for h in blended.hits] == [strong.id, close_weak.id]


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


def test_phone_and_covering_services_rank_by_relevance_not_below_far_venues(ctx: Any) -> None:
    far = venue("Coventry Friends", COVENTRY, "CV1 5FB")
    phone = factories.create_service(name="Befriending Calls", description="Befriending by phone, befriending calls.",
                                     postcode=None)
    phone.service_areas.append(ServiceArea(area_type=AreaType.REMOTE))
    db.session.commit()
    results = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA")))
    assert [h.service_id for h in results.hits] == [phone.id, far]
    assert results.hits[0].label == "By phone or online"


def test_a_distance_filter_keeps_to_its_radius_and_does_not_widen(ctx: Any) -> None:
    smethwick = venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    venue("Coventry Friends", COVENTRY, "CV1 5FB")
    results = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA"), within_miles=1))
    assert [h.service_id for h in results.hits] == [smethwick]
    assert results.within_miles == 1 and results.widened_to_miles is None and results.nothing_within_miles is None
    wide = search_services(SearchRequest(text="befriending", place=resolve_place("B66 1AA"), within_miles=25))
    assert len(wide.hits) == 2


def test_nothing_within_the_cap_is_said_plainly_and_far_venues_are_not_shown(ctx: Any) -> None:
    venue("Stockport Friends", STOCKPORT, "SK1 3XE")
    phone = factories.create_service(name="Phone Friends", description="Befriending calls.", postcode=None)
    phone.service_areas.append(ServiceArea(area_type=AreaType.REMOTE))
    db.session.commit()
    results = search_services(SearchRequest(text="befriending", place=resolve_place("CV1 5FB")))
    assert results.nothing_within_miles == 25.0
    assert [h.service_id for h in results.hits] == [phone.id]


def test_the_widening_cap_is_configurable(ctx: Any) -> None:
    venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    ctx.config["SEARCH_MAX_WIDEN_MILES"] = 10
    try:
        results = search_services(SearchRequest(text="befriending", place=resolve_place("CV1 5FB")))
    finally:
        ctx.config["SEARCH_MAX_WIDEN_MILES"] = 25
    assert results.hits == [] and results.nothing_within_miles == 10


def test_a_council_is_searched_as_an_area_in_or_covering_it(ctx: Any) -> None:
    in_sandwell = venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    covering = factories.create_service(name="Sandwell Visitors", description="Befriending at home.", postcode=None,
                                        area=AreaType.COMES_TO_YOU)
    venue("Coventry Friends", COVENTRY, "CV1 5FB")
    sandwell = resolve_place("Sandwell")
    assert sandwell.is_area and sandwell.lad_codes == ("E08000028",)
    results = search_services(SearchRequest(text="befriending", place=sandwell))
    by_id = {h.service_id: h for h in results.hits}
    assert set(by_id) == {in_sandwell, covering.id}
    assert by_id[in_sandwell].distance_miles is None  # no point to measure from
    assert by_id[covering.id].label == "Comes to you"


def test_a_metropolitan_county_is_searched_as_its_councils(ctx: Any) -> None:
    huddersfield = venue("Huddersfield Friends", HUDDERSFIELD, "HD1 2TA")
    venue("Smethwick Friends", SMETHWICK, "B66 1AA")
    results = search_services(SearchRequest(text="befriending", place=resolve_place("West Yorkshire")))
    assert [h.service_id for h in results.hits] == [huddersfield]
