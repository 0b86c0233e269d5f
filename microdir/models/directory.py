"""The directory, shaped like Open Referral UK / HSDS 3.0 so the open-data API maps it one to one.

Field names follow ``../shared/oruk/uk-profile/published/schema``. Fields that microdir adds for its own
rules (listing lifecycle, capacity, the kind of area served, the kind of cost) are marked as such.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Enum, ForeignKey, Integer, Numeric, String, Text, Time, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from ..extensions import Model
from .base import utcnow, uuid_pk


def enum_column(enum_cls: type[enum.Enum], **kw: Any) -> Any:
    """Store an enum by its value, as a plain string with a CHECK, identical on SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kw,
    )


class ServiceStatus(enum.Enum):
    """HSDS service status (operational state, published in the open data)."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


class ListingStatus(enum.Enum):
    """microdir's moderation lifecycle of a listing; only PUBLISHED listings are public."""

    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class VerifiedHow(enum.Enum):
    PROVIDER_CONFIRMED = "provider_confirmed"
    MODERATOR_PHONED = "moderator_phoned"
    MODERATOR_CHECKED = "moderator_checked"
    IMPORTED = "imported"


class CapacityStatus(enum.Enum):
    TAKING_NEW_PEOPLE = "taking_new_people"
    WAITING_LIST = "waiting_list"
    FULL = "full"


class AreaType(enum.Enum):
    """How a service area is described (microdir)."""

    COUNCILS = "councils"  # a set of local authority districts (LAD codes)
    DISTRICTS = "districts"  # a set of postcode districts (outcodes)
    RADIUS = "radius"  # a radius in miles around a point
    COMES_TO_YOU = "comes_to_you"  # visits people at home within the area given by the other fields
    REMOTE = "remote"  # online or by phone only


class CostType(enum.Enum):
    FREE = "free"
    FIXED = "fixed"
    PAY_WHAT_YOU_CAN = "pay_what_you_can"
    PERSONAL_BUDGET = "personal_budget"  # accepts personal budgets or direct payments
    TIME_CREDITS = "time_credits"


class LocationType(enum.Enum):
    PHYSICAL = "physical"
    POSTAL = "postal"
    VIRTUAL = "virtual"


class Organization(Model):
    __tablename__ = "organization"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(500))
    logo: Mapped[str | None] = mapped_column(String(500))
    uri: Mapped[str | None] = mapped_column(String(500))
    parent_organization_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="organization", cascade="all, delete-orphan")
    identifiers: Mapped[list[OrganizationIdentifier]] = relationship(cascade="all, delete-orphan")
    locations: Mapped[list[Location]] = relationship(back_populates="organization")
    # microdir's own tables (models/providers.py) build on these ORUK ones: named here, never imported, so the
    # ORUK layer does not depend on what sits above it.
    profile: Mapped[Any] = relationship(
        "MicroProviderProfile", back_populates="organization", uselist=False, cascade="all, delete-orphan"
    )
    quality_checks: Mapped[list[Any]] = relationship(
        "QualityCheck", back_populates="organization", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.name!r}>"


class OrganizationIdentifier(Model):
    """A registered number: charity (GB-CHC), company (GB-COH) and so on, per org-id.guide."""

    __tablename__ = "organization_identifier"

    id: Mapped[str] = uuid_pk()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    identifier_scheme: Mapped[str | None] = mapped_column(String(40))
    identifier_type: Mapped[str] = mapped_column(String(100))
    identifier: Mapped[str] = mapped_column(String(100))


