"""View models for residents: turn a listing into the words and dates a person needs, computed once, tested alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule, weekday

from ..domain.listings import assess_micro_provider, checked_ago
from ..models import (
    ACCESSIBILITY_FEATURES,
    AreaType,
    CapacityStatus,
    CostType,
    Location,
    Schedule,
    Service,
)
from ..phones import national_number

WEEKDAYS: dict[str, weekday] = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}
DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
             "SA": "Saturday", "SU": "Sunday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}
BYDAY_TOKEN = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")

MICRO_PROVIDER_BADGE = "Micro-provider"
MICRO_PROVIDER_MEANING = (
    "A micro-provider is a small, independent local service with five or fewer workers, paid or unpaid. "
    "It is not part of a larger organisation."
)

CAPACITY_TAGS: dict[CapacityStatus, tuple[str, str]] = {
    CapacityStatus.TAKING_NEW_PEOPLE: ("Taking new people", "govuk-tag--green"),
    CapacityStatus.WAITING_LIST: ("Waiting list", "govuk-tag--yellow"),
    CapacityStatus.FULL: ("Full", "govuk-tag--red"),
}

MODE_LABELS = {"comes_to_you": "Comes to you", "remote": "By phone or online", "area": "Covers your area"}


# ---- dates and times in words ---------------------------------------------------------------------------------

def format_date(day: date) -> str:
    """Return a date the GOV.UK way: "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def format_day_date(day: date) -> str:
    """Return a date with its weekday: "Tuesday 3 March 2026"."""
    return f"{day:%A} {format_date(day)}"


def format_time(moment: time) -> str:
    """Return a time the GOV.UK way: "10am", "10:30am", "midday", "midnight"."""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def time_range(schedule: Schedule) -> str:
    """Return "10am to midday" (or just the start) for a schedule, or "" when no times are given."""
    if schedule.opens_at and schedule.closes_at:
        return f"{format_time(schedule.opens_at)} to {format_time(schedule.closes_at)}"
    if schedule.opens_at:
        return f"from {format_time(schedule.opens_at)}"
    return ""


def parse_byday(byday: str | None) -> list[tuple[int | None, str]]:
    """Split "MO,2TU,-1FR" into [(None, "MO"), (2, "TU"), (-1, "FR")]; ignore tokens that are not valid."""
    result: list[tuple[int | None, str]] = []
    for token in (byday or "").upper().replace(" ", "").split(","):
        match = BYDAY_TOKEN.match(token)
        if match:
            result.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    return result


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def schedule_in_words(schedule: Schedule) -> str:
    """Describe when a schedule runs: "Every Tuesday, 10am to midday", "On the last Friday of each month"."""
    days = parse_byday(schedule.byday)
    freq = (schedule.freq or "").upper()
    interval = schedule.interval or 1
    if not freq:
        when = f"On {format_day_date(schedule.dtstart)} only" if schedule.dtstart else "Ask the service when"
    elif freq == "WEEKLY":
        names = _join([DAY_NAMES[code] for _, code in days]) or "week"
        if interval == 1:
            when = f"Every {names}"
        elif interval == 2:
            when = f"Every other {names}"
        else:
            when = f"Every {interval} weeks on {names}"
    elif freq == "MONTHLY":
        if days:
            parts = [f"{ORDINALS.get(n or 1, f'{n}th')} {DAY_NAMES[code]}" for n, code in days]
            when = f"On the {_join(parts)} of each month"
        elif schedule.bymonthday:
            when = f"On day {schedule.bymonthday} of each month"
        else:
            when = "Once a month"
        if interval == 2:
            when = when.replace("each month", "every other month")
    elif freq == "DAILY":
        when = "Every day"
    else:
        when = schedule.description or "Ask the service when"
    span = time_range(schedule)
    text = f"{when}, {span}" if span else when
    if schedule.term_time_only:
        text += " (term time only)"
    return text


