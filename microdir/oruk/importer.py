"""Import ORUK / HSDS 3.0 services: upsert by id, in batches, idempotent.

Each record is checked against the published service schema first; an invalid record is reported with its id
and the reason and not imported. A record that would write nothing counts as unchanged. Taxonomy terms that
microdir already has are used as they are (an import never rewrites microdir's own categories).

Speed: records are written ``BATCH_SIZE`` at a time. Every row a batch names is loaded up front, one query per
table (with the collections the writer compares), so writing a record asks the database nothing. Brand-new
services become plain rows written with one INSERT per table per batch (``_add_new``); the others go through the
ORM writer (``_apply``), which compares field by field. The batch is written inside one savepoint. Only when a
record in the batch fails (a value microdir cannot read, or the database refuses the write) is the batch rolled
back and written again one savepoint per record through the ORM writer, so the failing record is left out whole
and the others still go in.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, selectinload

from ..domain import audit
from ..domain.listings import publish_from_trusted_feed, transition_listing
from ..extensions import Model, db
from ..models import (
    Accessibility,
    Address,
    AreaType,
    Attribute,
    Contact,
    CostOption,
    CostType,
    Language,
    ListingStatus,
    Location,
    LocationType,
    Organization,
    OrganizationIdentifier,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
    User,
    VerifiedHow,
    bulk_load_marked,
    record_change,
    utcnow,
)
from . import serialise, validate


class RecordProblem(ValueError):
    """A record cannot be imported as it is; the message says why."""


@dataclass(frozen=True)
class Rejection:
    record_id: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.record_id or '(no id)'}: {self.reason}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kept_status: list[tuple[str, ListingStatus]] = field(default_factory=list)  # (service id, the moderator's hold)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected

    def summary(self) -> str:
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.rejected} rejected"
        if self.kept_status:
            counts += f"; {len(self.kept_status)} stay suspended or archived, as a moderator decided"
        return counts


# ---- reading a file -----------------------------------------------------------------------------------------


def read_records(text: str) -> tuple[list[Any], list[Rejection]]:
    """Parse a ``/services`` page envelope, a JSON array, one service object, or ndjson, into records."""
    stripped = text.strip()
    if not stripped:
        return [], [Rejection(None, "The file is empty")]
    try:
        data = json.loads(stripped)
    except ValueError:
        data = None
    else:
        if isinstance(data, dict) and isinstance(data.get("contents"), list):
            return list(data["contents"]), []
        if isinstance(data, list):
            return data, []
        if isinstance(data, dict):
            return [data], []
        return [], [Rejection(None, "The file is JSON, but not a service, a list of services or a page of services")]
    records: list[Any] = []
    problems: list[Rejection] = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            problems.append(Rejection(None, f"line {number} is not JSON ({error.msg})"))
    return records, problems


# ---- value conversion -------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as error:
        raise RecordProblem(f"{name} {value!r} is not a date like 2024-01-31") from error


def _time(value: Any, name: str) -> time | None:
    if value in (None, ""):
        return None
    text = re.sub(r"(Z|[+-]\d\d:?\d\d)$", "", str(value).strip())  # wall-clock time; the zone is not stored
    try:
        return time.fromisoformat(text)
    except ValueError as error:
        raise RecordProblem(f"{name} {value!r} is not a time like 10:00:00") from error


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise RecordProblem(f"{name} {value!r} is not a number") from error
    if number != number.to_integral_value():
        raise RecordProblem(f"{name} {value!r} is not a whole number")
    return int(number)


def _coordinate(value: Any) -> float | None:
    # Stored to 6 decimal places (about 10 cm); round now so a second import of the same file changes nothing.
    return None if value in (None, "") else round(float(value), 6)


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


# ---- writing --------------------------------------------------------------------------------------------------


class _Writer:
    """Upsert objects, remembering whether anything was actually changed."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.changed = False
        self.warnings: list[str] = []
        self.kept_status: ListingStatus | None = None  # a moderator's hold the trusted feed did not lift

    def set(self, obj: Any, **values: Any) -> None:
        _check_lengths(type(obj), values)
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                self.changed = True

    def get(self, model: type[Any], record_id: Any, name: str) -> tuple[Any, bool]:
        if not isinstance(record_id, str) or not record_id:
            raise RecordProblem(f"a {name} has no id")
        obj = self.rows.get(model, record_id)
        if obj is None:
            obj = model(id=record_id)
            self.rows.add(obj)
            self.changed = True
            return obj, True
        return obj, False

    def replace(self, owner: Any, relation: str, items: list[Any]) -> None:
        current = getattr(owner, relation)
        if {id(x) for x in current} != {id(x) for x in items}:
            setattr(owner, relation, items)
            self.changed = True


# ---- field mapping: one function per object, shared by the row-by-row writer and the set-based one ----------


def _organization_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(data.get("name")) or "",
        "description": data.get("description") or "",
        "email": _text(data.get("email")),
        "website": _text(data.get("website")),
        "logo": _text(data.get("logo")),
        "uri": _text(data.get("uri")),
        "parent_organization_id": _text(data.get("parent_organization_id")),
    }


def _identifier_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier_scheme": _text(item.get("identifier_scheme")),
        "identifier_type": _text(item.get("identifier_type")) or "",
        "identifier": _text(item.get("identifier")) or "",
    }