class Service(Model):
    """A listing: one service offered by an organisation."""

    __tablename__ = "service"

    id: Mapped[str] = uuid_pk()
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ServiceStatus] = mapped_column(enum_column(ServiceStatus), default=ServiceStatus.ACTIVE)
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)  # "how to join"
    fees_description: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)  # who it is for, in plain words
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(255))
    alert: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    # microdir: listing lifecycle, kept apart from HSDS status
    listing_status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus), default=ListingStatus.DRAFT, index=True
    )
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime)  # "still right" confirmed; not an edit
    verified_how: Mapped[VerifiedHow | None] = mapped_column(enum_column(VerifiedHow))
    capacity_status: Mapped[CapacityStatus] = mapped_column(
        enum_column(CapacityStatus), default=CapacityStatus.TAKING_NEW_PEOPLE
    )
    capacity_places: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(255))  # where an imported listing came from
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Optimistic locking: a save with a stale version fails instead of overwriting another person's edit.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    schedules: Mapped[list[Schedule]] = relationship(back_populates="service", cascade="all, delete-orphan")
    service_areas: Mapped[list[ServiceArea]] = relationship(back_populates="service", cascade="all, delete-orphan")
    cost_options: Mapped[list[CostOption]] = relationship(back_populates="service", cascade="all, delete-orphan")
    contacts: Mapped[list[Contact]] = relationship(back_populates="service", cascade="all, delete-orphan")
    phones: Mapped[list[Phone]] = relationship(back_populates="service", cascade="all, delete-orphan")
    languages: Mapped[list[Language]] = relationship(back_populates="service", cascade="all, delete-orphan")
    attributes: Mapped[list[Attribute]] = relationship(
        primaryjoin=lambda: and_(Service.id == foreign(Attribute.link_id), Attribute.link_type == "service"),
        cascade="all, delete-orphan",
        overlaps="attributes",
    )

    @property
    def locations(self) -> list[Location]:
        return [sal.location for sal in self.service_at_locations]

    @property
    def taxonomy_terms(self) -> list[TaxonomyTerm]:
        return [a.taxonomy_term for a in self.attributes if a.taxonomy_term is not None]

    def __repr__(self) -> str:
        return f"<Service {self.name!r} {self.listing_status.value}>"


class Location(Model):
    __tablename__ = "location"

    id: Mapped[str] = uuid_pk()
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    location_type: Mapped[LocationType] = mapped_column(enum_column(LocationType), default=LocationType.PHYSICAL)
    url: Mapped[str | None] = mapped_column(String(500))
    name: Mapped[str | None] = mapped_column(String(255))
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    external_identifier: Mapped[str | None] = mapped_column(String(100))  # e.g. a UPRN
    external_identifier_type: Mapped[str | None] = mapped_column(String(40))
    # microdir: a venue at someone's home is never published (ORUK privacy guidance)
    is_private_home: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization | None] = relationship(back_populates="locations")
    addresses: Mapped[list[Address]] = relationship(back_populates="location", cascade="all, delete-orphan")
    accessibility: Mapped[list[Accessibility]] = relationship(back_populates="location", cascade="all, delete-orphan")
    phones: Mapped[list[Phone]] = relationship(back_populates="location")
    languages: Mapped[list[Language]] = relationship(back_populates="location")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="location", cascade="all, delete-orphan"
    )

    @property
    def postcode(self) -> str | None:
        return self.addresses[0].postal_code if self.addresses else None


class ServiceAtLocation(Model):
    __tablename__ = "service_at_location"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship(back_populates="service_at_locations")
    schedules: Mapped[list[Schedule]] = relationship(back_populates="service_at_location")


class Address(Model):
    __tablename__ = "address"

    id: Mapped[str] = uuid_pk()
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    attention: Mapped[str | None] = mapped_column(String(255))
    address_1: Mapped[str] = mapped_column(String(255))
    address_2: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    state_province: Mapped[str] = mapped_column(String(100))  # the county or council, as ORUK requires
    postal_code: Mapped[str] = mapped_column(String(10), index=True)
    country: Mapped[str] = mapped_column(String(2), default="GB")
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")


class Phone(Model):
    __tablename__ = "phone"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[str | None] = mapped_column(ForeignKey("contact.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))  # E.164 once validated with phonenumbers
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))  # voice, text, textphone…
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="phones")
    location: Mapped[Location | None] = relationship(back_populates="phones")
    contact: Mapped[Contact | None] = relationship(back_populates="phones")


class Contact(Model):
    __tablename__ = "contact"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))

    service: Mapped[Service | None] = relationship(back_populates="contacts")
    phones: Mapped[list[Phone]] = relationship(back_populates="contact", cascade="all, delete-orphan")


