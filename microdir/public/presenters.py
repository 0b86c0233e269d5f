"""View models for residents: turn a listing into the words and dates a person needs, computed once, tested alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..domain.listings import assess_micro_provider, checked_ago
from ..domain.schedules import in_running_order, schedule_in_words, service_next_sessions
from ..models import (
    ACCESSIBILITY_FEATURES,
    AreaType,
    CapacityStatus,
    CostType,
    Location,
    Service,
)
from ..phones import national_number
from ..wording import (
    CAPACITY_LABELS,
    CAPACITY_TAG_CLASSES,
    MODE_LABELS,
    format_date,
    format_money,
    join_words,
    session_in_words,
)

MICRO_PROVIDER_BADGE = "Micro-provider"
MICRO_PROVIDER_MEANING = (
    "A micro-provider is a small, independent local service with five or fewer workers, paid or unpaid. "
    "It is not part of a larger organisation."
)

# ---- cost, capacity, badge, checks ----------------------------------------------------------------------------

def cost_summary(service: Service) -> str:
    """Say what it costs in a few words: "Free", "£3.50 a session", "Pay what you can"."""
    parts: list[str] = []
    for option in service.cost_options:
        if option.cost_type is CostType.FREE:
            text = "Free"
        elif option.cost_type is CostType.FIXED and option.amount is not None:
            text = format_money(option.amount)
            if option.amount_description:
                # Providers often write the price into the description ("£5 for lunch"): don't say it twice.
                described = option.amount_description
                text = described if text in described else f"{text} {described}"
            elif option.option and option.option.lower() not in {"fixed", "fee", "cost"}:
                text += f" ({option.option})"
        elif option.cost_type is CostType.PAY_WHAT_YOU_CAN:
            text = "Pay what you can"
        elif option.cost_type is CostType.PERSONAL_BUDGET:
            text = "You can pay with a personal budget or direct payment"
        elif option.cost_type is CostType.TIME_CREDITS:
            text = "You can pay with time credits"
        else:
            text = option.option or option.amount_description or ""
        if text and text not in parts:
            parts.append(text)
    if parts:
        return "; ".join(parts)
    return service.fees_description or "Ask the service about cost"


def capacity_tag(service: Service) -> dict[str, str]:
    """Return the govukTag params for whether the service is taking new people."""
    status = service.capacity_status if service.capacity_status in CAPACITY_LABELS else CapacityStatus.TAKING_NEW_PEOPLE
    return {"text": CAPACITY_LABELS[status], "classes": CAPACITY_TAG_CLASSES[status]}


def micro_provider_badge(service: Service) -> str | None:
    """Return the badge text when the organisation counts as a micro-provider, else None."""
    organization = service.organization
    if organization is None:
        return None
    return MICRO_PROVIDER_BADGE if assess_micro_provider(organization.profile).is_micro_provider else None


def quality_checks_in_force(service: Service, today: date) -> list[str]:
    """Return the checks a moderator has confirmed and that have not expired, in words."""
    checks = [check for check in service.organization.quality_checks if check.in_force(today)]
    checks.sort(key=lambda c: (c.label, c.checked_on or date.min))
    lines = []
    for check in checks:
        text = f"{check.label} — checked on {format_date(check.checked_on)}" if check.checked_on else check.label
        if check.expires_on:
            text += f", valid until {format_date(check.expires_on)}"
        lines.append(text)
    return lines


def ages_in_words(service: Service) -> str | None:
    """Say which ages the service is for, or None when it is for all ages."""
    low, high = service.minimum_age, service.maximum_age
    if low and high:
        return f"Ages {low} to {high}"
    if low:
        return f"Ages {low} and over"
    if high:
        return f"Ages {high} and under"
    return None


def area_in_words(service: Service) -> list[str]:
    """Describe the area a service covers, councils by name."""
    from ..geo import GazetteerUnavailable, council_name

    lines: list[str] = []
    for area in service.service_areas:
        names: list[str] = []
        for code in area.lad_codes or []:
            try:
                names.append(council_name(code) or code)
            except GazetteerUnavailable:
                names.append(code)
        places = join_words(names)
        if area.area_type is AreaType.REMOTE:
            lines.append("By phone or online, wherever you live")
        elif area.area_type is AreaType.COMES_TO_YOU:
            where = places or join_words(list(area.outcodes or []))
            if where:
                lines.append(f"Comes to you at home in {where}")
            elif area.radius_miles:
                lines.append(f"Comes to you at home within {area.radius_miles:g} miles")
            else:
                lines.append("Comes to you at home")
        elif area.area_type is AreaType.COUNCILS and places:
            lines.append(f"People living in {places}")
        elif area.area_type is AreaType.DISTRICTS and area.outcodes:
            lines.append(f"People living in the postcode areas {join_words(list(area.outcodes))}")
        elif area.area_type is AreaType.RADIUS and area.radius_miles:
            lines.append(f"People living within {area.radius_miles:g} miles")
        if area.description:
            lines.append(area.description)
    return lines


# ---- addresses and contact -----------------------------------------------------------------------------------

def public_locations(service: Service) -> list[Location]:
    """Return the venues that may be shown: never someone's home."""
    return [loc for loc in service.locations if not loc.is_private_home and loc.addresses]


