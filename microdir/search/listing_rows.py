"""Listings read for the search index as plain rows, not ORM objects.

The ORM builds ~14 objects a listing (service, organisation, profile, venues, addresses, schedules, areas, terms…)
and tracks each one; at 10,000 listings that was 9 of a rebuild's 14 seconds (cProfile, bench/search.py). These
classes carry only what ``documents.service_document`` and the visibility rule read, under the models' own attribute
names, so the one converter serves both and nothing is worked out twice. Read-only: nothing here is ever written.
tests/search/test_listing_rows.py checks that rows and ORM objects give the same documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Accessibility,
    Address,
    AreaType,
    Attribute,
    CapacityStatus,
    CostOption,
    CostType,
    Language,
    ListingStatus,
    Location,
    LocationType,
    MicroProviderProfile,
    Organization,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)


@dataclass(slots=True)
class ProfileRow:
    paid_workers_fte: Decimal | None
    unpaid_workers_fte: Decimal | None
    independent: bool | None
    parent_body: str | None
    moderator_override: bool | None
    moderator_override_reason: str | None


@dataclass(slots=True)
class OrganizationRow:
    name: str
    profile: ProfileRow | None


@dataclass(slots=True)
class AddressRow:
    city: str
    state_province: str
    postal_code: str


@dataclass(slots=True)
class AccessibilityRow:
    feature: str | None


@dataclass(slots=True)
class LanguageRow:
    code: str | None
    name: str | None


@dataclass(slots=True)
class LocationRow:
    location_type: LocationType
    latitude: float | None
    longitude: float | None
    is_private_home: bool
    addresses: list[AddressRow] = field(default_factory=list)
    accessibility: list[AccessibilityRow] = field(default_factory=list)
    languages: list[LanguageRow] = field(default_factory=list)

    @property
    def postcode(self) -> str | None:
        return self.addresses[0].postal_code if self.addresses else None


@dataclass(slots=True)
class ScheduleRow:
    byday: str | None
    dtstart: date | None
    opens_at: time | None


@dataclass(slots=True)
class ServiceAreaRow:
    area_type: AreaType
    lad_codes: list[str] | None
    outcodes: list[str] | None
    centre_latitude: float | None
    centre_longitude: float | None
    radius_miles: float | None


@dataclass(slots=True)
class CostOptionRow:
    cost_type: CostType


@dataclass(slots=True)
class TermRow:
    taxonomy_id: str | None
    code: str | None
    name: str
    keywords: str | None


@dataclass(slots=True)
class ListingRow:
    """A listing as the index needs it (attribute names as on ``models.Service``)."""

    id: str
    version: int
    name: str
    alternate_name: str | None
    description: str
    eligibility_description: str | None
    minimum_age: int | None
    maximum_age: int | None
    capacity_status: CapacityStatus
    listing_status: ListingStatus
    last_verified_at: datetime | None
    first_published_at: datetime | None
    created_at: datetime
    organization_id: str
    organization: OrganizationRow | None = None
    locations: list[LocationRow] = field(default_factory=list)
    taxonomy_terms: list[TermRow] = field(default_factory=list)
    schedules: list[ScheduleRow] = field(default_factory=list)
    service_areas: list[ServiceAreaRow] = field(default_factory=list)
    cost_options: list[CostOptionRow] = field(default_factory=list)
    languages: list[LanguageRow] = field(default_factory=list)


_SERVICE_COLUMNS = (
    Service.id, Service.version, Service.name, Service.alternate_name, Service.description,
    Service.eligibility_description, Service.minimum_age, Service.maximum_age, Service.capacity_status,
    Service.listing_status, Service.last_verified_at, Service.first_published_at, Service.created_at,
    Service.organization_id,
)


def _grouped(rows: Iterable[Sequence[Any]]) -> dict[str, list[tuple[Any, ...]]]:
    """Group rows by their first column (the owner's id); the rest of each row is the value."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for owner, *rest in rows:
        groups[owner].append(tuple(rest))
    return groups


def read_listings(session: Session, ids: Sequence[str]) -> dict[str, ListingRow]:
    """Return the listings with these ids (those that exist), each with everything its search document needs.

    One query per table for the whole batch: callers pass a few hundred ids at a time.
    """
    if not ids:
        return {}
    listings = {row[0]: ListingRow(*row) for row in session.execute(select(*_SERVICE_COLUMNS).where(Service.id.in_(ids)))}
    if not listings:
        return {}
    service_ids = list(listings)

    organization_ids = list({listing.organization_id for listing in listings.values()})
    organizations: dict[str, OrganizationRow] = {}
    for org_id, name, has_profile, *facts in session.execute(
        select(Organization.id, Organization.name, MicroProviderProfile.id, MicroProviderProfile.paid_workers_fte,
               MicroProviderProfile.unpaid_workers_fte, MicroProviderProfile.independent,
               MicroProviderProfile.parent_body, MicroProviderProfile.moderator_override,
               MicroProviderProfile.moderator_override_reason)
        .outerjoin(MicroProviderProfile, MicroProviderProfile.organization_id == Organization.id)
        .where(Organization.id.in_(organization_ids))
    ):
        organizations[org_id] = OrganizationRow(name, ProfileRow(*facts) if has_profile is not None else None)

    venues = _grouped(session.execute(
        select(ServiceAtLocation.service_id, Location.id, Location.location_type, Location.latitude,
               Location.longitude, Location.is_private_home)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id.in_(service_ids))
    ))
    location_ids = list({venue[0] for rows in venues.values() for venue in rows})
    addresses = _grouped(session.execute(
        select(Address.location_id, Address.city, Address.state_province, Address.postal_code)
        .where(Address.location_id.in_(location_ids))
    )) if location_ids else {}
    features = _grouped(session.execute(
        select(Accessibility.location_id, Accessibility.feature).where(Accessibility.location_id.in_(location_ids))
    )) if location_ids else {}
    venue_languages = _grouped(session.execute(
        select(Language.location_id, Language.code, Language.name).where(Language.location_id.in_(location_ids))
    )) if location_ids else {}

    schedules = _grouped(session.execute(
        select(Schedule.service_id, Schedule.byday, Schedule.dtstart, Schedule.opens_at)
        .where(Schedule.service_id.in_(service_ids))
    ))
    areas = _grouped(session.execute(
        select(ServiceArea.service_id, ServiceArea.area_type, ServiceArea.lad_codes, ServiceArea.outcodes,
               ServiceArea.centre_latitude, ServiceArea.centre_longitude, ServiceArea.radius_miles)
        .where(ServiceArea.service_id.in_(service_ids))
    ))
    costs = _grouped(session.execute(
        select(CostOption.service_id, CostOption.cost_type).where(CostOption.service_id.in_(service_ids))
    ))
    languages = _grouped(session.execute(
        select(Language.service_id, Language.code, Language.name).where(Language.service_id.in_(service_ids))
    ))
    terms = _grouped(session.execute(
        select(Attribute.link_id, TaxonomyTerm.taxonomy_id, TaxonomyTerm.code, TaxonomyTerm.name,
               TaxonomyTerm.keywords)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
        .where(Attribute.link_type == "service", Attribute.link_id.in_(service_ids))
    ))

    for service_id, listing in listings.items():
        listing.organization = organizations.get(listing.organization_id)
        listing.locations = [
            LocationRow(
                location_type, latitude, longitude, bool(is_private_home),
                [AddressRow(*address) for address in addresses.get(location_id, ())],
                [AccessibilityRow(*feature) for feature in features.get(location_id, ())],
                [LanguageRow(*language) for language in venue_languages.get(location_id, ())],
            )
            for location_id, location_type, latitude, longitude, is_private_home in venues.get(service_id, ())
        ]
        listing.schedules = [ScheduleRow(*row) for row in schedules.get(service_id, ())]
        listing.service_areas = [ServiceAreaRow(*row) for row in areas.get(service_id, ())]
        listing.cost_options = [CostOptionRow(*row) for row in costs.get(service_id, ())]
        listing.languages = [LanguageRow(*row) for row in languages.get(service_id, ())]
        listing.taxonomy_terms = [TermRow(*row) for row in terms.get(service_id, ())]
    return listings
