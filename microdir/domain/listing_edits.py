"""A provider's edit of a listing: what the editable fields are, how they are snapshotted, compared and applied.

A snapshot is a plain JSON-able dict of the editable fields, so a pending revision can hold one and a moderator
can see a field-by-field diff. Saving an edit (and the pending revision it may become) lives in ``revisions``.

The editor is organised in SECTIONS (the provider's task list links to each); ``SECTION_FIELDS`` says which
snapshot keys each section edits. Schedules, venues, the area served, accessibility and languages are snapshotted
in the plain shapes described at ``snapshot`` and written back to the HSDS-shaped rows by ``apply_snapshot``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from ..extensions import db
from ..models import (
    ACCESSIBILITY_FEATURES,
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
    Phone,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ..phones import national_number
from ..wording import CAPACITY_LABELS
from .schedules import normal_schedule, schedule_from_row, schedule_rows, schedule_sort_key, schedule_text
from .taxonomy import CATEGORIES, CATEGORIES_TAXONOMY_ID, NEEDS, NEEDS_TAXONOMY_ID, term_id

ListingData = dict[str, Any]

SECTIONS: list[tuple[str, str]] = [
    ("about", "What you offer"),
    ("when", "When"),
    ("where", "Where and which area you serve"),
    ("cost", "Cost"),
    ("who", "Who it is for"),
    ("accessibility", "Accessibility"),
    ("contact", "How people get in touch"),
]

# Which snapshot keys each section edits; every key is in exactly one section.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "about": ("name", "description", "capacity_status", "capacity_places", "categories", "needs", "website"),
    "when": ("schedules",),
    "where": ("venues", "area"),
    "cost": ("costs",),
    "who": ("eligibility_description", "minimum_age", "maximum_age"),
    "accessibility": ("accessibility", "languages"),
    "contact": ("email", "phone", "application_process"),
}

HOW_TO_JOIN_MAX = 1000  # characters: a few sentences on how a person starts, not a second description

# Diff order: the original fields first (as moderators have always seen them), then the later ones.
FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "description": "Description",
    "eligibility_description": "Who it is for",
    "minimum_age": "Minimum age",
    "maximum_age": "Maximum age",
    "capacity_status": "Taking new people",
    "capacity_places": "Places",
    "email": "Email address",
    "phone": "Phone number",
    "costs": "Cost",
    "schedules": "When it runs",
    "venues": "Venues",
    "area": "Area served",
    "accessibility": "Accessibility",
    "languages": "Languages",
    "categories": "Categories",
    "needs": "Helps with",
    "website": "Website",
    "application_process": "How to join",
}

# microdir's own category and need lists, as (snapshot key, taxonomy id, term id slug, code -> name). Terms from
# any other taxonomy (imported from another ORUK feed) are not in the snapshot, so an edit leaves them alone.
TERM_LISTS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("categories", CATEGORIES_TAXONOMY_ID, "categories", {code: name for code, name, _d, _k in CATEGORIES}),
    ("needs", NEEDS_TAXONOMY_ID, "needs", {code: name for code, name, _d, _k in NEEDS}),
)

COST_LABELS = {
    CostType.FREE: "Free",
    CostType.FIXED: "Fixed price",
    CostType.PAY_WHAT_YOU_CAN: "Pay what you can",
    CostType.PERSONAL_BUDGET: "Personal budgets or direct payments",
    CostType.TIME_CREDITS: "Time credits",
}

# The languages a provider can tick; the codes are the ones the resident search filter offers.
LANGUAGES: dict[str, str] = {
    "en": "English", "cy": "Welsh", "pa": "Punjabi", "ur": "Urdu", "bn": "Bengali", "pl": "Polish",
    "gu": "Gujarati", "ar": "Arabic", "so": "Somali", "ro": "Romanian", "bfi": "British Sign Language",
    "sgn": "Sign language", "zh": "Chinese", "hi": "Hindi", "ta": "Tamil",
}

# Statuses in which residents have seen the listing: a provider's change waits for a moderator.
NEEDS_REVIEW = frozenset({ListingStatus.PUBLISHED, ListingStatus.SUSPENDED})
EDITABLE = frozenset({ListingStatus.DRAFT, ListingStatus.PENDING_REVIEW, *NEEDS_REVIEW})

EMPTY_AREA: dict[str, Any] = {
    "lad_codes": [], "outcodes": [], "radius_miles": None, "radius_postcode": None,
    "comes_to_you": False, "remote": False,
}


class EditError(ValueError):
    """An edit that cannot be made as asked; the message is for the person."""


class EditConflict(EditError):
    """Someone else changed the listing (or its pending change) after the person opened the form."""

    def __init__(self, changes: list[FieldChange]) -> None:
        super().__init__("This listing was changed by someone else while you were editing.")
        self.changes = changes


class ModerationError(EditError):
    """A decision about a listing that cannot be made as asked; the message is for the person."""


@dataclass(frozen=True)
class TextPart:
    """A run of a value's words, and whether it differs from the other value (marked for the reader)."""

    text: str
    changed: bool