def _location_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "location_type": LocationType(data.get("location_type") or "physical"),
        "url": _text(data.get("url")),
        "name": _text(data.get("name")),
        "alternate_name": _text(data.get("alternate_name")),
        "description": _text(data.get("description")),
        "transportation": _text(data.get("transportation")),
        "latitude": _coordinate(data.get("latitude")),
        "longitude": _coordinate(data.get("longitude")),
        "external_identifier": _text(data.get("external_identifier")),
        "external_identifier_type": _text(data.get("external_identifier_type")),
    }


def _address_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "attention": _text(item.get("attention")),
        "address_1": _text(item.get("address_1")) or "",
        "address_2": _text(item.get("address_2")),
        "city": _text(item.get("city")) or "",
        "region": _text(item.get("region")),
        "state_province": _text(item.get("state_province")) or "",
        "postal_code": _text(item.get("postal_code")) or "",
        "country": _text(item.get("country")) or "GB",
        "address_type": _text(item.get("address_type")) or "physical",
    }


def _accessibility_values(item: dict[str, Any]) -> dict[str, Any]:
    return {"description": _text(item.get("description")), "details": _text(item.get("details")), "url": _text(item.get("url"))}


def _phone_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": _text(data.get("number")) or "",
        "extension": _text(data.get("extension")),
        "type": _text(data.get("type")),
        "description": _text(data.get("description")),
    }


def _service_values(record: dict[str, Any], source: str | None) -> dict[str, Any]:
    return {
        "name": _text(record.get("name")) or "",
        "alternate_name": _text(record.get("alternate_name")),
        "description": record.get("description") or "",
        "url": _text(record.get("url")),
        "email": _text(record.get("email")),
        "status": ServiceStatus(record["status"]),
        "interpretation_services": _text(record.get("interpretation_services")),
        "application_process": _text(record.get("application_process")),
        "fees_description": _text(record.get("fees")) or _text(record.get("fees_description")),
        "accreditations": _text(record.get("accreditations")),
        "eligibility_description": _text(record.get("eligibility_description")),
        "minimum_age": _int(record.get("minimum_age"), "minimum_age"),
        "maximum_age": _int(record.get("maximum_age"), "maximum_age"),
        "assured_date": _date(record.get("assured_date"), "assured_date"),
        "assurer_email": _text(record.get("assurer_email")),
        "alert": _text(record.get("alert")),
        "verified_how": VerifiedHow.IMPORTED,
        "source": source,
    }


def _schedule_values(item: dict[str, Any], venue_ids: set[str]) -> dict[str, Any]:
    venue_id = _text(item.get("service_at_location_id"))
    return {
        "service_at_location_id": venue_id if venue_id in venue_ids else None,  # only one of this service's venues
        "valid_from": _date(item.get("valid_from"), "valid_from"),
        "valid_to": _date(item.get("valid_to"), "valid_to"),
        "dtstart": _date(item.get("dtstart"), "dtstart"),
        "timezone": _text(item.get("timezone")),
        "until": _date(item.get("until"), "until"),
        "count": _int(item.get("count"), "count"),
        "wkst": _text(item.get("wkst")),
        "freq": _text(item.get("freq")),
        "interval": _int(item.get("interval"), "interval"),
        "byday": _text(item.get("byday")),
        "byweekno": _text(item.get("byweekno")),
        "bymonthday": _text(item.get("bymonthday")),
        "byyearday": _text(item.get("byyearday")),
        "description": _text(item.get("description")),
        "opens_at": _time(item.get("opens_at"), "opens_at"),
        "closes_at": _time(item.get("closes_at"), "closes_at"),
        "schedule_link": _text(item.get("schedule_link")),
        "attending_type": _text(item.get("attending_type")),
        "notes": _text(item.get("notes")),
    }


def _area_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(item.get("name")),
        "description": _text(item.get("service_area")) or _text(item.get("description")),
        "extent": _text(item.get("extent")),
        "extent_type": _text(item.get("extent_type")),
        "uri": _text(item.get("uri")),
    }


# A free-text area from elsewhere: microdir cannot match postcodes against it, so it covers no council.
_NEW_AREA = {"area_type": AreaType.COUNCILS, "lad_codes": [], "outcodes": []}


def _cost_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "valid_from": _date(item.get("valid_from"), "valid_from"),
        "valid_to": _date(item.get("valid_to"), "valid_to"),
        "option": _text(item.get("option")),
        "currency": _text(item.get("currency")),
        "amount": _money(item.get("amount")),
        "amount_description": _text(item.get("amount_description")),
    }


def _contact_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": _text(item.get("name")),
        "title": _text(item.get("title")),
        "department": _text(item.get("department")),
        "email": _text(item.get("email")),
    }


def _language_values(item: dict[str, Any]) -> dict[str, Any]:
    return {"name": _text(item.get("name")), "code": _text(item.get("code")), "note": _text(item.get("note"))}


def _attribute_values(item: dict[str, Any], term: TaxonomyTerm) -> dict[str, Any]:
    return {
        "link_type": "service",
        "link_entity": _text(item.get("link_entity")),
        "taxonomy_term_id": term.id,
        "value": _text(item.get("value")),
        "label": _text(item.get("label")),
    }


def _each(items: Any) -> list[Any]:
    return items if isinstance(items, list) else []