def _rule(schedule: Schedule, anchor: date) -> rrule | None:
    """Build the recurrence for a schedule, or None for a one-off or an unreadable schedule."""
    freq = (schedule.freq or "").upper()
    if freq not in ("WEEKLY", "MONTHLY"):
        return None
    start_time = schedule.opens_at or time(0, 0)
    # dtstart fixes which week a fortnightly session falls in; without one, any past date will do.
    first = schedule.dtstart or schedule.valid_from or anchor
    kwargs: dict[str, Any] = {
        "dtstart": datetime.combine(first, start_time),
        "interval": max(1, schedule.interval or 1),
    }
    days = parse_byday(schedule.byday)
    if days:
        kwargs["byweekday"] = [WEEKDAYS[code](n) if n else WEEKDAYS[code] for n, code in days]
    elif freq == "MONTHLY" and schedule.bymonthday:
        try:
            kwargs["bymonthday"] = [int(x) for x in schedule.bymonthday.split(",")]
        except ValueError:
            return None
    last_day = min((d for d in (schedule.until, schedule.valid_to) if d is not None), default=None)
    if last_day is not None:
        kwargs["until"] = datetime.combine(last_day, time.max)
    elif schedule.count:
        kwargs["count"] = schedule.count
    return rrule(WEEKLY if freq == "WEEKLY" else MONTHLY, **kwargs)


def next_sessions(schedule: Schedule, now: datetime, count: int = 3) -> list[datetime]:
    """Return the next ``count`` start times of a schedule at or after ``now`` (local wall-clock time)."""
    freq = (schedule.freq or "").upper()
    start_time = schedule.opens_at or time(0, 0)
    if not freq:
        if schedule.dtstart is None:
            return []
        moment = datetime.combine(schedule.dtstart, start_time)
        return [moment] if moment >= now else []
    rule = _rule(schedule, now.date() - timedelta(days=7))
    if rule is None:
        return []
    after = now
    if schedule.valid_from and datetime.combine(schedule.valid_from, time(0)) > after:
        after = datetime.combine(schedule.valid_from, time(0))
    return list(rule.xafter(after, count=count, inc=True))


def service_next_sessions(service: Service, now: datetime, count: int = 3) -> list[datetime]:
    """Return the next ``count`` sessions across all of a service's schedules, soonest first."""
    found: set[datetime] = set()
    for schedule in service.schedules:
        found.update(next_sessions(schedule, now, count))
    return sorted(found)[:count]


def session_in_words(moment: datetime) -> str:
    """Return "Tuesday 3 March 2026 at 10am"; midnight means no time was given."""
    if moment.time() == time(0, 0):
        return format_day_date(moment.date())
    return f"{format_day_date(moment.date())} at {format_time(moment.time())}"


# ---- cost, capacity, badge, checks ----------------------------------------------------------------------------

def format_money(amount: Decimal | float | int) -> str:
    """Return "£3" or "£3.50"."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"£{value:,.0f}" if value == value.to_integral_value() else f"£{value:,.2f}"


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
    text, classes = CAPACITY_TAGS.get(service.capacity_status, ("Taking new people", "govuk-tag--green"))
    return {"text": text, "classes": classes}


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
        places = _join(names)
        if area.area_type is AreaType.REMOTE:
            lines.append("By phone or online, wherever you live")
        elif area.area_type is AreaType.COMES_TO_YOU:
            where = places or _join(list(area.outcodes or []))
            if where:
                lines.append(f"Comes to you at home in {where}")
            elif area.radius_miles:
                lines.append(f"Comes to you at home within {area.radius_miles:g} miles")
            else:
                lines.append("Comes to you at home")
        elif area.area_type is AreaType.COUNCILS and places:
            lines.append(f"People living in {places}")
        elif area.area_type is AreaType.DISTRICTS and area.outcodes:
            lines.append(f"People living in the postcode areas {_join(list(area.outcodes))}")
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


def present_result(service: Service, now: datetime, distance_miles: float | None = None,
                   mode: str | None = None, label: str | None = None) -> ResultView:
    """Build what a results page shows for one service."""
    sessions = service_next_sessions(service, now, 1)
    return ResultView(
        id=service.id,
        name=service.name,
        organization=service.organization.name,
        description=short_description(service.description),
        where=where_text(distance_miles, mode, label),
        when=f"Next: {session_in_words(sessions[0])}" if sessions else
        (schedule_in_words(service.schedules[0]) if service.schedules else None),
        cost=cost_summary(service),
        capacity=capacity_tag(service),
        badge=micro_provider_badge(service),
    )


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
    return [t.name for t in sorted(terms, key=lambda t: (order[t.taxonomy_id], t.name.lower()))]


def present_listing(service: Service, now: datetime) -> ListingView:
    """Build what the listing page shows for one service."""
    verdict = assess_micro_provider(service.organization.profile)
    emails = [e for e in dict.fromkeys([service.email, *(c.email for c in service.contacts)]) if e]
    return ListingView(
        service=service,
        schedules=[schedule_in_words(s) for s in service.schedules],
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