_WORD_AND_SPACE = re.compile(r"(\S+)(\s*)")


def _append_run(parts: list[TextPart], words: list[tuple[str, str]], changed: bool) -> None:
    text = "".join(word + space for word, space in words)
    body = text.rstrip()
    if body:
        parts.append(TextPart(body, changed))
    if len(text) > len(body):
        parts.append(TextPart(text[len(body):], False))  # the space after a marked run is not part of the change


def changed_words(before: str, after: str) -> tuple[list[TextPart], list[TextPart]]:
    """Return both values as runs of words, the runs that differ marked; nothing is marked when they have no word
    in common (the whole value changed: the table's columns say so) or one is empty (a new value)."""
    old, new = _WORD_AND_SPACE.findall(before), _WORD_AND_SPACE.findall(after)
    matcher = difflib.SequenceMatcher(None, [w for w, _ in old], [w for w, _ in new], autojunk=False)
    opcodes = matcher.get_opcodes()
    if not old or not new or all(tag != "equal" for tag, *_ in opcodes):
        return [TextPart(before, False)], [TextPart(after, False)]
    old_parts: list[TextPart] = []
    new_parts: list[TextPart] = []
    for tag, i1, i2, j1, j2 in opcodes:
        _append_run(old_parts, old[i1:i2], tag != "equal")
        _append_run(new_parts, new[j1:j2], tag != "equal")
    return old_parts, new_parts


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its label and both values in words."""

    field: str
    label: str
    before: str
    after: str

    def marked(self) -> tuple[list[TextPart], list[TextPart]]:
        """Both values with the words that changed marked (see ``changed_words``)."""
        return changed_words(self.before, self.after)


def _service_phone(service: Service) -> Phone | None:
    return next((p for p in service.phones if p.contact_id is None and p.location_id is None), None)


def _amount_text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{Decimal(amount):.2f}"


# ---- venues, area, accessibility, languages -----------------------------------------------------------------------

def _editable_locations(service: Service) -> list[Location]:
    """The venues the editor manages: physical, not someone's home, with an address."""
    return [
        loc for loc in service.locations
        if loc.location_type is not LocationType.VIRTUAL and not loc.is_private_home and loc.addresses
    ]


def _venue_of(location: Location) -> dict[str, Any]:
    address = location.addresses[0]
    return _normal_venue({
        "name": location.name, "address_1": address.address_1, "address_2": address.address_2,
        "town": address.city, "postcode": address.postal_code,
    })


def _venue_key(venue: dict[str, Any]) -> tuple[str, ...]:
    return (venue["postcode"], venue["address_1"].lower(), venue["name"].lower(), venue["address_2"].lower(),
            venue["town"].lower())


def _normal_venue(venue: dict[str, Any]) -> dict[str, Any]:
    from ..geo import normalise_postcode

    result = {key: (venue.get(key) or "").strip() for key in ("name", "address_1", "address_2", "town", "postcode")}
    # "b661aa" as imported and "B66 1AA" as the form writes it are the same venue.
    result["postcode"] = normalise_postcode(result["postcode"]) or result["postcode"]
    return result