def address_lines(location: Location) -> list[str]:
    address = location.addresses[0]
    lines = [location.name, address.address_1, address.address_2, address.city, address.postal_code]
    return [line for line in lines if line]


def map_link(location: Location) -> str | None:
    """Return a plain OpenStreetMap link to a venue (no embedded map, no JavaScript)."""
    if location.latitude is None or location.longitude is None:
        return None
    lat, lon = f"{location.latitude:.5f}", f"{location.longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def phone_numbers(service: Service) -> list[dict[str, str]]:
    """Return phone numbers with a tel: link, the service's own first."""
    phones = list(service.phones) + [p for loc in public_locations(service) for p in loc.phones]
    seen: set[str] = set()
    result = []
    for phone in phones:
        if phone.number in seen:
            continue
        seen.add(phone.number)
        result.append({"number": national_number(phone.number), "href": "tel:" + re.sub(r"[^\d+]", "", phone.number),
                       "description": phone.description or ""})
    return result


def _features_at(location: Location) -> list[str]:
    features: list[str] = []
    for item in location.accessibility:
        text = ACCESSIBILITY_FEATURES.get(item.feature or "", None) or item.description or ""
        if item.details:
            # Details that already name the feature ("Changing Places toilet with hoist") stand alone.
            repeats = text and item.details.lower().startswith(text.lower())
            text = item.details if repeats or not text else f"{text}: {item.details}"
        if text and text not in features:
            features.append(text)
    return features


def accessibility_by_venue(service: Service) -> list[tuple[str | None, list[str]]]:
    """Return (venue, features) for each venue that lists any; venue None when one list says it for all of them.

    Venues differ (a step-free hall and an upstairs room), so each is named unless they all have the same features.
    """
    venues = public_locations(service)
    groups = [(address_lines(loc)[0], _features_at(loc)) for loc in venues]
    if len({tuple(features) for _venue, features in groups}) <= 1:
        return [(None, groups[0][1])] if groups and groups[0][1] else []
    return [(venue, features) for venue, features in groups if features]


def languages(service: Service) -> list[str]:
    names = [lang.name or lang.code or "" for lang in service.languages]
    return [n for n in dict.fromkeys(names) if n]


# ---- the two view models --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardFacts:
    """What a result card shows that depends only on the listing, and on the clock until ``valid_until``."""

    name: str
    organization: str
    description: str
    when: str | None
    cost: str
    capacity: dict[str, str]
    badge: str | None
    valid_until: datetime | None  # "Next: …" changes once this session has started; None: nothing changes with time


@dataclass
class ResultView:
    """One search result, ready to show."""

    id: str
    name: str
    organization: str
    description: str
    where: str | None
    when: str | None
    cost: str
    capacity: dict[str, str]
    badge: str | None

    @classmethod
    def of(cls, service_id: str, facts: CardFacts, where: str | None) -> ResultView:
        return cls(id=service_id, name=facts.name, organization=facts.organization, description=facts.description,
                   where=where, when=facts.when, cost=facts.cost, capacity=facts.capacity, badge=facts.badge)