def _unique_phones(record: dict[str, Any], warnings: list[str]) -> tuple[list[tuple[dict[str, Any], list[dict[str, Any]]]], list[dict[str, Any]]]:
    """Return (contact, its phones) pairs and the service's own phones, each phone id kept once (first place wins)."""
    seen: set[Any] = set()
    contacts = []
    for item in _each(record.get("contacts")):
        phones = []
        for p in _each(item.get("phones")):
            if p.get("id") in seen:
                continue
            seen.add(p.get("id"))
            phones.append(p)
        contacts.append((item, phones))
    own = []
    for p in _each(record.get("phones")):
        if p.get("id") in seen:
            warnings.append(f"phone {p.get('id')} appears twice in service {record['id']}; kept once")
            continue
        seen.add(p.get("id"))
        own.append(p)
    return contacts, own


def _organization(w: _Writer, data: dict[str, Any]) -> Organization:
    org, _ = w.get(Organization, data.get("id"), "organization")
    w.set(org, **_organization_values(data))
    identifiers = []
    for item in data.get("organization_identifiers") or []:
        ident, _ = w.get(OrganizationIdentifier, item.get("id"), "organization identifier")
        w.set(ident, **_identifier_values(item))
        identifiers.append(ident)
    w.replace(org, "identifiers", identifiers)
    if org not in db.session:
        db.session.add(org)
    return org


def _service_organization(w: _Writer, record: dict[str, Any]) -> Organization:
    """Upsert the embedded organisation, or find the one ``organization_id`` names."""
    org_data = record.get("organization")
    if isinstance(org_data, dict):
        if record.get("organization_id") and record["organization_id"] != org_data.get("id"):
            raise RecordProblem("organization_id does not match the embedded organization's id")
        return _organization(w, org_data)
    organization = w.rows.get(Organization, record.get("organization_id") or "")
    if organization is None:
        raise RecordProblem("it has no organization, and no organization with its organization_id is in microdir")
    return organization


def _location(w: _Writer, data: dict[str, Any], organization: Organization) -> Location:
    loc, created = w.get(Location, data.get("id"), "location")
    if created:
        loc.organization_id = organization.id  # the key, not the relationship: see _apply
        db.session.add(loc)  # no relationship cascades it in
        loc.is_private_home = False
    w.set(loc, **_location_values(data))
    addresses = []
    for item in data.get("addresses") or []:
        addr, _ = w.get(Address, item.get("id"), "address")
        w.set(addr, **_address_values(item))
        addresses.append(addr)
    w.replace(loc, "addresses", addresses)
    features = []
    for item in data.get("accessibility") or []:
        acc, _ = w.get(Accessibility, item.get("id"), "accessibility")
        w.set(acc, **_accessibility_values(item))
        features.append(acc)
    w.replace(loc, "accessibility", features)
    return loc


def _phone(w: _Writer, data: dict[str, Any]) -> Phone:
    item, _ = w.get(Phone, data.get("id"), "phone")
    w.set(item, **_phone_values(data))
    return item


def _term(w: _Writer, attribute: dict[str, Any]) -> TaxonomyTerm | None:
    """Find the attribute's term, or create it from the embedded one; None when neither is possible."""
    given = attribute.get("taxonomy_term")
    embedded: dict[str, Any] = given if isinstance(given, dict) else {}
    term_id = attribute.get("taxonomy_term_id") or embedded.get("id")
    if not term_id:
        w.warnings.append(f"attribute {attribute.get('id')} has no taxonomy term; skipped")
        return None
    term = w.rows.get(TaxonomyTerm, term_id)
    if term is not None:
        return term
    if not embedded.get("name"):
        w.warnings.append(f"taxonomy term {term_id} is unknown here and the file does not describe it; skipped")
        return None
    parent_id = _text(embedded.get("parent_id"))
    if parent_id and w.rows.get(TaxonomyTerm, parent_id) is None:
        w.warnings.append(f"taxonomy term {term_id}: its parent {parent_id} is not in microdir, so it has no parent here")
        parent_id = None
    taxonomy_id = _text(embedded.get("taxonomy_id"))
    if taxonomy_id and w.rows.get(Taxonomy, taxonomy_id) is None:
        taxonomy_id = None
    term = TaxonomyTerm(
        id=term_id,
        name=embedded["name"],
        description=embedded.get("description") or "",
        parent_id=parent_id,
        taxonomy=_text(embedded.get("taxonomy")),
        taxonomy_id=taxonomy_id,
        term_uri=_text(embedded.get("term_uri")),
        code=_text(embedded.get("term")) or _text(embedded.get("code")),
        language=_text(embedded.get("language")),
    )
    db.session.add(term)
    w.rows.add(term)
    w.changed = True
    return term


def _cost_type(data: dict[str, Any], amount: Decimal | None) -> CostType:
    if amount == 0 or (amount is None and "free" in f"{data.get('option', '')} {data.get('amount_description', '')}".lower()):
        return CostType.FREE
    return CostType.FIXED


_FACT_TERM_IDS = frozenset(serialise.fact_terms_by_id())


def _arrival(publish: bool, now: datetime) -> dict[str, Any]:
    """Return the status fields of a listing a feed brings in: it arrives pending review, and a trusted feed's
    (``publish``) is approved at once, through the lifecycle's own move (which stamps first publication)."""
    arriving = Service(listing_status=ListingStatus.PENDING_REVIEW, first_published_at=None)  # never added
    if publish:
        transition_listing(arriving, ListingStatus.PUBLISHED, now)
    return {"listing_status": arriving.listing_status, "first_published_at": arriving.first_published_at}