class Schedule(Model):
    """When a service runs, as an iCalendar recurrence (HSDS schedule).

    weekly: freq=WEEKLY interval=1 byday=MO; fortnightly: interval=2 with dtstart fixing the week;
    monthly on the nth weekday: freq=MONTHLY byday=2TU (last = -1TU); one-off: freq NULL, dtstart the date
    (valid_from = valid_to = dtstart). Times are local UK wall-clock times.
    """

    __tablename__ = "schedule"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="SET NULL"))
    service_at_location_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_at_location.id", ondelete="SET NULL")
    )
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    dtstart: Mapped[date | None] = mapped_column(Date)
    timezone: Mapped[str | None] = mapped_column(String(40))
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    wkst: Mapped[str | None] = mapped_column(String(2))
    freq: Mapped[str | None] = mapped_column(String(10))  # WEEKLY or MONTHLY; NULL for a one-off session
    interval: Mapped[int | None] = mapped_column(Integer)
    byday: Mapped[str | None] = mapped_column(String(60))
    byweekno: Mapped[str | None] = mapped_column(String(60))
    bymonthday: Mapped[str | None] = mapped_column(String(60))
    byyearday: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    schedule_link: Mapped[str | None] = mapped_column(String(500))
    attending_type: Mapped[str | None] = mapped_column(String(255))  # how to attend: in person, online, by phone…
    notes: Mapped[str | None] = mapped_column(Text)
    term_time_only: Mapped[bool] = mapped_column(Boolean, default=False)  # microdir

    service: Mapped[Service | None] = relationship(back_populates="schedules")
    service_at_location: Mapped[ServiceAtLocation | None] = relationship(back_populates="schedules")


class ServiceArea(Model):
    """The area a service serves. ``area_type`` says which of the microdir fields applies."""

    __tablename__ = "service_area"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)  # HSDS `service_area` free text
    extent: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(20))
    uri: Mapped[str | None] = mapped_column(String(500))
    area_type: Mapped[AreaType] = mapped_column(enum_column(AreaType))
    lad_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcodes: Mapped[list[str]] = mapped_column(JSON, default=list)
    centre_latitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    centre_longitude: Mapped[float | None] = mapped_column(Numeric(9, 6, asdecimal=False))
    radius_miles: Mapped[float | None] = mapped_column(Numeric(6, 2, asdecimal=False))

    service: Mapped[Service] = relationship(back_populates="service_areas")


class CostOption(Model):
    __tablename__ = "cost_option"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    cost_type: Mapped[CostType] = mapped_column(enum_column(CostType))  # microdir
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    option: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    amount_description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="cost_options")


class Language(Model):
    __tablename__ = "language"

    id: Mapped[str] = uuid_pk()
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    phone_id: Mapped[str | None] = mapped_column(ForeignKey("phone.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(20))  # ISO 639
    note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="languages")
    location: Mapped[Location | None] = relationship(back_populates="languages")


class Accessibility(Model):
    __tablename__ = "accessibility"

    id: Mapped[str] = uuid_pk()
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"), index=True)
    feature: Mapped[str | None] = mapped_column(String(40))  # microdir key, see ACCESSIBILITY_FEATURES
    description: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))

    location: Mapped[Location] = relationship(back_populates="accessibility")


ACCESSIBILITY_FEATURES: dict[str, str] = {
    "step_free": "Step-free access",
    "accessible_toilet": "Accessible toilet",
    "hearing_loop": "Hearing loop",
    "parking": "Disabled parking nearby",
    "quiet_space": "Quiet space",
    "changing_places": "Changing Places toilet",
    "bsl": "British Sign Language available",
    "large_print": "Large print materials",
}


class Taxonomy(Model):
    __tablename__ = "taxonomy"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(40))

    terms: Mapped[list[TaxonomyTerm]] = relationship(back_populates="taxonomy_obj", cascade="all, delete-orphan")


class TaxonomyTerm(Model):
    __tablename__ = "taxonomy_term"

    id: Mapped[str] = uuid_pk()
    code: Mapped[str | None] = mapped_column(String(100), index=True)  # microdir slug, stable: "dementia"
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="SET NULL"))
    taxonomy: Mapped[str | None] = mapped_column(String(255))  # HSDS: the taxonomy's name
    taxonomy_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy.id", ondelete="CASCADE"), index=True)
    language: Mapped[str | None] = mapped_column(String(20))
    term_uri: Mapped[str | None] = mapped_column(String(500))
    # microdir: search words for this term (e.g. "memory, alzheimer's" for dementia)
    keywords: Mapped[str | None] = mapped_column(Text)

    taxonomy_obj: Mapped[Taxonomy | None] = relationship(back_populates="terms")
    parent: Mapped[TaxonomyTerm | None] = relationship(remote_side=[id])


class Attribute(Model):
    """Links a taxonomy term to any object (HSDS ``attribute``); services use it for categories and needs."""

    __tablename__ = "attribute"

    id: Mapped[str] = uuid_pk()
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str] = mapped_column(String(40), default="service")
    link_entity: Mapped[str | None] = mapped_column(String(40))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="CASCADE"), index=True)
    value: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(String(255))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()