def short_description(text: str, limit: int = 160) -> str:
    """Cut a description at a word boundary so results stay scannable on a phone."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def where_text(distance_miles: float | None, mode: str | None, label: str | None) -> str | None:
    """Return "0.8 miles away", or a label such as "Comes to you" when distance does not apply."""
    from ..geo import format_distance

    if mode in (None, "venue") and distance_miles is not None:
        return f"{format_distance(distance_miles)} away"
    if label:
        return label
    return MODE_LABELS.get(mode or "")


def card_facts(service: Service, now: datetime) -> CardFacts:
    """Build the listing's part of a result card, as seen at ``now``."""
    # The next session at or after now stays the next one until it starts; with none, later times find none either.
    sessions = service_next_sessions(service, now, 1)
    return CardFacts(
        name=service.name,
        organization=service.organization.name,
        description=short_description(service.description),
        when=f"Next: {session_in_words(sessions[0])}" if sessions else
        (schedule_in_words(in_running_order(service.schedules)[0]) if service.schedules else None),
        cost=cost_summary(service),
        capacity=capacity_tag(service),
        badge=micro_provider_badge(service),
        valid_until=sessions[0] if sessions else None,
    )


def present_result(service: Service, now: datetime, distance_miles: float | None = None,
                   mode: str | None = None, label: str | None = None) -> ResultView:
    """Build what a results page shows for one service."""
    return ResultView.of(service.id, card_facts(service, now), where_text(distance_miles, mode, label))


@dataclass
class ListingView:
    """Everything the listing page shows, in words."""

    service: Service
    schedules: list[str]
    next_sessions: list[str]
    ages: str | None
    locations: list[dict[str, Any]]
    areas: list[str]
    cost: str
    phones: list[dict[str, str]]
    emails: list[str]
    website: str | None
    accessibility: list[tuple[str | None, list[str]]]
    languages: list[str]
    capacity: dict[str, str]
    capacity_places: int | None
    checked: str
    badge: str | None
    badge_reasons: list[str] = field(default_factory=list)
    quality_checks: list[str] = field(default_factory=list)
    helps_with: list[str] = field(default_factory=list)


def helps_with(service: Service) -> list[str]:
    """The listing's categories, then the needs it meets, by name: microdir's own lists only."""
    from ..domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID

    order = {CATEGORIES_TAXONOMY_ID: 0, NEEDS_TAXONOMY_ID: 1}
    terms = [t for t in service.taxonomy_terms if t.taxonomy_id in order]
    return [t.name for t in sorted(terms, key=lambda t: (order.get(t.taxonomy_id or "", 0), t.name.lower()))]


def present_listing(service: Service, now: datetime) -> ListingView:
    """Build what the listing page shows for one service."""
    verdict = assess_micro_provider(service.organization.profile)
    emails = [e for e in dict.fromkeys([service.email, *(c.email for c in service.contacts)]) if e]
    return ListingView(
        service=service,
        schedules=[schedule_in_words(s) for s in in_running_order(service.schedules)],
        next_sessions=[session_in_words(m) for m in service_next_sessions(service, now, 3)],
        ages=ages_in_words(service),
        locations=[
            {"lines": address_lines(loc), "map": map_link(loc), "transport": loc.transportation}
            for loc in public_locations(service)
        ],
        areas=area_in_words(service),
        cost=cost_summary(service),
        phones=phone_numbers(service),
        emails=emails,
        website=service.url,
        accessibility=accessibility_by_venue(service),
        languages=languages(service),
        capacity=capacity_tag(service),
        capacity_places=service.capacity_places,
        checked=checked_ago(service.last_verified_at or service.first_published_at, now),
        badge=MICRO_PROVIDER_BADGE if verdict.is_micro_provider else None,
        badge_reasons=verdict.reasons,
        quality_checks=quality_checks_in_force(service, now.date()),
        helps_with=helps_with(service),
    )