def _apply(w: _Writer, record: dict[str, Any], *, publish: bool, source: str | None) -> tuple[Service, bool]:
    service, created = w.get(Service, record["id"], "service")
    organization = _service_organization(w, record)
    now = utcnow()
    if created:
        for name, value in _arrival(publish, now).items():
            setattr(service, name, value)
        service.last_modified = _datetime(record.get("last_modified")) or now
        service.created_at = now
        db.session.add(service)
    elif publish and service.listing_status is not ListingStatus.PUBLISHED:
        if publish_from_trusted_feed(service, now):
            w.changed = True
        else:  # a moderator suspended or archived it: the content follows the feed, the status stays
            w.kept_status = service.listing_status
    # Foreign keys rather than relationships, here and for venues: through the relationship, adding a service
    # to an organisation (or a venue) marks that organisation changed, and the change log then re-dates and
    # re-indexes every other service it has (measured: 190 extra UPDATEs per 300 services of the benchmark).
    if service.organization_id != organization.id:
        service.organization_id = organization.id
        w.changed = True
    w.set(service, **_service_values(record, source))

    sals = []
    for item in record.get("service_at_locations") or []:
        sal, _ = w.get(ServiceAtLocation, item.get("id"), "service_at_location")
        if isinstance(item.get("location"), dict):
            loc = _location(w, item["location"], organization)
        else:
            loc = w.rows.get(Location, item.get("location_id") or "")
            if loc is None:
                raise RecordProblem(f"service_at_location {item.get('id')} names no location microdir knows")
        if sal.location_id != loc.id:
            sal.location_id = loc.id
            w.changed = True
        w.set(sal, description=_text(item.get("description")))
        sals.append(sal)
    w.replace(service, "service_at_locations", sals)
    venue_ids = {s.id for s in sals}

    schedules = []
    for item in record.get("schedules") or []:
        sched, _ = w.get(Schedule, item.get("id"), "schedule")
        w.set(sched, **_schedule_values(item, venue_ids))
        schedules.append(sched)
    w.replace(service, "schedules", schedules)

    areas = []
    for item in record.get("service_areas") or []:
        area, new = w.get(ServiceArea, item.get("id"), "service_area")
        if new:
            for key, value in _NEW_AREA.items():
                setattr(area, key, list(value) if isinstance(value, list) else value)
        w.set(area, **_area_values(item))
        areas.append(area)
    w.replace(service, "service_areas", areas)

    costs = []
    for item in record.get("cost_options") or []:
        cost, new = w.get(CostOption, item.get("id"), "cost_option")
        values = _cost_values(item)
        if new:
            cost.cost_type = _cost_type(item, values["amount"])
        w.set(cost, **values)
        costs.append(cost)
    w.replace(service, "cost_options", costs)

    contact_phones, own_phones = _unique_phones(record, w.warnings)
    contacts = []
    for item, phone_data in contact_phones:
        person, _ = w.get(Contact, item.get("id"), "contact")
        w.set(person, **_contact_values(item))
        w.replace(person, "phones", [_phone(w, p) for p in phone_data])
        contacts.append(person)
    w.replace(service, "contacts", contacts)

    service_phones = [p for p in service.phones if p.contact_id is not None or p.location_id is not None]
    service_phones += [_phone(w, p) for p in own_phones]
    w.replace(service, "phones", service_phones)

    languages = []
    for item in record.get("languages") or []:
        lang, _ = w.get(Language, item.get("id"), "language")
        w.set(lang, **_language_values(item))
        languages.append(lang)
    w.replace(service, "languages", languages)

    attributes = []
    for item, term in _tagged(w, record):
        attr, _ = w.get(Attribute, item.get("id"), "attribute")
        # link_id is left to the service.attributes relationship (it fills it at flush): set by hand on a new
        # attribute, the change log would look the not-yet-flushed service up with a query per attribute.
        w.set(attr, **_attribute_values(item, term))
        if attr.taxonomy_term is not term:
            attr.taxonomy_term = term
        attributes.append(attr)
    w.replace(service, "attributes", attributes)
    return service, created


def _tagged(w: _Writer, record: dict[str, Any]) -> list[tuple[dict[str, Any], TaxonomyTerm]]:
    """Return the record's attributes with their terms, leaving out microdir listing facts and unknown terms."""
    found = []
    for item in record.get("attributes") or []:
        term_id = item.get("taxonomy_term_id") or (item.get("taxonomy_term") or {}).get("id")
        if term_id in _FACT_TERM_IDS:
            continue  # another microdir's checks: facts about its listing, not data to take over
        term = _term(w, item)
        if term is not None:
            found.append((item, term))
    return found


# ---- the set-based path for brand-new services -------------------------------------------------------------

# A record whose service and child ids are all new to microdir (and to the rest of its batch) has nothing to
# compare, so its rows are built as plain dicts and written with one multi-row INSERT per table for the whole
# batch, instead of through the ORM's unit of work (profiled: ~90% of the time of a new import went to building
# ORM objects, their attribute events and the flush). Organisations and taxonomy terms, shared between records,
# still go through the writer above. The change log is written for these services here, since no flush sees them.

# Parents before children, so every foreign key names a row already written. Organisations are written this way
# only by the bulk loader (``bulk_load``); the importer keeps them in the ORM, as records share them.
_INSERT_ORDER: tuple[type[Any], ...] = (
    Organization, OrganizationIdentifier, Service, Location, Address, Accessibility, ServiceAtLocation, Schedule, ServiceArea, CostOption, Contact, Phone,
    Language, Attribute,
)


@cache
def _length_limits(model: type[Model]) -> dict[str, int]:
    limits = {column.key: getattr(column.type, "length", None) for column in model.__table__.c}
    return {key: length for key, length in limits.items() if length}