def _area_of(service: Service) -> dict[str, Any]:
    area = {**EMPTY_AREA, "lad_codes": [], "outcodes": []}
    for served in service.service_areas:
        area["lad_codes"] += list(served.lad_codes or [])
        area["outcodes"] += [o.upper().replace(" ", "") for o in served.outcodes or []]
        if served.radius_miles and served.centre_latitude is not None:
            area["radius_miles"] = float(served.radius_miles)
            if served.extent_type == "text" and served.extent:
                area["radius_postcode"] = served.extent
        if served.area_type is AreaType.COMES_TO_YOU:
            area["comes_to_you"] = True
        if served.area_type is AreaType.REMOTE:
            area["remote"] = True
    return _normal_area(area)


def _normal_area(area: dict[str, Any] | None) -> dict[str, Any]:
    area = {**EMPTY_AREA, **(area or {})}
    miles = area.get("radius_miles")
    return {
        "lad_codes": sorted({c.strip().upper() for c in area.get("lad_codes") or [] if c}),
        "outcodes": sorted({o.strip().upper().replace(" ", "") for o in area.get("outcodes") or [] if o}),
        "radius_miles": float(miles) if miles else None,
        "radius_postcode": (area.get("radius_postcode") or None) if miles else None,
        "comes_to_you": bool(area.get("comes_to_you")),
        "remote": bool(area.get("remote")),
    }


def _language_key(language: Language) -> str:
    code = (language.code or "").strip().lower()
    if code:
        return code
    name = (language.name or "").strip()
    by_name = {label.lower(): key for key, label in LANGUAGES.items()}
    return by_name.get(name.lower(), name)


def language_label(key: str) -> str:
    """Return a language's name for a code (or the stored name when it is not one we know)."""
    return LANGUAGES.get(key, key)


def snapshot(service: Service) -> ListingData:
    """Return the editable fields of ``service`` as a JSON-able dict.

    schedules: [{kind: weekly|fortnightly|monthly|one_off|other, weekday: "TU", week: 2 (monthly; -1 last),
    date: "2026-12-01" (one-off date, or a fortnightly session fixing the week), opens_at/closes_at: "10:00",
    term_time_only}]; venues: [{name, address_1, address_2, town, postcode}]; area: {lad_codes, outcodes,
    radius_miles, radius_postcode, comes_to_you, remote}; accessibility: {venue_text(venue): feature keys}; languages: codes;
    categories, needs: codes of microdir's own terms (see TERM_LISTS); website: an http(s) address or None.
    """
    phone = _service_phone(service)
    costs = sorted(
        ({"type": c.cost_type.value, "amount": _amount_text(c.amount) if c.cost_type is CostType.FIXED else None}
         for c in service.cost_options),
        key=lambda c: list(CostType).index(CostType(c["type"])),
    )
    locations = _editable_locations(service)
    return normalise({
        "name": service.name,
        "description": service.description or "",
        "eligibility_description": service.eligibility_description or "",
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "capacity_status": service.capacity_status.value,
        "capacity_places": service.capacity_places,
        "email": service.email or None,
        "phone": phone.number if phone is not None else None,
        "costs": costs,
        "schedules": [row for s in service.schedules for row in schedule_rows(s)],
        "venues": [_venue_of(loc) for loc in locations],
        "area": _area_of(service),
        "accessibility": {venue_text(_venue_of(loc)): [a.feature for a in loc.accessibility if a.feature]
                          for loc in locations},
        "languages": [key for key in (_language_key(lang) for lang in service.languages) if key],
        **{key: [t.code for t in service.taxonomy_terms if t.taxonomy_id == taxonomy_id and t.code]
           for key, taxonomy_id, _slug, _names in TERM_LISTS},
        "website": service.url or None,
        "application_process": service.application_process or "",
    })


