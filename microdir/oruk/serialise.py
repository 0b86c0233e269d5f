"""Model -> ORUK 3.0 JSON, one function per object.

Optional fields with no value are left out, never sent as ``null`` or ``""`` (a ``null`` fails the schemas'
``"type": "string"``). Fields HSDS 3.0 defines but ORUK dropped (``alternate_name``, ``eligibility_description``,
``language.name`` …) are sent too: ORUK allows extra properties that do not conflict, and they let a round trip
keep what microdir holds. See ``README.md`` in this folder for the mapping.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from ..domain.listings import assess_micro_provider
from ..domain.taxonomy import TAXONOMY_URI
from ..models import (
    ACCESSIBILITY_FEATURES,
    QUALITY_CHECK_LABELS,
    Accessibility,
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    OrganizationIdentifier,
    Phone,
    QualityCheckType,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

# ---- value helpers ------------------------------------------------------------------------------------------


def timestamp(value: datetime) -> str:
    """Format a naive-UTC datetime as RFC 3339 with milliseconds: ``2023-03-15T10:30:45.123Z``."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value  # an enum
    return value


def clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop fields with no value (None or blank text) and convert dates, times, decimals and enums."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        out[key] = _value(value)
    return out


def absolute_uri(value: str | None) -> str | None:
    """Return ``value`` as an absolute URI (schemas say ``format: uri``), adding https:// to a bare domain."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme and parts.netloc and " " not in value:
        return value
    if not parts.scheme and "." in value and " " not in value:
        return "https://" + value
    return None


def email(value: str | None) -> str | None:
    return value.strip() if value and "@" in value else None


# ---- the "microdir listing facts" taxonomy: what microdir knows about a listing, published as attributes ------

FACTS_TAXONOMY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, TAXONOMY_URI + "listing-facts"))
FACTS_TAXONOMY_NAME = "microdir listing facts"
FACTS_TAXONOMY = {
    "id": FACTS_TAXONOMY_ID,
    "name": FACTS_TAXONOMY_NAME,
    "description": "Facts microdir has checked about a listing. An attribute's value carries the date.",
    "uri": TAXONOMY_URI + "listing-facts",
    "version": "1",
}


def _fact_term(code: str, name: str, description: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TAXONOMY_URI}listing-facts/{code}")),
        "name": name,
        "description": description,
        "taxonomy": FACTS_TAXONOMY_NAME,
        "taxonomy_id": FACTS_TAXONOMY_ID,
        "term_uri": f"{TAXONOMY_URI}listing-facts/{code}",
        "term": code,
    }


FACT_TERMS: dict[str, dict[str, Any]] = {
    "micro-provider-verified": _fact_term(
        "micro-provider-verified",
        "Micro-provider",
        "Meets microdir's micro-provider rule: 5 or fewer full-time equivalent workers, paid and unpaid, and "
        "independent of any larger organisation.",
    ),
    "last-verified": _fact_term(
        "last-verified", "Details confirmed", "The provider or a moderator confirmed the listing is right on this date."
    ),
    **{
        f"quality-check:{kind.value}": _fact_term(
            f"quality-check:{kind.value}",
            QUALITY_CHECK_LABELS[kind],
            f"A moderator has checked this ({QUALITY_CHECK_LABELS[kind]}) and it is in force; the value is the date "
            "it was checked.",
        )
        for kind in QualityCheckType
    },
}


def fact_terms_by_id() -> dict[str, dict[str, Any]]:
    return {term["id"]: term for term in FACT_TERMS.values()}


def _fact_attribute(service: Service, code: str, value: str | None) -> dict[str, Any]:
    term = FACT_TERMS[code]
    return clean(
        {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TAXONOMY_URI}listing-facts/{code}/{service.id}")),
            "link_id": service.id,
            "link_type": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
            "value": value,
        }
    )


def listing_facts(service: Service, today: date) -> list[dict[str, Any]]:
    """Return the facts microdir vouches for as HSDS attributes: micro-provider verdict, last check, quality checks."""
    facts: list[dict[str, Any]] = []
    organization = service.organization
    if organization is not None and assess_micro_provider(organization.profile).is_micro_provider:
        facts.append(_fact_attribute(service, "micro-provider-verified", None))
    if service.last_verified_at is not None:
        facts.append(_fact_attribute(service, "last-verified", service.last_verified_at.date().isoformat()))
    if organization is not None:
        seen: set[str] = set()
        for check in sorted(organization.quality_checks, key=lambda c: c.checked_on or date.min, reverse=True):
            code = f"quality-check:{check.check_type.value}"
            if code in seen or not check.in_force(today) or check.checked_on is None:
                continue
            seen.add(code)
            facts.append(_fact_attribute(service, code, check.checked_on.isoformat()))
    return facts


# ---- objects ------------------------------------------------------------------------------------------------


def taxonomy_term(term: TaxonomyTerm) -> dict[str, Any]:
    return clean(
        {
            "id": term.id,
            "name": term.name,
            "description": term.description or term.name,  # required by ORUK
            "parent_id": term.parent_id,
            "taxonomy": term.taxonomy or (term.taxonomy_obj.name if term.taxonomy_obj else None),
            "taxonomy_id": term.taxonomy_id,
            "term_uri": absolute_uri(term.term_uri),
            "term": term.code,
            "language": term.language,
        }
    )


def taxonomy(item: Taxonomy, *, terms: Iterable[TaxonomyTerm] | None = None) -> dict[str, Any]:
    data = clean(
        {
            "id": item.id,
            "name": item.name,
            "description": item.description or item.name,
            "uri": absolute_uri(item.uri),
            "version": item.version,
        }
    )
    if terms is not None:
        data["taxonomy_terms"] = [taxonomy_term(t) for t in terms]
    return data


def attribute(item: Attribute) -> dict[str, Any]:
    data = clean(
        {
            "id": item.id,
            "link_id": item.link_id,
            "link_type": item.link_type,
            "link_entity": item.link_entity,
            "taxonomy_term_id": item.taxonomy_term_id,
            "value": item.value,
            "label": item.label,
        }
    )
    if item.taxonomy_term is not None:
        data["taxonomy_term"] = taxonomy_term(item.taxonomy_term)
    return data


def organization_identifier(item: OrganizationIdentifier) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "organization_id": item.organization_id,
            "identifier_scheme": item.identifier_scheme,
            "identifier_type": item.identifier_type,
            "identifier": item.identifier,
        }
    )


def organization(item: Organization, *, nested: bool = False) -> dict[str, Any]:
    """Return an organisation; ``nested`` adds its identifiers (the fully nested form)."""
    data = clean(
        {
            "id": item.id,
            "name": item.name,
            "description": item.description or item.name,  # required by ORUK
            "email": email(item.email),
            "website": absolute_uri(item.website),
            "logo": absolute_uri(item.logo),
            "uri": absolute_uri(item.uri),
            "parent_organization_id": item.parent_organization_id,
        }
    )
    if nested:
        data["organization_identifiers"] = [organization_identifier(i) for i in item.identifiers]
    return data


def address(item: Address) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "location_id": item.location_id,
            "attention": item.attention,
            "address_1": item.address_1,
            "address_2": item.address_2,
            "city": item.city,
            "region": item.region,
            "state_province": item.state_province,
            "postal_code": item.postal_code,
            "country": item.country or "GB",
            "address_type": item.address_type or "physical",
        }
    )


def accessibility(item: Accessibility) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "location_id": item.location_id,
            "description": item.description or ACCESSIBILITY_FEATURES.get(item.feature or ""),
            "details": item.details,
            "url": absolute_uri(item.url),
        }
    )


def location(item: Location, *, nested: bool = True) -> dict[str, Any]:
    data = clean(
        {
            "id": item.id,
            "location_type": item.location_type,
            "url": absolute_uri(item.url),
            "name": item.name,
            "alternate_name": item.alternate_name,
            "description": item.description,
            "transportation": item.transportation,
            "latitude": item.latitude,
            "longitude": item.longitude,
            "external_identifier": item.external_identifier,
            "external_identifier_type": item.external_identifier_type,
        }
    )
    if nested:
        data["addresses"] = [address(a) for a in item.addresses]
        data["accessibility"] = [accessibility(a) for a in item.accessibility]
    return data


def service_at_location(item: ServiceAtLocation, *, nested: bool = True) -> dict[str, Any]:
    data = clean(
        {"id": item.id, "service_id": item.service_id, "location_id": item.location_id, "description": item.description}
    )
    data["location"] = location(item.location, nested=nested)
    return data


def schedule(item: Schedule) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "service_at_location_id": item.service_at_location_id,
            "valid_from": item.valid_from,
            "valid_to": item.valid_to,
            "dtstart": item.dtstart,
            "timezone": item.timezone,
            "until": item.until,
            "count": item.count,
            "wkst": item.wkst,
            "freq": item.freq,
            "interval": item.interval,
            "byday": item.byday,
            "byweekno": item.byweekno,
            "bymonthday": item.bymonthday,
            "byyearday": item.byyearday,
            "description": item.description,
            "opens_at": item.opens_at,
            "closes_at": item.closes_at,
            "schedule_link": absolute_uri(item.schedule_link),
            "attending_type": item.attending_type,
            "notes": item.notes,
        }
    )


def service_area(item: ServiceArea) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "name": item.name,
            "extent": item.extent,
            "extent_type": item.extent_type,
            "uri": absolute_uri(item.uri),
            "service_area": item.description,
            "description": item.description,  # HSDS 3.0's name for the same free text
        }
    )


def cost_option(item: CostOption) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "valid_from": item.valid_from,
            "valid_to": item.valid_to,
            "option": item.option,
            "currency": item.currency,
            "amount": item.amount,
            "amount_description": item.amount_description,
        }
    )


def language(item: Language) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "phone_id": item.phone_id,
            "name": item.name,
            "code": item.code,
            "note": item.note,
        }
    )


def phone(item: Phone) -> dict[str, Any]:
    return clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "contact_id": item.contact_id,
            "number": item.number,
            "extension": item.extension,
            "type": item.type,
            "description": item.description,
        }
    )


def contact(item: Contact) -> dict[str, Any]:
    # Staff email addresses stay out of the open feed (ORUK privacy guidance); names and titles are published
    # because ORUK's contact object is exactly those.
    data = clean(
        {
            "id": item.id,
            "service_id": item.service_id,
            "name": item.name,
            "title": item.title,
            "department": item.department,
        }
    )
    data["phones"] = [phone(p) for p in item.phones]
    return data


def service_summary(item: Service) -> dict[str, Any]:
    """Return the one-to-one fields of a service (a ``/services`` list item), with its organisation."""
    data = clean(
        {
            "id": item.id,
            "organization_id": item.organization_id,
            "name": item.name,
            "alternate_name": item.alternate_name,
            "description": item.description,
            "url": absolute_uri(item.url),
            "email": email(item.email),
            "status": item.status,
            "interpretation_services": item.interpretation_services,
            "application_process": item.application_process,
            "fees": item.fees_description,
            "accreditations": item.accreditations,
            "eligibility_description": item.eligibility_description,
            "minimum_age": item.minimum_age,
            "maximum_age": item.maximum_age,
            "assured_date": item.assured_date,
            "assurer_email": email(item.assurer_email),
            "alert": item.alert,
            "last_modified": item.last_modified,
        }
    )
    if item.organization is not None:
        data["organization"] = organization(item.organization)
    return data


def public_locations(item: Service) -> list[ServiceAtLocation]:
    """Return the service's venues that may be published: never someone's home."""
    return [sal for sal in item.service_at_locations if sal.location is not None and not sal.location.is_private_home]


def service(item: Service, *, today: date) -> dict[str, Any]:
    """Return a fully nested service, as ``/services/{id}`` and the ndjson export give it."""
    data = service_summary(item)
    if item.organization is not None:
        data["organization"] = organization(item.organization, nested=True)
    data["service_at_locations"] = [service_at_location(sal) for sal in public_locations(item)]
    data["schedules"] = [schedule(s) for s in item.schedules]
    data["service_areas"] = [service_area(a) for a in item.service_areas]
    data["cost_options"] = [cost_option(c) for c in item.cost_options]
    data["contacts"] = [contact(c) for c in item.contacts]
    data["phones"] = [phone(p) for p in item.phones if p.contact_id is None and p.location_id is None]
    data["languages"] = [language(lang) for lang in item.languages]
    data["attributes"] = [attribute(a) for a in item.attributes] + listing_facts(item, today)
    return data


def minimal_service(item: Service) -> dict[str, Any]:
    """Return what ``minimal=true`` asks for: the id and when it changed (under both names HSDS uses)."""
    stamp = timestamp(item.last_modified)
    return {"id": item.id, "name": item.name, "status": item.status.value, "last_modified": stamp, "modified_date": stamp}