def _check_lengths(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    """Refuse text longer than its column (PostgreSQL refuses it, SQLite would keep it silently: say so on both)."""
    limits = _length_limits(model)
    for key, value in values.items():
        if isinstance(value, str) and key in limits:
            limit = limits[key]
            if len(value) > limit:
                raise RecordProblem(f"{model.__tablename__}.{key} is {len(value)} characters; microdir keeps at most {limit}")
    return values


def _new_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordProblem(f"a {name} has no id")
    return value


class _NewRows:
    """Rows for brand-new services, collected over a batch and inserted table by table."""

    def __init__(self) -> None:
        self.tables: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in _INSERT_ORDER}
        self.service_ids: list[str] = []
        self.organization_ids: set[str] = set()
        self.location_ids: set[str] = set()

    def add(self, model: type[Any], row_id: Any, what: str, /, **values: Any) -> str:
        row = {"id": _new_id(row_id, what), **values}
        self.tables[model].append(_check_lengths(model, row))
        return row["id"]

    def extend(self, other: _NewRows) -> None:
        for model, found in other.tables.items():
            self.tables[model].extend(found)
        self.service_ids.extend(other.service_ids)
        self.organization_ids |= other.organization_ids
        self.location_ids |= other.location_ids

    def insert(self) -> None:
        for model in _INSERT_ORDER:
            if self.tables[model]:
                # Core's executemany: every dict of a table has the same keys (built by one function).
                db.session.execute(model.__table__.insert(), self.tables[model])
        if self.service_ids:
            now = utcnow()
            for service_id in self.service_ids:
                record_change(service_id, at=now)
            db.session.flush()  # through the ORM, so the search module notices the log moved, as for any edit


def _fresh_records(batch: list[dict[str, Any]], rows: _Rows, *, shared_venues: bool = False) -> set[int]:
    """Return the positions of records that name no existing row and share no id with another record in the batch.

    ``shared_venues`` (the bulk loader): a new venue several records describe identically (two services at one
    hall) does not count as shared, nor do an organisation's identifiers; each is written once.
    """
    named = [_ids_named(record) for record in batch]
    same_everywhere = _identical_new_venues(batch) if shared_venues else set()
    # Organisations are shared by design (written once: through the ORM, or by the bulk loader with their identifiers).
    own = (Organization, OrganizationIdentifier) if shared_venues else (Organization,)
    counts = Counter((model, i) for ids in named for model, found in ids.items() if model not in own for i in found)
    fresh = set()
    for position, ids in enumerate(named):
        if all(
            (counts[(model, i)] == 1 or (model, i) in same_everywhere) and i not in rows.found.get(model, {})
            for model, found in ids.items()
            if model is not Organization
            for i in found
        ):
            fresh.add(position)
    return fresh


def _identical_new_venues(batch: list[dict[str, Any]]) -> set[tuple[type[Any], str]]:
    """Return (model, id) of the venues, with their addresses and accessibility, that every record naming them
    describes the same way."""
    described: dict[str, set[str]] = {}
    parts: dict[str, set[tuple[type[Any], str]]] = {}
    for record in batch:
        for item in _each(record.get("service_at_locations")):
            place = item.get("location") if isinstance(item, dict) else None
            if not isinstance(place, dict) or not isinstance(place.get("id"), str):
                continue
            described.setdefault(place["id"], set()).add(json.dumps(place, sort_keys=True))
            found = parts.setdefault(place["id"], {(Location, place["id"])})
            for key, model in (("addresses", Address), ("accessibility", Accessibility)):
                found.update((model, x["id"]) for x in _each(place.get(key)) if isinstance(x, dict) and x.get("id"))
    return {part for venue, texts in described.items() if len(texts) == 1 for part in parts[venue]}


def _new_organization(w: _Writer, record: dict[str, Any], out: _NewRows, *already: set[str]) -> str:
    """Return the service's organisation id, adding an organisation new to microdir to ``out`` as plain rows.

    ``already``: the organisations this load has written or will write as rows. One that microdir already had
    goes through the ORM writer, as in ``import_services``.
    """
    org_data = record.get("organization")
    org_id = org_data.get("id") if isinstance(org_data, dict) else None
    if not isinstance(org_data, dict) or w.rows.get(Organization, org_id or "") is not None:
        return str(_service_organization(w, record).id)
    if record.get("organization_id") and record["organization_id"] != org_id:
        raise RecordProblem("organization_id does not match the embedded organization's id")
    org_id = _new_id(org_id, "organization")
    if not any(org_id in ids for ids in already):
        out.add(Organization, org_id, "organization", **_organization_values(org_data))
        for item in org_data.get("organization_identifiers") or []:
            out.add(OrganizationIdentifier, item.get("id"), "organization identifier", organization_id=org_id,
                    **_identifier_values(item))
        out.organization_ids.add(org_id)
    return org_id


