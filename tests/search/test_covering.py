"""services_covering: strict coverage of a place (areas served, venues within a distance), for the ORUK API."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.geo import resolve_place
from microdir.models import AreaType, ListingStatus, ServiceArea
from microdir.search import services_covering
from tests import factories
from tests.search.conftest import COVENTRY, SMETHWICK, STOCKPORT


def area_service(name: str, area: ServiceArea, description: str = "Befriending at home.") -> str:
    service = factories.create_service(name=name, description=description, postcode=None)
    service.service_areas.append(area)
    db.session.commit()
    return service.id


def test_areas_of_every_kind_cover_the_place_and_remote_only_does_not(ctx: Any) -> None:
    council = area_service("Sandwell Council Visitors", ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000028"]))
    district = area_service("B66 Friends", ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]))
    radius = area_service("Radius Friends", ServiceArea(area_type=AreaType.RADIUS, centre_latitude=52.48,
                                                        centre_longitude=-1.9, radius_miles=10))
    comes = factories.create_service(name="Comes To You", description="Visits.", postcode=None,
                                     area=AreaType.COMES_TO_YOU).id
    remote = area_service("Phone Friends", ServiceArea(area_type=AreaType.REMOTE))
    other_council = area_service("Stockport Visitors", ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000007"]))
    other_district = area_service("CV1 Friends", ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["CV1"]))
    small_radius = area_service("Coventry Radius", ServiceArea(area_type=AreaType.RADIUS, centre_latitude=COVENTRY[0],
                                                               centre_longitude=COVENTRY[1], radius_miles=3))

    found = services_covering(resolve_place("B66 1AA"))
    assert {i for i, _ in found} == {council, district, radius, comes}
    assert all(metres is None for _, metres in found)  # no venue, so no distance
    assert remote not in {i for i, _ in found}
    # The same listings seen from Stockport: only Stockport's council area.
    assert [i for i, _ in services_covering(resolve_place("SK1 3XE"))] == [other_council]
    assert {i for i, _ in services_covering(resolve_place("CV1 5FB"))} == {other_district, small_radius}


def test_venues_count_only_within_the_distance_given_nearest_first(ctx: Any) -> None:
    smethwick = factories.create_service(name="Smethwick Hall", description="Befriending.").id
    coventry = factories.create_service(name="Coventry Hall", description="Befriending.", postcode="CV1 5FB",
                                        latitude=COVENTRY[0], longitude=COVENTRY[1]).id
    factories.create_service(name="Stockport Hall", description="Befriending.", postcode="SK1 3XE",
                             latitude=STOCKPORT[0], longitude=STOCKPORT[1])
    council = area_service("Sandwell Council Visitors", ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000028"]))
    b66 = resolve_place("B66 1AA")

    assert [i for i, _ in services_covering(b66)] == [council]  # no distance: areas only, no widening
    near = services_covering(b66, within_metres=2_000)
    assert near[0] == (smethwick, 0.0) and [i for i, _ in near] == [smethwick, council]
    wider = services_covering(b66, within_metres=40_000)
    assert [i for i, _ in wider] == [smethwick, coventry, council]  # by distance; no-venue listings after
    assert 33_000 < (wider[1][1] or 0) < 37_000


def test_text_narrows_and_orders_listings_without_a_venue_by_relevance(ctx: Any) -> None:
    weak = area_service("Community Hub", ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]),
                        description="Lots on, including gardening.")
    strong = area_service("Gardening Club", ServiceArea(area_type=AreaType.COUNCILS, lad_codes=["E08000028"]),
                          description="Gardening together, gardening tips.")
    area_service("Chess Club", ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]), description="Chess.")
    factories.create_service(name="Garden Hall", description="Gardening at the hall.", latitude=SMETHWICK[0],
                             longitude=SMETHWICK[1])
    found = services_covering(resolve_place("B66 1AA"), text="gardening")
    assert [i for i, _ in found] == [strong, weak]  # the venue is not asked for; the chess club does not match


def test_only_published_listings_are_returned(ctx: Any) -> None:
    shown = area_service("Shown", ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]))
    hidden = factories.create_service(name="Suspended", description="Befriending.", postcode=None,
                                      listing_status=ListingStatus.SUSPENDED)
    hidden.service_areas.append(ServiceArea(area_type=AreaType.DISTRICTS, outcodes=["B66"]))
    db.session.commit()
    assert [i for i, _ in services_covering(resolve_place("B66 1AA"))] == [shown]