def normalise(data: ListingData) -> ListingData:
    """Return ``data`` in snapshot form (lists ordered, empty text as ""), so equal listings compare equal.

    A snapshot saved before a field existed (an older pending revision) simply lacks that key; it is left out
    here too, so applying or diffing it leaves that part of the listing alone.
    """
    result = dict(data)
    result["costs"] = sorted(
        ({"type": c["type"], "amount": c.get("amount") if c["type"] == CostType.FIXED.value else None}
         for c in data.get("costs", [])),
        key=lambda c: list(CostType).index(CostType(c["type"])),
    )
    for key in ("description", "eligibility_description"):
        result[key] = result.get(key) or ""
    for key in ("email", "phone"):
        result[key] = result.get(key) or None
    if "schedules" in data:
        result["schedules"] = sorted((normal_schedule(r) for r in data["schedules"] or []), key=schedule_sort_key)
    if "venues" in data:
        result["venues"] = sorted((_normal_venue(v) for v in data["venues"] or []), key=_venue_key)
    if "area" in data:
        result["area"] = _normal_area(data["area"])
    if "accessibility" in data:
        result["accessibility"] = _normal_accessibility(data["accessibility"], result.get("venues"))
    if "languages" in data:
        result["languages"] = _in_order(data["languages"], list(LANGUAGES))
    for key, _taxonomy_id, _slug, names in TERM_LISTS:
        if key in data:  # in the order the checkboxes are shown
            result[key] = _in_order(data[key], list(names))
    if "website" in data:
        result["website"] = (data["website"] or "").strip() or None
    if "application_process" in data:
        result["application_process"] = (data["application_process"] or "").strip()
    return result


def _in_order(values: Any, order: list[str]) -> list[str]:
    """In the order the checkboxes are shown; anything else (imported) after, alphabetically."""
    found = {str(v) for v in values or [] if v}
    return sorted(found, key=lambda v: (order.index(v) if v in order else len(order), v))