def _add_new(w: _Writer, record: dict[str, Any], out: _NewRows, *, publish: bool, source: str | None,
             written_organizations: set[str] | None = None) -> None:
    """Convert a brand-new service to rows; nothing is added to ``out`` unless the whole record converts.

    With ``written_organizations`` (the bulk loader), a new organisation becomes plain rows too.
    """
    mine = _NewRows()
    if written_organizations is None:
        organization_id = _service_organization(w, record).id
    else:
        organization_id = _new_organization(w, record, mine, written_organizations, out.organization_ids)
    now = utcnow()
    service_id = mine.add(
        Service, record.get("id"), "service",
        organization_id=organization_id,
        **_arrival(publish, now),
        last_modified=_datetime(record.get("last_modified")) or now,
        created_at=now,
        **_service_values(record, source),
    )
    mine.service_ids.append(service_id)
    venue_ids: set[str] = set()
    for item in record.get("service_at_locations") or []:
        place = item.get("location")
        if not isinstance(place, dict):  # a fresh record names no existing venue, so it must describe its own
            raise RecordProblem(f"service_at_location {item.get('id')} names no location microdir knows")
        location_id = _new_id(place.get("id"), "location")
        if location_id not in out.location_ids and location_id not in mine.location_ids:  # a shared venue: once
            mine.add(Location, location_id, "location", organization_id=organization_id, is_private_home=False,
                     **_location_values(place))
            for address in place.get("addresses") or []:
                mine.add(Address, address.get("id"), "address", location_id=location_id, **_address_values(address))
            for feature in place.get("accessibility") or []:
                mine.add(Accessibility, feature.get("id"), "accessibility", location_id=location_id,
                         **_accessibility_values(feature))
            mine.location_ids.add(location_id)
        venue_ids.add(mine.add(ServiceAtLocation, item.get("id"), "service_at_location", service_id=service_id,
                               location_id=location_id, description=_text(item.get("description"))))
    for item in record.get("schedules") or []:
        mine.add(Schedule, item.get("id"), "schedule", service_id=service_id, **_schedule_values(item, venue_ids))
    for item in record.get("service_areas") or []:
        area = {key: list(value) if isinstance(value, list) else value for key, value in _NEW_AREA.items()}
        mine.add(ServiceArea, item.get("id"), "service_area", service_id=service_id, **area, **_area_values(item))
    for item in record.get("cost_options") or []:
        values = _cost_values(item)
        mine.add(CostOption, item.get("id"), "cost_option", service_id=service_id,
                 cost_type=_cost_type(item, values["amount"]), **values)
    contact_phones, own_phones = _unique_phones(record, w.warnings)
    for item, phones in contact_phones:
        contact_id = mine.add(Contact, item.get("id"), "contact", service_id=service_id, **_contact_values(item))
        for p in phones:
            mine.add(Phone, p.get("id"), "phone", service_id=None, contact_id=contact_id, **_phone_values(p))
    for p in own_phones:
        mine.add(Phone, p.get("id"), "phone", service_id=service_id, contact_id=None, **_phone_values(p))
    for item in record.get("languages") or []:
        mine.add(Language, item.get("id"), "language", service_id=service_id, **_language_values(item))
    for item, term in _tagged(w, record):
        mine.add(Attribute, item.get("id"), "attribute", link_id=service_id, **_attribute_values(item, term))
    out.extend(mine)


BATCH_SIZE = 200  # records per flush and per prefetch; 100-500 measure the same, memory stays flat

# What the writer reads on rows that already exist, loaded with them so comparing a record asks nothing more.
_EAGER: dict[type[Any], tuple[Any, ...]] = {
    Service: (
        selectinload(Service.service_at_locations),
        selectinload(Service.schedules),
        selectinload(Service.service_areas),
        selectinload(Service.cost_options),
        selectinload(Service.contacts),
        selectinload(Service.phones),
        selectinload(Service.languages),
        selectinload(Service.attributes),
    ),
    Organization: (selectinload(Organization.identifiers),),
    Location: (selectinload(Location.addresses), selectinload(Location.accessibility)),
    Contact: (selectinload(Contact.phones),),
}


def _ids_named(record: dict[str, Any]) -> dict[type[Any], set[str]]:
    """Return, per model, every id ``record`` names (the rows its upsert may read)."""
    found: dict[type[Any], set[str]] = {}

    def note(model: type[Any], value: Any) -> None:
        if isinstance(value, str) and value:
            found.setdefault(model, set()).add(value)

    def each(items: Any) -> list[dict[str, Any]]:
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    note(Service, record.get("id"))
    note(Organization, record.get("organization_id"))
    org = record.get("organization")
    if isinstance(org, dict):
        note(Organization, org.get("id"))
        for item in each(org.get("organization_identifiers")):
            note(OrganizationIdentifier, item.get("id"))
    for sal in each(record.get("service_at_locations")):
        note(ServiceAtLocation, sal.get("id"))
        note(Location, sal.get("location_id"))
        loc = sal.get("location")
        if isinstance(loc, dict):
            note(Location, loc.get("id"))
            for item in each(loc.get("addresses")):
                note(Address, item.get("id"))
            for item in each(loc.get("accessibility")):
                note(Accessibility, item.get("id"))
    for key, model in (("schedules", Schedule), ("service_areas", ServiceArea), ("cost_options", CostOption),
                       ("contacts", Contact), ("phones", Phone), ("languages", Language), ("attributes", Attribute)):
        for item in each(record.get(key)):
            note(model, item.get("id"))
    for contact in each(record.get("contacts")):
        for item in each(contact.get("phones")):
            note(Phone, item.get("id"))
    return found


