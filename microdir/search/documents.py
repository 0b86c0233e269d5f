"""The one converter from a listing to a search document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.listings import assess_micro_provider, is_publicly_visible
from ..domain.schedules import WEEKDAY_CODES, parse_byday
from ..domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID
from ..models import AreaType, LocationType, Service
from .listing_rows import ListingRow
from .schema import AGE_UNKNOWN_MAX, AGE_UNKNOWN_MIN, TEXT_PARTS, geocell


def is_indexable(service: Service | ListingRow | None, now: datetime, stale_hide_days: int) -> bool:
    """Return True when the listing belongs in the index: published and not hidden as stale."""
    return service is not None and is_publicly_visible(service, now, stale_hide_days)


def _council(lad_code: str | None) -> str | None:
    """Return a council name, or None when the gazetteer is not loaded (the index must still build)."""
    if not lad_code:
        return None
    from ..geo import GazetteerUnavailable, council_name

    try:
        return council_name(lad_code)
    except (GazetteerUnavailable, RuntimeError):
        return None


def _venue_lad(postcode: str | None) -> str | None:
    if not postcode:
        return None
    from ..geo import GazetteerUnavailable, PostcodeError, geocode_postcode

    try:
        found = geocode_postcode(postcode)
    except (GazetteerUnavailable, PostcodeError, RuntimeError, ValueError):
        return None
    return getattr(found, "lad_code", None) if found is not None else None


def _outcode(postcode: str | None) -> str | None:
    from ..geo import PostcodeError, parse_postcode

    try:
        return parse_postcode(postcode or "").outward
    except PostcodeError:
        return None  # not a postcode (an imported listing's free text): no district to index


def schedule_days(service: Service | ListingRow) -> set[str]:
    """Return the weekdays a service runs: weekly and monthly rules by their BYDAY, one-offs by their date."""
    days: set[str] = set()
    for schedule in service.schedules:
        if schedule.byday:
            days.update(code.lower() for _nth, code in parse_byday(schedule.byday))  # "2TU" / "-1TU": Tuesday
        elif schedule.dtstart is not None:
            days.add(WEEKDAY_CODES[schedule.dtstart.weekday()].lower())
    return days


def schedule_times(service: Service | ListingRow) -> set[str]:
    """Return morning (before 12:00), afternoon (12:00–17:00) and evening (17:00 on) from opening times."""
    times: set[str] = set()
    for schedule in service.schedules:
        if schedule.opens_at is None:
            continue
        hour = schedule.opens_at.hour
        times.add("morning" if hour < 12 else "afternoon" if hour < 17 else "evening")
    return times


def _join(values: Any) -> str:
    return ",".join(sorted({str(v).replace(",", " ").strip().lower() for v in values if v}))


def searchable_text(parts: dict[str, str]) -> str:
    """Join the searchable parts once each, in TEXT_PARTS order (boosts come from the name and topics fields)."""
    # A full stop between parts: harmless to the analyser, and it keeps the parts readable when debugging.
    return " . ".join(parts[name] for name in TEXT_PARTS if parts.get(name))


def service_document(service: Service | ListingRow) -> dict[str, Any]:
    """Return the search document for a listing (the caller decides whether it is visible).

    The indexer passes rows (listing_rows.py: much cheaper to read); anything else may pass the ORM listing.
    Lists come out sorted, so the document does not depend on the order the database returns rows in.
    """
    organization = service.organization
    terms = service.taxonomy_terms
    categories = [t for t in terms if t.taxonomy_id == CATEGORIES_TAXONOMY_ID]
    needs = [t for t in terms if t.taxonomy_id == NEEDS_TAXONOMY_ID]
    topic_words = [w for t in categories + needs for w in (t.name, t.keywords or "")]

    points: list[list[float]] = []
    place_words: list[str] = []
    access: set[str] = set()
    languages = {(lang.code or lang.name or "").lower() for lang in service.languages}
    modes: set[str] = set()
    venue_lads: set[str] = set()
    for location in service.locations:
        if location.is_private_home:
            continue  # never published, so never searchable by place either
        languages |= {(lang.code or lang.name or "").lower() for lang in location.languages}
        if location.location_type is LocationType.VIRTUAL:
            modes.add("remote")
            continue
        access |= {a.feature for a in location.accessibility if a.feature}
        postcode = location.postcode
        if location.latitude is not None and location.longitude is not None:
            points.append([round(float(location.latitude), 6), round(float(location.longitude), 6)])
            modes.add("venue")
        for address in location.addresses:
            place_words += [address.city, address.state_province]
        lad = _venue_lad(postcode)
        if lad:
            venue_lads.add(lad.upper())
        place_words += [_outcode(postcode) or "", _council(lad) or ""]

    area: dict[str, Any] = {"lad_codes": [], "outcodes": [], "radius": [], "comes_to_you": False, "remote": False}
    area_kinds: set[str] = set()
    for served in service.service_areas:
        area_kinds.add(served.area_type.value)
        area["lad_codes"] += list(served.lad_codes or [])
        area["outcodes"] += [o.upper().replace(" ", "") for o in served.outcodes or []]
        if served.centre_latitude is not None and served.centre_longitude is not None and served.radius_miles:
            area["radius"].append([float(served.centre_latitude), float(served.centre_longitude), float(served.radius_miles)])
            area_kinds.add("radius")
        if served.area_type is AreaType.COMES_TO_YOU:
            area["comes_to_you"] = True
            modes.add("comes_to_you")
        if served.area_type is AreaType.REMOTE:
            area["remote"] = True
            modes.add("remote")
    area["lad_codes"] = sorted(set(area["lad_codes"]))
    area["outcodes"] = sorted(set(area["outcodes"]))
    area["radius"].sort()
    place_words += [_council(code) or "" for code in area["lad_codes"]] + area["outcodes"]

    verdict = assess_micro_provider(organization.profile if organization is not None else None)
    parts = {
        "name": service.name,
        "topics": " ".join(w for w in topic_words if w),
        "description": " ".join(filter(None, [service.alternate_name, service.description])),
        "eligibility": service.eligibility_description or "",
        "place": " ".join(sorted({w for w in place_words if w})),
        "organisation": organization.name if organization is not None else "",
    }
    document = {
        "id": service.id,
        "version": service.version,
        "name": service.name,
        "topics": parts["topics"],
        "text": searchable_text(parts),
        "category": _join(t.code for t in categories),
        "need": _join(t.code for t in needs),
        "cost": _join(c.cost_type.value for c in service.cost_options),
        "day": _join(schedule_days(service)),
        "time": _join(schedule_times(service)),
        "access": _join(access),
        "language": _join(languages),
        "verified": "yes" if verdict.is_micro_provider else "no",
        "capacity": service.capacity_status.value,
        "mode": _join(modes),
        "min_age": service.minimum_age if service.minimum_age is not None else AGE_UNKNOWN_MIN,
        "max_age": service.maximum_age if service.maximum_age is not None else AGE_UNKNOWN_MAX,
        "geocell": _join(geocell(lat, lon) for lat, lon in points),
        "points": sorted(points),
        "area_lad": _join(area["lad_codes"]).upper(),
        "area_outcode": _join(area["outcodes"]),
        "area_kind": _join(area_kinds),
        "venue_lad": ",".join(sorted(venue_lads)),
        "area": area,
    }
    # Empty text is left out: the index is the same without it (no terms, a length of 0), and Whoosh spent as long
    # on an empty field as on a full one (~20% of writing a document: bench/search.py's listings have ~8 empty).
    return {name: value for name, value in document.items() if value != ""}