def _normal_accessibility(value: Any, venues: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    """Return {venue on one line: feature keys} for the venues that have any, the venues as ``venues`` names them.

    A list (a change saved before features were per venue) meant "at every venue". A venue that is no longer
    listed loses its features; one whose text only changed case keeps them.
    """
    texts = [venue_text(v) for v in venues] if venues is not None else None
    if isinstance(value, list):
        value = dict.fromkeys(texts or [], value)
    by_lower = {t.lower(): t for t in texts} if texts is not None else None
    result: dict[str, list[str]] = {}
    for text, features in (value or {}).items():
        venue = text if by_lower is None else by_lower.get(str(text).lower())
        ordered = _in_order(features, list(ACCESSIBILITY_FEATURES))
        if venue is not None and ordered:
            result[venue] = ordered
    return dict(sorted(result.items()))


def _set(obj: Any, attribute: str, value: Any) -> None:
    # Only assign real changes, so a no-op save does not bump the version or write to the change log.
    if getattr(obj, attribute) != value:
        setattr(obj, attribute, value)


def _geocode(postcode: str | None) -> Any:
    """Return where a postcode is (offline), or None when it is unknown or the gazetteer is not loaded."""
    if not postcode:
        return None
    from ..geo import GazetteerUnavailable, PostcodeError, geocode_postcode

    try:
        return geocode_postcode(postcode)
    except (GazetteerUnavailable, PostcodeError):
        return None


def _apply_schedules(service: Service, rows: list[dict[str, Any]]) -> None:
    for schedule in list(service.schedules):
        service.schedules.remove(schedule)
        db.session.delete(schedule)
    for row in rows:
        service.schedules.append(schedule_from_row(row))


def _apply_venues(service: Service, venues: list[dict[str, Any]], features: dict[str, list[str]]) -> None:
    """Keep venues that are unchanged (and their map position), add new ones geocoded offline, remove the rest;
    give each the accessibility features ``features`` lists for it."""
    existing = {_venue_key(_venue_of(loc)): loc for loc in _editable_locations(service)}
    wanted = [(_venue_key(v), v) for v in venues]
    keep = {key for key, _ in wanted}
    for key, gone in existing.items():
        if key not in keep:
            shared = any(sal.service is not service for sal in gone.service_at_locations)
            for link in [sal for sal in service.service_at_locations if sal.location is gone]:
                service.service_at_locations.remove(link)
                db.session.delete(link)
            if not shared:
                db.session.delete(gone)  # no other service meets there
    for key, venue in wanted:
        location = existing.get(key)
        if location is None:
            found = _geocode(venue["postcode"])
            location = Location(
                organization_id=service.organization_id, location_type=LocationType.PHYSICAL,
                name=venue["name"] or None,
                latitude=found.lat if found is not None else None, longitude=found.lon if found is not None else None,
            )
            location.addresses.append(Address(
                address_1=venue["address_1"], address_2=venue["address_2"] or None, city=venue["town"],
                state_province=(found.council if found is not None else None) or venue["town"],
                postal_code=venue["postcode"],
            ))
            service.service_at_locations.append(ServiceAtLocation(location=location))
        _apply_features(location, features.get(venue_text(venue), []))


def _apply_features(location: Location, features: list[str]) -> None:
    have = {a.feature for a in location.accessibility if a.feature}
    for item in list(location.accessibility):
        if item.feature and item.feature not in features:
            location.accessibility.remove(item)
            db.session.delete(item)
    for feature in features:
        if feature not in have:
            location.accessibility.append(Accessibility(feature=feature, description=ACCESSIBILITY_FEATURES.get(feature)))


def _apply_area(service: Service, area: dict[str, Any]) -> None:
    for served in list(service.service_areas):
        service.service_areas.remove(served)
        db.session.delete(served)
    if area["lad_codes"]:
        service.service_areas.append(ServiceArea(area_type=AreaType.COUNCILS, lad_codes=list(area["lad_codes"]),
                                                 outcodes=[]))
    if area["outcodes"]:
        service.service_areas.append(ServiceArea(area_type=AreaType.DISTRICTS, outcodes=list(area["outcodes"]),
                                                 lad_codes=[]))
    if area["radius_miles"] and area["radius_postcode"]:
        found = _geocode(area["radius_postcode"])
        service.service_areas.append(ServiceArea(
            area_type=AreaType.RADIUS, lad_codes=[], outcodes=[], radius_miles=area["radius_miles"],
            centre_latitude=found.lat if found is not None else None,
            centre_longitude=found.lon if found is not None else None,
            name=f"Within {area['radius_miles']:g} miles of {area['radius_postcode']}",
            # The centre's postcode, so the provider sees what they typed when they edit again.
            extent=area["radius_postcode"], extent_type="text",
        ))
    # As documents.py reads it: "comes to you" visits people within the area the other rows give.
    if area["comes_to_you"]:
        service.service_areas.append(ServiceArea(area_type=AreaType.COMES_TO_YOU, lad_codes=[], outcodes=[]))
    if area["remote"]:
        service.service_areas.append(ServiceArea(area_type=AreaType.REMOTE, lad_codes=[], outcodes=[]))


def _apply_languages(service: Service, keys: list[str]) -> None:
    for language in list(service.languages):
        service.languages.remove(language)
        db.session.delete(language)
    for key in keys:
        known = key in LANGUAGES
        service.languages.append(Language(code=key if known else None, name=language_label(key)))


def _apply_terms(service: Service, taxonomy_id: str, slug: str, codes: list[str]) -> None:
    """Link exactly ``codes`` of one of microdir's term lists; links to any other taxonomy's terms stay."""
    have: dict[str, Attribute] = {}
    for link in list(service.attributes):
        term = link.taxonomy_term or db.session.get(TaxonomyTerm, link.taxonomy_term_id)
        if term is None or term.taxonomy_id != taxonomy_id:
            continue
        if term.code in codes and term.code not in have:
            have[term.code] = link
        else:
            service.attributes.remove(link)  # delete-orphan: the link row goes
    for code in codes:
        if code not in have:
            term = db.session.get(TaxonomyTerm, term_id(slug, code))
            if term is None:  # not one of ours, or the lists were never seeded (`flask taxonomy seed`)
                raise EditError(f"There is no category or need with the code {code}.")
            service.attributes.append(Attribute(link_id=service.id, link_type="service", taxonomy_term=term))


def apply_snapshot(service: Service, data: ListingData) -> None:
    """Write the editable fields of ``data`` onto ``service`` (the caller audits).

    Only parts that differ are rewritten, so a no-op save writes nothing and keeps imported rows as they are.
    """
    data = normalise(data)
    current = snapshot(service)
    _set(service, "name", data["name"])
    _set(service, "description", data["description"])
    _set(service, "eligibility_description", data["eligibility_description"] or None)
    _set(service, "minimum_age", data["minimum_age"])
    _set(service, "maximum_age", data["maximum_age"])
    _set(service, "capacity_status", CapacityStatus(data["capacity_status"]))
    _set(service, "capacity_places", data["capacity_places"])
    _set(service, "email", data["email"])
    phone = _service_phone(service)
    if data["phone"] is None and phone is not None:
        service.phones.remove(phone)
        db.session.delete(phone)
    elif data["phone"] is not None and phone is None:
        service.phones.append(Phone(number=data["phone"], type="voice"))
    elif phone is not None:
        _set(phone, "number", data["phone"])
    if current["costs"] != data["costs"]:
        for option in list(service.cost_options):
            service.cost_options.remove(option)
            db.session.delete(option)
        for cost in data["costs"]:
            kind = CostType(cost["type"])
            service.cost_options.append(
                CostOption(
                    cost_type=kind,
                    option=COST_LABELS[kind],
                    currency="GBP" if cost["amount"] is not None else None,
                    amount=Decimal(cost["amount"]) if cost["amount"] is not None else None,
                )
            )
    if "schedules" in data and current["schedules"] != data["schedules"]:
        _apply_schedules(service, data["schedules"])
    venues = data["venues"] if "venues" in data else current["venues"]
    features = data["accessibility"] if "accessibility" in data else current["accessibility"]
    if venues != current["venues"] or features != current["accessibility"]:
        _apply_venues(service, venues, features)
    if "area" in data and current["area"] != data["area"]:
        _apply_area(service, data["area"])
    if "languages" in data and current["languages"] != data["languages"]:
        _apply_languages(service, data["languages"])
    for key, taxonomy_id, slug, _names in TERM_LISTS:
        if key in data and current[key] != data[key]:
            _apply_terms(service, taxonomy_id, slug, data[key])
    if "website" in data and current["website"] != data["website"]:
        service.url = data["website"]
    if "application_process" in data and current["application_process"] != data["application_process"]:
        service.application_process = data["application_process"] or None


WEBSITE_ERROR = "Enter a website address that starts with https:// or http://, like https://www.example.org"


def parse_website(text: str | None) -> str | None:
    """Return a listing's website as stored (None when blank); raise EditError unless it is an http(s) address.

    Residents follow this link from the listing page, so anything but a web address (a javascript: link, a
    mailto:, a bare word) is refused rather than guessed at.
    """
    address = (text or "").strip()
    if not address:
        return None
    if len(address) > 500:
        raise EditError("Website must be 500 characters or fewer")
    try:
        parts = urlsplit(address)
        host = parts.hostname or ""
    except ValueError as error:  # a malformed port or IPv6 address
        raise EditError(WEBSITE_ERROR) from error
    if (parts.scheme.lower() not in ("http", "https") or "." not in host.strip(".")
            or any(ch.isspace() or ord(ch) < 32 for ch in address)):
        raise EditError(WEBSITE_ERROR)
    return address


def council_label(code: str) -> str:
    """Return a council's name for its LAD code (the code itself when the gazetteer is not loaded)."""
    from ..geo import GazetteerUnavailable, council_name

    try:
        return council_name(code) or code
    except (GazetteerUnavailable, RuntimeError):
        return code


def find_council(name: str) -> str | None:
    """Return the LAD code of the council called ``name`` (any case, "Council" optional), or None.

    Raises GazetteerUnavailable when the offline gazetteer is not loaded.
    """
    from ..geo import get_gazetteer

    wanted = " ".join(name.lower().replace("council", " ").split())
    councils = get_gazetteer().councils()
    for code, council in councils.items():
        if " ".join(council.lower().split()) == wanted or code == name.strip().upper():
            return code
    return None


def venue_text(venue: dict[str, Any]) -> str:
    """Return a venue on one line: "Community Hall, 1 High Street, Smethwick, B66 1AA"."""
    return ", ".join(venue[k] for k in ("name", "address_1", "address_2", "town", "postcode") if venue.get(k))


def area_lines(area: dict[str, Any]) -> list[str]:
    """Describe an area answer in words, one line per kind."""
    area = _normal_area(area)
    lines = []
    if area["lad_codes"]:
        lines.append("Councils: " + ", ".join(council_label(c) for c in area["lad_codes"]))
    if area["outcodes"]:
        lines.append("Postcode districts: " + ", ".join(area["outcodes"]))
    if area["radius_miles"]:
        centre = f" of {area['radius_postcode']}" if area["radius_postcode"] else ""
        lines.append(f"Within {area['radius_miles']:g} miles{centre}")
    if area["comes_to_you"]:
        lines.append("Comes to people at home")
    if area["remote"]:
        lines.append("By phone or online")
    return lines


def format_value(field: str, data: ListingData) -> str:
    """Return one field of a snapshot in words, the way the diff and the check page show it."""
    value = data.get(field)
    if field == "costs":
        parts = []
        for cost in value or []:
            label = COST_LABELS[CostType(cost["type"])]
            parts.append(f"{label}: £{cost['amount']}" if cost.get("amount") else label)
        return "; ".join(parts) or "Not given"
    if field == "capacity_status":
        return CAPACITY_LABELS[CapacityStatus(value)] if value else "Not given"
    if field == "phone" and value:
        return national_number(str(value))
    if field == "schedules":
        return "; ".join(schedule_text(row) for row in value or []) or "Not given"
    if field == "venues":
        return "; ".join(venue_text(v) for v in value or []) or "Not given"
    if field == "area":
        return "; ".join(area_lines(value or {})) or "Not given"
    if field == "accessibility":
        if isinstance(value, list):  # a change saved before features were per venue
            value = {"Every venue": value} if value else {}
        return "; ".join(f"{venue}: {', '.join(ACCESSIBILITY_FEATURES.get(k, k) for k in keys)}"
                         for venue, keys in (value or {}).items()) or "Not given"
    if field == "languages":
        return ", ".join(language_label(k) for k in value or []) or "Not given"
    for key, _taxonomy_id, _slug, names in TERM_LISTS:
        if field == key:
            return ", ".join(names.get(code, code) for code in value or []) or "Not given"
    if value is None or value == "":
        return "Not given"
    return str(value)


def section_status(data: ListingData) -> dict[str, bool]:
    """Return, for each section key, whether its required answers are present (the task list's "Completed")."""
    data = normalise(data)
    area = _normal_area(data.get("area"))
    return {
        "about": bool(data.get("name") and data.get("description") and data.get("capacity_status")
                      and data.get("categories")),
        "when": bool(data.get("schedules")),
        "where": bool(data.get("venues") or area["lad_codes"] or area["outcodes"] or area["radius_miles"]
                      or area["remote"] or area["comes_to_you"]),
        "cost": bool(data.get("costs")),
        "who": bool(data.get("eligibility_description")),
        "accessibility": True,  # every answer in it is optional: "none of these" is an answer
        "contact": bool(data.get("email") or data.get("phone")),
    }


def summary_rows(data: ListingData) -> list[tuple[str, str, str]]:
    """Return (section key, label, value in words) for every field, in section order, for a check-your-answers page."""
    data = normalise(data)
    rows = []
    for section, _title in SECTIONS:
        for field in SECTION_FIELDS[section]:
            rows.append((section, FIELD_LABELS[field], format_value(field, data)))
    return rows


def merge_section(current: ListingData, section: str, answers: ListingData) -> ListingData:
    """Return ``current`` with only ``section``'s fields taken from ``answers``."""
    if section not in SECTION_FIELDS:
        raise KeyError(section)
    merged = dict(current)
    for field in SECTION_FIELDS[section]:
        merged[field] = answers[field]
    if section == "when":
        # Rules the editor cannot show row by row (imported) are kept; a moderator can change them.
        merged["schedules"] = [*answers["schedules"], *(r for r in current.get("schedules", []) if r["kind"] == "other")]
    return merged


def diff(before: ListingData | None, after: ListingData) -> list[FieldChange]:
    """Return the fields that differ between two snapshots, in form order; ``before`` None means all are new."""
    after = normalise(after)
    before = normalise(before) if before is not None else None
    changes = []
    for field, label in FIELD_LABELS.items():
        if field not in after:
            continue  # an older snapshot without this field leaves it as it is
        if before is None or before.get(field) != after.get(field):
            changes.append(
                FieldChange(field, label, format_value(field, before) if before is not None else "", format_value(field, after))
            )
    return changes




def changed_underneath(base: ListingData, proposed: ListingData, published: ListingData) -> list[FieldChange]:
    """Return the fields the published listing changed since ``base`` (what the provider edited) that approving
    ``proposed`` would not keep: a correction to a field the change also sets, or one the change would undo.

    The rows are as the review table shows them (published, then proposed). Fields changed since but already as
    proposed are left out: approving changes nothing there.
    """
    moved = {change.field for change in diff(base, published)}
    return [change for change in diff(published, proposed) if change.field in moved]