class _Rows:
    """The rows a batch of records names, loaded once: ``get`` answers from here, never with a query per id.

    An id the batch named but the database does not have is known to be new. Taxonomies and terms are few and
    shared by every record, so all of them are loaded once per import.
    """

    def __init__(self) -> None:
        self.found: dict[type[Any], dict[str, Any]] = {}
        self.asked: dict[type[Any], set[str]] = {}
        self.load_taxonomy()

    def load_taxonomy(self) -> None:
        models: tuple[type[Any], ...] = (Taxonomy, TaxonomyTerm)
        for model in models:
            rows = db.session.scalars(select(model)).all()
            self.found[model] = {row.id: row for row in rows}
            self.asked[model] = set(self.found[model])
        self.all_of = {Taxonomy, TaxonomyTerm}

    def prefetch(self, records: list[dict[str, Any]]) -> None:
        """Load every existing row the records name, one query per table (chunked under SQL's parameter limit)."""
        wanted: dict[type[Any], set[str]] = {}
        for record in records:
            for model, ids in _ids_named(record).items():
                wanted.setdefault(model, set()).update(ids)
        for model, ids in wanted.items():
            table = self.found.setdefault(model, {})
            self.asked.setdefault(model, set()).update(ids)
            missing = sorted(ids - table.keys())
            for start in range(0, len(missing), 500):
                query = select(model).where(model.id.in_(missing[start : start + 500])).options(*_EAGER.get(model, ()))
                table.update((row.id, row) for row in db.session.scalars(query))

    def get(self, model: type[Any], row_id: str) -> Any:
        if not row_id:
            return None
        table = self.found.get(model, {})
        if row_id in table:
            return table[row_id]
        if model in self.all_of or row_id in self.asked.get(model, ()):
            return None
        # Not named by the batch (cannot happen for the ids _ids_named collects): ask the database.
        row = db.session.get(model, row_id)
        if row is not None:
            table[row_id] = row
        return row

    def add(self, obj: Any) -> None:
        self.found.setdefault(type(obj), {})[obj.id] = obj

    def release(self) -> None:
        """Forget a written batch's rows (they stay in the database), so memory stays flat on a big import."""
        self.found = {m: t for m, t in self.found.items() if m in self.all_of}
        self.asked = {m: a for m, a in self.asked.items() if m in self.all_of}


