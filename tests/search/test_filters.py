"""Every filter, facet counts, and hidden states never found."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from microdir.extensions import db
from microdir.models import (
    Accessibility,
    AreaType,
    CapacityStatus,
    CostOption,
    CostType,
    Language,
    LegalForm,
    ListingStatus,
    MicroProviderProfile,
    ServiceArea,
    utcnow,
)
from microdir.search import SearchRequest, search_services
from tests import factories


def found(**filters: list[str]) -> set[str]:
    return {h.service_id for h in search_services(SearchRequest(text="club", filters=filters, per_page=50)).hits}


@pytest.fixture
def services(ctx: Any) -> dict[str, Any]:
    # a: Tuesday morning, free, dementia, step-free, Welsh, micro-provider, taking new people, ages 18+
    a = factories.create_service(name="Club A", categories=("friendship",), needs=("dementia",), minimum_age=18)
    a.locations[0].accessibility.append(Accessibility(feature="step_free"))
    a.languages.append(Language(code="cy", name="Welsh"))
    # b: monthly 2nd Thursday evening + fixed cost, carers, full, large organisation, ages 5-16
    big = factories.create_organization(profile=MicroProviderProfile(
        legal_form=LegalForm.CHARITY, paid_workers=30, paid_workers_fte=Decimal("25"), unpaid_workers=0,
        unpaid_workers_fte=Decimal("0"), independent=True))
    b = factories.create_service(big, name="Club B", categories=("leisure-arts",), needs=("carers",),
                                 capacity_status=CapacityStatus.FULL, minimum_age=5, maximum_age=16)
    b.schedules[0].freq, b.schedules[0].byday, b.schedules[0].opens_at = "MONTHLY", "2TH", time(18, 30)
    b.cost_options[0].cost_type = CostType.FIXED
    # c: one-off on Saturday 2026-12-05 at 13:00, pay what you can, remote, no venue
    c = factories.create_service(name="Club C", postcode=None, categories=("friendship",), needs=("loneliness",))
    c.schedules[0].freq, c.schedules[0].byday, c.schedules[0].dtstart = None, None, date(2026, 12, 5)
    c.schedules[0].opens_at = time(13, 0)
    c.cost_options.append(CostOption(cost_type=CostType.PAY_WHAT_YOU_CAN))
    c.service_areas.append(ServiceArea(area_type=AreaType.REMOTE))
    db.session.commit()
    return {"a": a.id, "b": b.id, "c": c.id}


@pytest.mark.parametrize("facet,value,expected", [
    ("category", "friendship", {"a", "c"}),
    ("need", "carers", {"b"}),
    ("cost", "free", {"a", "b", "c"}.difference({"b"})),
    ("cost", "pay_what_you_can", {"c"}),
    ("day", "tu", {"a"}),
    ("day", "th", {"b"}),
    ("day", "sa", {"c"}),
    ("time", "morning", {"a"}),
    ("time", "afternoon", {"c"}),
    ("time", "evening", {"b"}),
    ("access", "step_free", {"a"}),
    ("language", "cy", {"a"}),
    ("verified", "yes", {"a", "c"}),
    ("verified", "no", {"b"}),
    ("capacity", "full", {"b"}),
    ("capacity", "taking_new_people", {"a", "c"}),
    ("mode", "remote", {"c"}),
    ("mode", "venue", {"a", "b"}),
    ("age", "10", {"b", "c"}),
    ("age", "40", {"a", "c"}),
])
def test_each_filter(services: dict[str, str], facet: str, value: str, expected: set[str]) -> None:
    assert found(**{facet: [value]}) == {services[k] for k in expected}


def test_filters_and_across_facets_or_within_one(services: dict[str, str]) -> None:
    assert found(category=["friendship"], time=["morning"]) == {services["a"]}
    assert found(day=["tu", "th"]) == {services["a"], services["b"]}
    assert found(day=["tu"], need=["carers"]) == set()


def test_facet_counts_follow_the_query_and_the_other_filters(services: dict[str, str]) -> None:
    results = search_services(SearchRequest(text="club", filters={"category": ["friendship"]}))
    assert results.total == 2
    # A facet's own selection does not narrow its counts, so people can pick another value.
    assert results.facets["category"] == {"friendship": 2, "leisure-arts": 1}
    assert results.facets["need"] == {"dementia": 1, "loneliness": 1}
    assert results.facets["day"] == {"tu": 1, "sa": 1}
    assert results.facets["verified"] == {"yes": 2}
    assert results.facets["mode"] == {"venue": 1, "remote": 1}
    assert set(results.facets) >= {"category", "need", "cost", "day", "time", "access", "language", "verified",
                                   "capacity"}


@pytest.mark.parametrize("change", [
    {"listing_status": ListingStatus.DRAFT},
    {"listing_status": ListingStatus.PENDING_REVIEW},
    {"listing_status": ListingStatus.SUSPENDED},
    {"listing_status": ListingStatus.ARCHIVED},
    {"last_verified_at": utcnow() - timedelta(days=400), "first_published_at": utcnow() - timedelta(days=500)},
])
def test_hidden_listings_are_never_found(ctx: Any, change: dict[str, Any]) -> None:
    hidden = factories.create_service(name="Hidden Club", **change)
    shown = factories.create_service(name="Shown Club")
    assert {h.service_id for h in search_services(SearchRequest(text="club")).hits} == {shown.id}
    assert hidden.id not in {h.service_id for h in search_services(SearchRequest()).hits}


def test_suspending_a_published_listing_removes_it_at_once(ctx: Any) -> None:
    service = factories.create_service(name="Soon Suspended Club")
    assert search_services(SearchRequest(text="suspended")).total == 1
    service.listing_status = ListingStatus.SUSPENDED
    db.session.commit()
    assert search_services(SearchRequest(text="suspended")).total == 0