def import_services(
    records: Iterable[Any],
    *,
    publish: bool,
    actor: User | None = None,
    source: str | None = None,
    progress: Callable[[int, ImportReport], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Validate and upsert records in batches (no record half-written); audit the run once; the caller commits.

    ``progress`` is called after each batch is written, with the number of records read so far.
    """
    rows = _Rows()
    report = ImportReport()

    def write(batch: list[dict[str, Any]]) -> None:
        _import_batch(batch, rows, report, publish=publish, source=source)

    _read_in_batches(records, report, write, batch_size, progress)
    _finish_import(report, publish=publish, actor=actor, source=source)
    return report


def _read_in_batches(
    records: Iterable[Any],
    report: ImportReport,
    write: Callable[[list[dict[str, Any]]], None],
    batch_size: int,
    progress: Callable[[int, ImportReport], None] | None,
) -> ImportReport:
    """Check each record against the published schema (rejecting with the reason), and hand the valid ones to
    ``write`` ``batch_size`` at a time."""
    batch: list[dict[str, Any]] = []
    number = reported = 0
    for number, record in enumerate(records, start=1):
        record_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(record, dict):
            report.rejections.append(Rejection(None, f"record {number} is not a JSON object"))
        elif problems := validate.record_errors(record, "service"):
            report.rejections.append(Rejection(str(record_id) if record_id else None, "; ".join(problems[:3])))
        else:
            batch.append(record)
        if len(batch) >= batch_size:
            write(batch)
            batch = []
            if progress is not None:
                progress(number, report)
                reported = number
    if batch:
        write(batch)
    if progress is not None and number != reported:
        progress(number, report)
    return report


def _finish_import(report: ImportReport, *, publish: bool, actor: User | None, source: str | None) -> None:
    """Queue unpublished new listings for review, audit each moderator's hold the feed left, and the run once."""
    if not publish:  # new listings wait for a moderator: put them in the queue
        from ..domain.moderation import queue_unreviewed_listings

        queue_unreviewed_listings(actor)
    for service_id, status in report.kept_status:
        audit.record("oruk.import.status_kept", "service", service_id, actor=actor, status=status.value, source=source)
    audit.record(
        "oruk.import",
        "service",
        None,
        actor=actor,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        source=source,
        published=publish,
        status_kept=len(report.kept_status),
    )


_FAILURES = (RecordProblem, ValueError, SQLAlchemyError, KeyError, TypeError)


def _import_batch(
    batch: list[dict[str, Any]], rows: _Rows, report: ImportReport, *, publish: bool, source: str | None
) -> None:
    """Write a batch in one savepoint and flush; if any record fails, write the batch again record by record."""
    rows.prefetch(batch)
    fresh = _fresh_records(batch, rows)
    new_rows = _NewRows()
    outcomes: list[tuple[dict[str, Any], _Writer, bool]] = []
    savepoint = db.session.begin_nested()
    try:
        with db.session.no_autoflush:
            for position, record in enumerate(batch):
                writer = _Writer(rows)
                if position in fresh:
                    _add_new(writer, record, new_rows, publish=publish, source=source)
                    created = True
                else:
                    _, created = _apply(writer, record, publish=publish, source=source)
                outcomes.append((record, writer, created))
        db.session.flush()  # organisations, terms and updated services first: the new rows point at them
        new_rows.insert()
    except _FAILURES:
        # Rare: undo the whole batch and find the failing record(s) one savepoint at a time.
        savepoint.rollback()
        rows.release()
        rows.load_taxonomy()  # terms created in the rolled-back batch are gone again
        rows.prefetch(batch)
        for record in batch:
            if not _import_one(record, rows, report, publish=publish, source=source):
                rows.prefetch(batch)  # the rollback dropped or expired what the batch had loaded
        rows.release()
        return
    savepoint.commit()
    for record, writer, created in outcomes:
        _count(record, writer, created, report)
    rows.release()


# ---- the bulk loader, for a big directory ------------------------------------------------------------------------

BULK_BATCH_SIZE = 1000


def bulk_load(
    records: Iterable[Any],
    *,
    publish: bool,
    actor: User | None = None,
    source: str | None = None,
    progress: Callable[[int, ImportReport], None] | None = None,
    batch_size: int = BULK_BATCH_SIZE,
) -> ImportReport:
    """Load a big directory: ``import_services`` with its validation and mapping, written faster; the caller commits.

    What differs, and why: brand-new organisations become plain rows as well (with services, the bulk of a new
    directory); batches are bigger; and the change log gets one "reindex" mark for the whole load instead of a row
    per service (``bulk_load_marked``), so each node builds its index whole after the load instead of re-reading
    100,000 listings one change at a time. Records that name rows microdir has, or share a row with another record
    of their batch (two services at one venue), go through ``import_services``'s writer batch by batch.
    """
    report = ImportReport()
    written: set[str] = set()  # organisations written as rows by this load
    batches_written = 0
    tables_written: set[str] = set()

    def write(batch: list[dict[str, Any]]) -> None:
        nonlocal batches_written
        batches_written += 1
        _refresh_planner_statistics(batches_written, tables_written)
        rows = _Rows()
        rows.prefetch(batch)
        fresh = _fresh_records(batch, rows, shared_venues=True)
        rest = [record for position, record in enumerate(batch) if position not in fresh]
        new_rows = _NewRows()
        outcomes: list[tuple[dict[str, Any], _Writer]] = []
        savepoint = db.session.begin_nested()
        try:
            with db.session.no_autoflush:
                for position in sorted(fresh):
                    writer = _Writer(rows)
                    _add_new(writer, batch[position], new_rows, publish=publish, source=source,
                             written_organizations=written)
                    outcomes.append((batch[position], writer))
            db.session.flush()  # new taxonomy terms and changed organisations: the rows point at them
            new_rows.insert()
        except _FAILURES:
            savepoint.rollback()  # a record the fast path cannot write: the whole batch goes the careful way
            rest = batch
        else:
            savepoint.commit()
            written.update(new_rows.organization_ids)
            for record, writer in outcomes:
                _count(record, writer, True, report)
        if rest:
            _import_batch(rest, _Rows(), report, publish=publish, source=source)

    with bulk_load_marked(), _tables_written(tables_written):
        _read_in_batches(records, report, write, batch_size, progress)
    _finish_import(report, publish=publish, actor=actor, source=source)
    return report


def _refresh_planner_statistics(batches_written: int, tables: set[str]) -> None:
    """On PostgreSQL, ANALYZE the tables the load has written after batches 2, 3, 5, 9, 17, … (each time the rows
    have doubled).

    The whole load is one transaction, so autovacuum never sees its rows: the planner kept the empty tables'
    statistics, looked up each batch's ids by scanning whole tables, and the load slowed as it grew (measured on
    PostgreSQL from 1.5 s to 7 s per 1,000 records by the 6,000th, and to ~36 records/s by the 30,000th).
    Only those tables: a bare ANALYZE also sampled every other table (referrals, insights, logs) each time.
    """
    if db.engine.dialect.name != "postgresql" or batches_written < 2 or not tables:
        return
    done = batches_written - 1
    if done & (done - 1) == 0:  # a power of two
        quote = db.engine.dialect.identifier_preparer.quote
        db.session.execute(text("ANALYZE " + ", ".join(quote(name) for name in sorted(tables))))


@contextmanager
def _tables_written(into: set[str]) -> Iterator[None]:
    """Add to ``into`` the name of each table the session writes while the block runs: rows the ORM flushes, and
    the plain inserts (``_NewRows``) and updates the loader sends through the session."""
    session = db.session()

    def flushed(flushing: Session, _context: Any, _instances: Any) -> None:
        into.update(row.__table__.name for row in (*flushing.new, *flushing.dirty, *flushing.deleted)
                    if hasattr(row, "__table__"))

    def executed(state: ORMExecuteState) -> None:
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if (state.is_insert or state.is_update or state.is_delete) and isinstance(name, str):
            into.add(name)

    event.listen(session, "before_flush", flushed)
    event.listen(session, "do_orm_execute", executed)
    try:
        yield
    finally:
        event.remove(session, "before_flush", flushed)
        event.remove(session, "do_orm_execute", executed)


def _count(record: dict[str, Any], writer: _Writer, created: bool, report: ImportReport) -> None:
    report.warnings.extend(f"{record['id']}: {message}" for message in writer.warnings)
    if writer.kept_status is not None:
        report.kept_status.append((record["id"], writer.kept_status))
    if created:
        report.created += 1
    elif writer.changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _import_one(record: dict[str, Any], rows: _Rows, report: ImportReport, *, publish: bool, source: str | None) -> bool:
    """Write one record in its own savepoint; return False when it was rejected (and rolled back)."""
    writer = _Writer(rows)
    savepoint = db.session.begin_nested()
    try:
        with db.session.no_autoflush:
            _, created = _apply(writer, record, publish=publish, source=source)
        db.session.flush()
    except _FAILURES as error:
        savepoint.rollback()
        rows.release()
        rows.load_taxonomy()
        reason = str(error) if isinstance(error, RecordProblem) else f"could not be saved ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
        report.rejections.append(Rejection(record["id"], reason))
        return False
    savepoint.commit()
    _count(record, writer, created, report)
    return True
