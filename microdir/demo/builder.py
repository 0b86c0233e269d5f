"""Build the demo directory and demo accounts from ``content.py`` and ``postcodes.csv``.

Dates are relative to ``utcnow()`` (not a fixed "demo today"), so the demo never ages: listings are always
a mix of fresh and stale, one-off events are always ahead and some insurance is always about to expire.
Ids are uuid5 of a stable key, so the same seed always gives the same ids.
"""

from __future__ import annotations

import csv
import random
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash

from ..domain import two_factor
from ..domain.accounts import create_user, find_user_by_email, set_password
from ..domain.listings import FULL_TIME_HOURS, workforce_figures
from ..domain.moderation import queue_unreviewed_listings
from ..domain.schedules import DAY_NAMES, WEEKDAY_CODES
from ..domain.taxonomy import seed_taxonomy, term_id
from ..extensions import db
from ..models import (
    ACCESSIBILITY_FEATURES,
    Accessibility,
    Address,
    AreaType,
    Attribute,
    CapacityStatus,
    Contact,
    CostOption,
    CostType,
    Language,
    LegalForm,
    ListingStatus,
    Location,
    LocationType,
    MicroProviderProfile,
    Organization,
    OrganizationIdentifier,
    Phone,
    QualityCheck,
    QualityCheckType,
    Role,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceStatus,
    Team,
    TeamKind,
    VerifiedHow,
    utcnow,
)
from ..wording import format_day_date
from . import content as C

POSTCODES_CSV = Path(__file__).with_name("postcodes.csv")
DEMO_NAMESPACE = "https://microdir.org.uk/demo/"
SENTENCE_CAP = 3  # no sentence may appear in more than this many descriptions
BATCH = 25
DAYS = WEEKDAY_CODES
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
NEIGHBOURS = {
    "E08000025": ["E08000028", "E08000029"], "E08000028": ["E08000025", "E08000027", "E08000030"],
    "E08000027": ["E08000028", "E08000031"], "E08000030": ["E08000028", "E08000031"],
    "E08000031": ["E08000030", "E08000027"], "E08000029": ["E08000025", "E08000026"],
    "E08000026": ["E08000029"], "E08000007": [], "E08000034": [],
}
COUNCIL_WEIGHTS = {"E08000025": 4, "E08000028": 2, "E08000027": 2, "E08000030": 2, "E08000031": 2,
                   "E08000026": 2, "E08000029": 2, "E08000007": 2, "E08000034": 2}
LEGAL_FORM_WORDS = {
    LegalForm.SOLE_TRADER: "sole trader", LegalForm.PARTNERSHIP: "partnership",
    LegalForm.CIC: "community interest company", LegalForm.CHARITY: "registered charity",
    LegalForm.UNINCORPORATED_GROUP: "volunteer-run community group", LegalForm.COMPANY: "small company",
}


def demo_id(seed: int, key: str) -> str:
    """Return a stable id for one demo object."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{DEMO_NAMESPACE}{seed}/{key}"))


def split_sentences(text: str) -> list[str]:
    """Split a description into sentences (the unit the no-repetition rule counts)."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def read_postcodes() -> dict[str, list[dict[str, Any]]]:
    """Read the committed demo postcodes, grouped by council."""
    by_council: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(POSTCODES_CSV, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            row["latitude"], row["longitude"] = float(row["latitude"]), float(row["longitude"])
            row["outcode"] = row["postcode"].split()[0]
            by_council[row["lad_code"]].append(row)
    return by_council


def _text(entry: Any) -> str:
    return entry[0] if isinstance(entry, tuple) else entry


def _tags(entry: Any) -> set[str]:
    return set(entry[1].split()) if isinstance(entry, tuple) else set()


def _fits(entry: Any, tag: str | None) -> bool:
    """An untagged entry fits any variant; a tagged one only its own."""
    tags = _tags(entry)
    return not tags or (tag is not None and tag in tags)


def _fitting(entries: list[Any], tag: str | None) -> list[Any]:
    """The entries that fit a variant: its own and untagged ones, or all of them if none fit."""
    return [e for e in entries if _fits(e, tag)] or list(entries)


def _clock(value: time) -> str:
    """Format a time the way a leaflet would: 10am, 1.30pm, 12 noon."""
    if value.hour == 12 and value.minute == 0:
        return "12 noon"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}.{value.minute:02d}{suffix}"


def _long_date(value: date) -> str:
    return format_day_date(value)


class DemoBuilder:
    """Generates the demo organisations deterministically from one random seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.today = self.now.date()
        self.postcodes = read_postcodes()
        self.used_postcodes: set[str] = set()
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for row in (r for rows in self.postcodes.values() for r in rows):
            total = sums[row["outcode"]]
            total[0], total[1], total[2] = total[0] + row["latitude"], total[1] + row["longitude"], total[2] + 1
        self.centres = {o: (t[0] / t[2], t[1] / t[2]) for o, t in sums.items()}
        self.sentence_use: Counter[str] = Counter()
        self.names: set[str] = set()
        self.phones: set[str] = set()
        self.services: list[Service] = []
        self.kinds_of: dict[str, str] = {}

    # ---- small helpers ----------------------------------------------------------------------------------

    def id(self, key: str) -> str:
        return demo_id(self.seed, key)

    def pick_postcode(self, council: str) -> dict[str, Any]:
        free = [p for p in self.postcodes[council] if p["postcode"] not in self.used_postcodes]
        row = self.rng.choice(free or self.postcodes[council])
        self.used_postcodes.add(row["postcode"])
        return row

    def phone(self, council: str, mobile: bool = False) -> str:
        prefix, size = (C.MOBILE_PREFIX, 1000) if mobile else C.PHONE_RANGES[council]
        while True:
            number = f"{prefix}{self.rng.randrange(size):03d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def fill(self, template: str, ctx: dict[str, str]) -> str:
        return template.format(**ctx)

    def unique_name(self, templates: list[Any], tag: str | None, ctx: dict[str, str]) -> tuple[str, str | None]:
        """Pick a name (and its variant tag) not used yet."""
        options = [t for t in templates if tag is None or _fits(t, tag)]
        self.rng.shuffle(options)
        for template in options:
            name = self.fill(_text(template), ctx)
            if name not in self.names:
                self.names.add(name)
                tags = sorted(_tags(template))
                return name, (tag or (self.rng.choice(tags) if tags else None))
        name = f"{self.fill(_text(options[0]), ctx)} ({ctx['street']})"
        self.names.add(name)
        tags = sorted(_tags(options[0]))
        return name, tag or (tags[0] if tags else None)

    def choose_sentences(self, pool: list[Any], tag: str | None, count: int) -> list[str]:
        """Choose ``count`` different sentences, least used first, keeping the pool's order."""
        allowed = [(i, _text(e)) for i, e in enumerate(pool) if _fits(e, tag)]
        self.rng.shuffle(allowed)
        allowed.sort(key=lambda pair: self.sentence_use[pair[1]])
        chosen = [pair for pair in allowed if self.sentence_use[pair[1]] < SENTENCE_CAP][:count]
        if len(chosen) < 2:
            chosen = allowed[:count]
        return [text for _, text in sorted(chosen)]

    def fresh(self, candidates: list[str]) -> str:
        """Return the first generated sentence still under the repetition cap."""
        for sentence in candidates:
            if self.sentence_use[sentence] < SENTENCE_CAP:
                return sentence
        return candidates[-1]

    # ---- schedules --------------------------------------------------------------------------------------

    def schedule(self, kind: dict[str, Any], tag: str | None, service_key: str) -> dict[str, Any]:
        """Decide when a service runs; return Schedule fields plus a phrase for the description."""
        options = kind["when"]
        if tag == "cottage":
            options = [w for w in options if w[0] != "oneoff"]
        if tag == "days":
            options = [w for w in options if w[0] == "oneoff"] or options
        if tag == "christmasday":
            options = [("christmasday", "12:00", "15:00")]
        pattern, opens, closes = self.rng.choice(options)
        opens_at, closes_at = time.fromisoformat(opens), time.fromisoformat(closes)
        hours = f"{_clock(opens_at)} to {_clock(closes_at)}"
        weekend_ok = kind is C.KINDS["family_autism"] or kind is C.KINDS["short_breaks"] or tag == "roast"
        day = self.rng.choice(DAYS[:7] if weekend_ok else DAYS[:5])
        if tag == "roast":
            day = "SU"
        fields: dict[str, Any] = {"opens_at": opens_at, "closes_at": closes_at, "timezone": "Europe/London",
                                  "attending_type": "in person"}
        if pattern == "weekly":
            fields.update(freq="WEEKLY", interval=1, byday=day)
            phrase = f"every {DAY_NAMES[day]}, {hours}"
        elif pattern == "fortnightly":
            start = self.today - timedelta(days=self.rng.randrange(7, 120))
            start += timedelta(days=(DAYS.index(day) - start.weekday()) % 7)
            fields.update(freq="WEEKLY", interval=2, byday=day, dtstart=start)
            phrase = f"every other {DAY_NAMES[day]}, {hours}"
        elif pattern == "monthly":
            nth = self.rng.choice([1, 1, 2, 3, 4, -1])
            fields.update(freq="MONTHLY", interval=1, byday=f"{nth}{day}")
            phrase = f"on the {ORDINALS[nth]} {DAY_NAMES[day]} of every month, {hours}"
        elif pattern in ("oneoff", "christmasday"):
            if pattern == "christmasday":
                when = date(self.today.year, 12, 25)
                when = when if when > self.today else date(self.today.year + 1, 12, 25)
            else:
                when = self.today + timedelta(days=self.rng.randrange(10, 115))
            fields.update(freq=None, dtstart=when, valid_from=when, valid_to=when)
            phrase = f"on {_long_date(when)}, {hours}"
            day = DAYS[when.weekday()]
        elif pattern == "weekdays":
            fields.update(freq="WEEKLY", interval=1, byday="MO,TU,WE,TH,FR", attending_type="phone")
            phrase = f"Monday to Friday, {hours}"
        else:  # "arranged": visits or calls at times agreed with each person
            fields.update(freq="WEEKLY", interval=1, byday="MO,TU,WE,TH,FR", attending_type="at home",
                          notes="Visits are arranged with each person.")
            phrase = f"at times agreed with you, on weekdays between {_clock(opens_at)} and {_clock(closes_at)}"
        if fields.get("freq") and self.rng.random() < kind.get("term_time", 0):
            fields["term_time_only"] = True
            phrase += ", in school term time"
        fields["description"] = phrase[0].upper() + phrase[1:]
        fields["_phrase"] = phrase
        fields["_day"] = day
        fields["_pattern"] = pattern
        return fields

    # ---- areas ------------------------------------------------------------------------------------------

    def area(self, mode: str, council: str, place: dict[str, Any], key: str) -> tuple[ServiceArea | None, str]:
        """Return the service area for a way of working, and words describing it."""
        council_name = C.COUNCIL_NAMES[council]
        outcodes = sorted({p["outcode"] for p in self.postcodes[council]},
                          key=lambda o: (self.centres[o][0] - place["latitude"]) ** 2
                          + ((self.centres[o][1] - place["longitude"]) * 0.6) ** 2)
        if mode == "remote":
            lads = [council] if self.rng.random() < 0.5 else []
            words = f"anyone in {council_name}" if lads else "anyone, wherever they live"
            return ServiceArea(id=self.id(key), area_type=AreaType.REMOTE, lad_codes=lads, outcodes=[],
                               name="By phone and online", description=f"By phone or online, for {words}"), words
        if mode in ("comes_to_you", "area"):
            shape = self.rng.choice(["lads", "outcodes", "radius"])
            area_type = AreaType.COMES_TO_YOU if mode == "comes_to_you" else None
            if shape == "lads":
                lads = [council] + self.rng.sample(NEIGHBOURS[council], min(len(NEIGHBOURS[council]), self.rng.randrange(0, 2)))
                words = " and ".join(C.COUNCIL_NAMES[c] for c in lads)
                return ServiceArea(id=self.id(key), area_type=area_type or AreaType.COUNCILS, lad_codes=lads,
                                   outcodes=[], name=words, description=f"All of {words}"), f"all of {words}"
            if shape == "outcodes":
                near = outcodes[: self.rng.randrange(3, 6)]
                near.sort(key=lambda o: (re.sub(r"\d", "", o), int(re.sub(r"\D", "", o))))
                words = ", ".join(near[:-1]) + " and " + near[-1]
                return ServiceArea(id=self.id(key), area_type=area_type or AreaType.DISTRICTS, lad_codes=[],
                                   outcodes=near, name=f"{place['town']} and nearby",
                                   description=f"Postcode areas {words}"), f"the {words} postcode areas"
            miles = float(self.rng.choice([3, 4, 5, 6, 8, 10]))
            return ServiceArea(id=self.id(key), area_type=area_type or AreaType.RADIUS, lad_codes=[], outcodes=[],
                               centre_latitude=place["latitude"], centre_longitude=place["longitude"],
                               radius_miles=miles, name=f"Within {miles:g} miles of {place['town']}",
                               description=f"Within {miles:g} miles of {place['town']}"), \
                f"anywhere within {miles:g} miles of {place['town']}"
        # A venue: sometimes with a catchment.
        roll = self.rng.random()
        if roll < 0.15:
            near = outcodes[:3]
            return ServiceArea(id=self.id(key), area_type=AreaType.DISTRICTS, outcodes=near, lad_codes=[],
                               name=f"{place['town']} and nearby", description="Mainly for people living nearby"), ""
        if roll < 0.3:
            return ServiceArea(id=self.id(key), area_type=AreaType.COUNCILS, lad_codes=[council], outcodes=[],
                               name=council_name, description=f"People living in {council_name}"), ""
        if roll < 0.4:
            return ServiceArea(id=self.id(key), area_type=AreaType.RADIUS, lad_codes=[], outcodes=[],
                               centre_latitude=place["latitude"], centre_longitude=place["longitude"],
                               radius_miles=3.0, name=f"Within 3 miles of {place['town']}"), ""
        return None, ""

    # ---- one service ------------------------------------------------------------------------------------

    def build_service(self, org: Organization, org_key: str, kind_name: str, council: str, person: tuple[str, str],
                      index: int, shared_location: Location | None) -> Service:
        """Create one service of a kind, with its description, place, times, costs and contacts."""
        kind = C.KINDS[kind_name]
        rng = self.rng
        key = f"{org_key}/service/{index}"
        place = self.pick_postcode(council)
        first, surname = person
        street = rng.choice(C.STREETS)
        ctx = {"area": place["town"], "street": street, "first": first, "surname": surname,
               "council": C.COUNCIL_NAMES[council], "day": "{day}"}
        # Name first (its variant decides which sentences fit), then the day it runs.
        name_template_ctx = dict(ctx)
        name, tag = self.unique_name(kind["names"], None, {**name_template_ctx, "day": "\x00"})
        self.names.discard(name)
        sched = self.schedule(kind, tag, key)
        name = name.replace("\x00", DAY_NAMES[sched["_day"]])
        if name in self.names:
            name = f"{name} ({place['town']})"
        self.names.add(name)
        mode = C.TAG_MODE.get(tag or "", kind["mode"])

        service = Service(id=self.id(key), organization_id=org.id, name=name)
        org.services.append(service)
        db.session.add(service)
        self.kinds_of[service.id] = kind_name

        location = None
        venue_words = ""
        if mode == "venue":
            if shared_location is not None:
                location = shared_location
            else:
                saint = rng.choice(C.SAINTS)
                stem = street.split()[0]
                venue = rng.choice(C.VENUES).format(area=place["town"], street=street, stem=stem, saint=saint)
                if tag == "cottage":
                    venue = f"{rng.choice(['Meadow', 'Holly', 'Rose', 'Brook'])} Cottage"
                location = Location(id=self.id(key + "/location"), organization_id=org.id, name=venue,
                                    location_type=LocationType.PHYSICAL, latitude=place["latitude"],
                                    longitude=place["longitude"],
                                    transportation=rng.choice([None, f"Buses stop on {street}.",
                                                               f"Ten minutes' walk from {place['town']} centre.",
                                                               "Free parking behind the building."]))
                location.addresses.append(Address(
                    id=self.id(key + "/address"), address_1=f"{rng.randrange(1, 240)} {street}", city=place["town"],
                    state_province=C.COUNCIL_NAMES[council], postal_code=place["postcode"], country="GB"))
                for n, feature in enumerate(rng.sample(sorted(ACCESSIBILITY_FEATURES), rng.randrange(1, 5))):
                    location.accessibility.append(Accessibility(
                        id=self.id(f"{key}/access/{n}"), feature=feature,
                        description=ACCESSIBILITY_FEATURES[feature], details=rng.choice(C.ACCESSIBILITY_NOTES[feature])))
                db.session.add(location)
            venue_words = f"{location.name}, {location.addresses[0].address_1}"
            sal = ServiceAtLocation(id=self.id(key + "/sal"), location=location)
            service.service_at_locations.append(sal)

        area, area_words = self.area(mode, council, place, key + "/area")
        if area is not None:
            service.service_areas.append(area)

        # Description: 2–3 hand-written sentences, one about the people, one about where and when.
        unused = sum(1 for e in kind["sentences"] if _fits(e, tag) and self.sentence_use[_text(e)] == 0)
        count = 3 if unused >= 3 and rng.random() < 0.4 else 2
        chosen = self.choose_sentences(kind["sentences"], tag, count)
        backgrounds = _fitting(kind["backgrounds"], tag)
        background = _text(rng.choice(backgrounds))
        origin = rng.choice(kind["origins"])
        helpers = rng.choice(C.HELPERS)
        year = rng.randrange(2008, 2025)
        if kind["legal_forms"] == ["sole_trader"] or org.profile.legal_form is LegalForm.SOLE_TRADER:
            people = [f"{first} {surname}, {background}, started working for themself in {year} {origin}.",
                      f"Every visit is made by {first}, {background}, who started in {year}.",
                      f"{first} {surname} set up in {year}, {origin}, and still does every job personally."]
        else:
            people = [f"Run by {first}, {background}, and {helpers}.",
                      f"{first} {surname} started it in {year} {origin}.",
                      f"{first}, {background}, leads it with {helpers}.",
                      f"Started in {year} {origin}, it is still run by {first} {surname} and {helpers}."]
        rng.shuffle(people)
        people_sentence = self.fresh(people)
        phrase = sched["_phrase"]
        if mode == "venue":
            where = [f"It meets at {venue_words}, {phrase}.",
                     f"Find it at {venue_words}, {place['town']}, {phrase}.",
                     f"Sessions are held {phrase}, at {venue_words}."]
        elif mode == "remote":
            where = [f"Calls are made {phrase}, for {area_words}.", f"It runs {phrase}, for {area_words}.",
                     f"Based in {place['town']}, it is available {phrase}."]
        else:
            noun = "Visits cover" if mode == "comes_to_you" else "It serves"
            where = [f"{noun} {area_words}, {phrase}.",
                     f"{phrase[0].upper() + phrase[1:]}, it covers {area_words}.",
                     f"Based in {place['town']}, it is available {phrase}, for {area_words}."]
        rng.shuffle(where)
        where_sentence = self.fresh(where)
        parts = [chosen[0], people_sentence, *chosen[1:], where_sentence]
        if rng.random() < 0.5:
            parts = [chosen[0], *chosen[1:], people_sentence, where_sentence]
        for sentence in parts:
            self.sentence_use[sentence] += 1
        service.description = " ".join(parts)

        # Categories (1–2) and needs (1–4).
        cats = list(kind["categories"][:1])
        if len(kind["categories"]) > 1 and rng.random() < 0.6:
            cats.append(kind["categories"][1])
        needs = list(kind["needs"]) + [n for n in C.TAG_NEEDS.get(tag or "", []) if n not in kind["needs"]]
        extras = [n for n in kind["extra_needs"] if n not in needs]
        needs += rng.sample(extras, min(len(extras), rng.randrange(0, 3)))
        needs = needs[:4]
        for code in cats:
            service.attributes.append(Attribute(id=self.id(f"{key}/cat/{code}"), link_type="service", link_id=service.id,
                                                link_entity="service", taxonomy_term_id=term_id("categories", code)))
        for code in needs:
            service.attributes.append(Attribute(id=self.id(f"{key}/need/{code}"), link_type="service", link_id=service.id,
                                                link_entity="service", taxonomy_term_id=term_id("needs", code)))

        # When.
        sched_fields = {k: v for k, v in sched.items() if not k.startswith("_")}
        if mode == "remote":
            sched_fields["attending_type"] = "phone" if tag != "online" else "online"
        schedule = Schedule(id=self.id(key + "/schedule"), **sched_fields)
        if service.service_at_locations:
            schedule.service_at_location = service.service_at_locations[0]
            schedule.location_id = location.id if location is not None else None
        service.schedules.append(schedule)

        # Costs.
        combos = [c for c in kind["costs"] if all(_fits(option[2], tag) for option in c)] or kind["costs"]
        combo = rng.choice(combos)
        for n, (cost_type, amount, description) in enumerate(combo):
            service.cost_options.append(CostOption(
                id=self.id(f"{key}/cost/{n}"), cost_type=CostType(cost_type), option=_text(description),
                amount=Decimal(amount) if amount else None, currency="GBP" if amount else None,
                amount_description=_text(description)))
        service.fees_description = "; ".join(_text(option[2]) for option in combo) + "."

        # Who it is for, how to join, ages.
        eligibility = _fitting(kind["eligibility"], tag)
        service.eligibility_description = _text(rng.choice(eligibility))
        service.application_process = rng.choice(kind["join"])
        if kind.get("ages"):
            service.minimum_age, service.maximum_age = kind["ages"]
        if tag == "youngcarers":
            service.minimum_age, service.maximum_age = 8, 17

        # Contacts, phones, email, website.
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("'", "")).strip("-")[:40]
        service.email = f"hello@{slug}.example.org"
        if rng.random() < 0.45:
            service.url = f"https://{slug}.example.org/"
        sole = org.profile.legal_form is LegalForm.SOLE_TRADER
        contact = Contact(id=self.id(key + "/contact"), name=f"{first} {surname}",
                          title="Owner" if sole else rng.choice(C.CONTACT_TITLES),
                          email=f"{first.lower()}.{surname.lower()}@{slug}.example.org")
        service.contacts.append(contact)
        service.phones.append(Phone(id=self.id(key + "/phone"), number=self.phone(council, mobile=sole or rng.random() < 0.25),
                                    type="voice", description=rng.choice([None, "Answerphone outside session times",
                                                                          "Mornings are best", "Text messages welcome"])))
        if sole and rng.random() < 0.3:
            service.phones[-1].type = "text"

        # Languages.
        langs: dict[str, str] = {"en": "English"}
        for lang_name, code in C.TAG_LANGUAGES.get(tag or "", []):
            langs[code] = lang_name
        for start, extra in C.SENTENCE_LANGUAGES.items():
            if any(s.startswith(start) for s in chosen):
                langs.update({code: lang_name for lang_name, code in extra})
        if len(langs) == 1 and rng.random() < 0.12:
            lang_name, code = rng.choice(C.LANGUAGES)
            langs[code] = lang_name
        for code, lang_name in langs.items():
            note = None if code == "en" else f"{first} or a volunteer speaks {lang_name}" if code != "bfi" else "Signed sessions"
            service.languages.append(Language(id=self.id(f"{key}/lang/{code}"), name=lang_name, code=code, note=note))
        if len(langs) > 1:
            service.interpretation_services = "Sessions in " + ", ".join(v for k, v in langs.items() if k != "en") + \
                " as well as English."

        # Capacity.
        roll = rng.random()
        if roll < 0.78 or sched["_pattern"] in ("oneoff", "christmasday"):
            service.capacity_status = CapacityStatus.TAKING_NEW_PEOPLE
        elif roll < 0.9:
            service.capacity_status = CapacityStatus.WAITING_LIST
        else:
            service.capacity_status = CapacityStatus.FULL
            service.capacity_places = rng.choice([8, 12, 15, 20, 24, 30])
        if service.capacity_status is CapacityStatus.TAKING_NEW_PEOPLE and rng.random() < 0.2:
            service.capacity_places = rng.choice([10, 15, 20, 25, 40])

        service.status = ServiceStatus.ACTIVE
        service.source = "microdir demo data"
        self.services.append(service)
        return service

    # ---- organisations ----------------------------------------------------------------------------------

    def plan(self) -> list[tuple[str, str]]:
        """Return (kind, council) for every organisation, in a shuffled but repeatable order."""
        kinds = [name for name, kind in C.KINDS.items() for _ in range(kind["orgs"])]
        self.rng.shuffle(kinds)
        councils = [c for c, weight in COUNCIL_WEIGHTS.items() for _ in range(weight)]
        return [(kind, councils[i % len(councils)]) for i, kind in enumerate(kinds)]

    def profile(self, org_key: str, kind_name: str, failing: str | None) -> MicroProviderProfile:
        """Create a plausible workforce and independence declaration (or a deliberately failing one)."""
        rng = self.rng
        form = LegalForm(rng.choice(C.KINDS[kind_name]["legal_forms"]))
        if form is LegalForm.SOLE_TRADER:
            paid, paid_fte, unpaid, unpaid_fte = 1, rng.choice(["0.5", "0.6", "0.8", "1.0"]), 0, "0"
        elif form is LegalForm.UNINCORPORATED_GROUP:
            paid, paid_fte = rng.choice([(0, "0"), (0, "0"), (1, "0.2"), (1, "0.4")])
            unpaid = rng.randrange(3, 16)
            unpaid_fte = f"{min(Decimal('4.0'), Decimal(unpaid) * Decimal('0.1')):.1f}"
        elif form is LegalForm.PARTNERSHIP:
            paid, paid_fte, unpaid, unpaid_fte = 2, rng.choice(["1.2", "1.6", "2.0"]), rng.randrange(0, 4), "0.3"
        else:
            paid = rng.randrange(1, 6)
            paid_fte = f"{min(Decimal('3.0'), Decimal(paid) * Decimal('0.55')):.1f}"
            unpaid = rng.randrange(0, 12)
            unpaid_fte = f"{min(Decimal('1.5'), Decimal(unpaid) * Decimal('0.12')):.1f}"
        independent, parent = True, None
        if failing == "size":
            form = LegalForm.CHARITY if form is LegalForm.SOLE_TRADER else form
            paid, paid_fte, unpaid, unpaid_fte = rng.choice([(9, "6.5", 4, "1.0"), (6, "4.2", 25, "3.3"), (8, "7.5", 0, "0")])
        elif failing == "parent":
            form = LegalForm.CHARITY if form is LegalForm.SOLE_TRADER else form
            independent, parent = False, rng.choice(C.PARENT_BODIES)
        people = self.people(org_key, True, paid, Decimal(paid_fte)) + self.people(org_key, False, unpaid,
                                                                                    Decimal(unpaid_fte))
        figures = workforce_figures((person["paid"], Decimal(person["hours"])) for person in people)
        return MicroProviderProfile(
            id=self.id(org_key + "/profile"), legal_form=form, people=people,
            paid_workers=figures.paid_workers, paid_workers_fte=figures.paid_workers_fte,
            unpaid_workers=figures.unpaid_workers, unpaid_workers_fte=figures.unpaid_workers_fte,
            independent=independent, independence_declared_at=self.now - timedelta(days=rng.randrange(20, 700)),
            parent_body=parent)

    def people(self, org_key: str, paid: bool, workers: int, fte: Decimal) -> list[dict[str, Any]]:
        """Share ``fte`` full-time equivalents unevenly between ``workers`` people, as usual weekly hours in quarter
        hours, so the hours add up to the figures exactly. Its own random stream, seeded from the organisation, so
        the rest of the demo is the same as before people were stored one by one."""
        quarters = int(fte * FULL_TIME_HOURS * 4)
        if workers <= 0 or quarters < workers:
            return []
        rng = random.Random(f"{self.seed}/{org_key}/{'paid' if paid else 'unpaid'}")
        weights = [rng.uniform(0.4, 1.6) for _ in range(workers)]
        spare = quarters - workers  # a quarter hour each first, so nobody has none
        shares = [1 + int(spare * weight / sum(weights)) for weight in weights]
        for index in range(quarters - sum(shares)):
            shares[index % workers] += 1
        return [{"paid": paid, "hours": str(Decimal(share) / 4)} for share in shares]

    def quality_checks(self, org: Organization, org_key: str, kinds: list[str]) -> None:
        """Add checks: most current, some expired, some expiring within 30 days."""
        rng = self.rng
        today = self.today

        def expiry() -> date:
            roll = rng.random()
            if roll < 0.1:
                return today - timedelta(days=rng.randrange(1, 120))
            if roll < 0.2:
                return today + timedelta(days=rng.randrange(1, 30))
            return today + timedelta(days=rng.randrange(31, 360))

        def add(check_type: QualityCheckType, **fields: Any) -> None:
            org.quality_checks.append(QualityCheck(id=self.id(f"{org_key}/check/{check_type.value}"),
                                                   check_type=check_type, **fields))

        if rng.random() < 0.9:
            checked = today - timedelta(days=rng.randrange(30, 1000))
            add(QualityCheckType.DBS, description="Enhanced DBS check, on the update service",
                reference=f"00{rng.randrange(10**9, 10**10)}", checked_on=checked,
                expires_on=checked + timedelta(days=3 * 365))
        if rng.random() < 0.88:
            expires = expiry()
            add(QualityCheckType.PUBLIC_LIABILITY, description="Public liability insurance",
                reference=f"PL-{rng.randrange(100000, 999999)}", cover_amount=Decimal(rng.choice([1, 2, 5, 5, 10]) * 1_000_000),
                checked_on=min(today, expires - timedelta(days=365) + timedelta(days=rng.randrange(0, 20))),
                expires_on=expires)
        if rng.random() < 0.7:
            checked = today - timedelta(days=rng.randrange(20, 900))
            add(QualityCheckType.SAFEGUARDING_TRAINING, description="Safeguarding adults level 2",
                checked_on=checked, expires_on=checked + timedelta(days=3 * 365))
        if any(C.KINDS[k].get("food") for k in kinds):
            add(QualityCheckType.FOOD_HYGIENE, description=rng.choice(["Rating 5", "Rating 5", "Rating 5", "Rating 4"]),
                reference=f"FHRS {rng.randrange(100000, 999999)}", checked_on=today - timedelta(days=rng.randrange(60, 900)))
        if any(C.KINDS[k].get("cqc") for k in kinds):
            add(QualityCheckType.CQC_OFSTED, description="Registered with the CQC for personal care; rated Good",
                reference=f"1-{rng.randrange(10**9, 10**10)}", checked_on=today - timedelta(days=rng.randrange(60, 600)))
        elif any(C.KINDS[k].get("ofsted") for k in kinds) and rng.random() < 0.6:
            add(QualityCheckType.CQC_OFSTED, description="Registered on the Ofsted Childcare Register",
                reference=f"EY{rng.randrange(100000, 999999)}", checked_on=today - timedelta(days=rng.randrange(60, 600)))

    def build(self, progress: Callable[[str], None] | None = None) -> dict[str, int]:
        """Create every organisation and service; commit in batches."""
        rng = self.rng
        plans = self.plan()
        n = len(plans)
        failing = dict(zip(rng.sample(range(n), 6), ["size", "size", "size", "parent", "parent", "parent"], strict=False))
        extra_counts = {i: 1 for i in rng.sample(range(n), 34)}
        for i in rng.sample([i for i in range(n) if i not in extra_counts], 6):
            extra_counts[i] = 2
        for i, (kind_name, council) in enumerate(plans):
            org_key = f"org/{i}"
            person = (rng.choice(C.FIRST_NAMES), rng.choice(C.SURNAMES))
            kinds = [kind_name]
            also = C.KINDS[kind_name]["also"]
            for _ in range(extra_counts.get(i, 0)):
                options = [k for k in also if k not in kinds]
                if options:
                    kinds.append(rng.choice(options))
            org = Organization(id=self.id(org_key), name="")
            org.profile = self.profile(org_key, kind_name, failing.get(i))
            db.session.add(org)
            shared: Location | None = None
            for index, kind in enumerate(kinds):
                reuse = shared if (shared is not None and rng.random() < 0.5) else None
                service = self.build_service(org, org_key, kind, council, person, index, reuse)
                if service.service_at_locations and shared is None:
                    shared = service.service_at_locations[0].location
            first_service = org.services[0]
            town = first_service.locations[0].addresses[0].city if first_service.locations else None
            if len(kinds) == 1:
                org.name = first_service.name
            elif org.profile.legal_form is LegalForm.SOLE_TRADER:
                org.name = f"{person[0]} {person[1]}"
            else:
                ctx = {"area": town or C.COUNCIL_NAMES[council], "street": rng.choice(C.STREETS), "surname": person[1]}
                org.name = rng.choice(C.UMBRELLA_NAMES).format(**ctx)
                if org.name in self.names:
                    org.name = f"{org.name} {C.COUNCIL_NAMES[council]}"
                self.names.add(org.name)
            year = rng.randrange(2006, 2025)
            form_words = LEGAL_FORM_WORDS[org.profile.legal_form]
            org.description = (f"A {form_words} {'in ' + town if town else 'serving ' + C.COUNCIL_NAMES[council]}, "
                               f"going since {year}.")
            slug = re.sub(r"[^a-z0-9]+", "-", org.name.lower().replace("'", "")).strip("-")[:40]
            org.email = f"hello@{slug}.example.org"
            if rng.random() < 0.4:
                org.website = f"https://{slug}.example.org/"
            if org.profile.legal_form is LegalForm.CHARITY:
                org.identifiers.append(OrganizationIdentifier(id=self.id(org_key + "/ident"), identifier_scheme="GB-CHC",
                                                              identifier_type="Registered charity number",
                                                              identifier=str(rng.randrange(1100000, 1210000))))
            elif org.profile.legal_form in (LegalForm.CIC, LegalForm.COMPANY):
                org.identifiers.append(OrganizationIdentifier(id=self.id(org_key + "/ident"), identifier_scheme="GB-COH",
                                                              identifier_type="Company number",
                                                              identifier=f"{rng.randrange(10000000, 16000000):08d}"))
            self.quality_checks(org, org_key, kinds)
            if i + 1 == n:
                self.assign_states()
                db.session.flush()
                queue_unreviewed_listings()  # "Pending review" listings reach the moderators' queue
            if (i + 1) % BATCH == 0 or i + 1 == n:
                db.session.commit()
                if progress:
                    progress(f"  {i + 1}/{n} organisations, {len(self.services)} services")
        return self.counts(n)

    def assign_states(self) -> None:
        """Spread listing states and verification dates over the services."""
        rng = self.rng
        now = self.now
        order = list(range(len(self.services)))
        rng.shuffle(order)
        plan = (["pending_never"] * 2 + ["pending"] * 8 + ["stale"] * 15 + ["suspended"] * 2 + ["archived"] * 2
                + ["draft"] * 4 + ["closed"] * 2)
        states = {order[i]: state for i, state in enumerate(plan)}
        for i, service in enumerate(self.services):
            state = states.get(i, "published")
            published = now - timedelta(days=rng.randrange(40, 1100))
            verified = now - timedelta(days=rng.randrange(0, min(330, (now - published).days)), hours=rng.randrange(0, 9))
            how = rng.choices(list(VerifiedHow), weights=[5, 3, 3, 1])[0]
            service.created_at = published - timedelta(days=rng.randrange(1, 20))
            service.listing_status = ListingStatus.PUBLISHED
            service.first_published_at, service.last_verified_at, service.verified_how = published, verified, how
            if state == "stale":
                service.first_published_at = now - timedelta(days=rng.randrange(500, 1400))
                service.last_verified_at = now - timedelta(days=rng.randrange(370, 480))
                service.created_at = service.first_published_at - timedelta(days=3)
            elif state == "pending_never":
                service.listing_status = ListingStatus.PENDING_REVIEW
                service.created_at = now - timedelta(days=rng.randrange(1, 10))
                service.first_published_at = service.last_verified_at = service.verified_how = None
            elif state == "pending":
                service.listing_status = ListingStatus.PENDING_REVIEW
            elif state == "suspended":
                service.listing_status = ListingStatus.SUSPENDED
            elif state == "archived":
                service.listing_status = ListingStatus.ARCHIVED
            elif state == "draft":
                service.listing_status = ListingStatus.DRAFT
                service.created_at = now - timedelta(days=rng.randrange(1, 30))
                service.first_published_at = service.last_verified_at = service.verified_how = None
            elif state == "closed":
                service.status = ServiceStatus.TEMPORARILY_CLOSED
                service.alert = rng.choice(["Closed until the new year while the hall is repaired.",
                                            "Taking a break until the spring; ring for news."])

    def counts(self, orgs: int) -> dict[str, int]:
        """Summarise what was created."""
        result = {"organisations": orgs, "services": len(self.services),
                  "locations": len({loc.id for s in self.services for loc in s.locations})}
        for status in ListingStatus:
            result[status.value] = sum(1 for s in self.services if s.listing_status is status)
        stale_before = self.now - timedelta(days=365)
        result["stale"] = sum(1 for s in self.services if s.listing_status is ListingStatus.PUBLISHED
                              and s.last_verified_at is not None and s.last_verified_at < stale_before)
        return result


def load_demo(seed: int = 1, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo directory (taxonomy first) and return counts of what was made."""
    seed_taxonomy()
    db.session.commit()
    return DemoBuilder(seed).build(progress)


DEMO_ACCOUNTS: list[tuple[str, str, str, Role]] = [
    ("provider", "provider@demo.example.org", "Pat Provider", Role.PROVIDER),
    ("provider2", "provider2@demo.example.org", "Priya Provider", Role.PROVIDER),
    ("linkworker", "linkworker@demo.example.org", "Lee Linkworker", Role.LINK_WORKER),
    ("linkworker2", "linkworker2@demo.example.org", "Lorna Linkworker", Role.LINK_WORKER),
    ("moderator", "moderator@demo.example.org", "Morgan Moderator", Role.MODERATOR),
    ("commissioner", "commissioner@demo.example.org", "Chris Commissioner", Role.COMMISSIONER),
    ("admin", "admin@demo.example.org", "Alex Admin", Role.ADMIN),
]


def _team(name: str, kind: TeamKind) -> Team:
    team = db.session.scalar(db.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, kind=kind)
        db.session.add(team)
        db.session.flush()
    return team


def _demo_orgs() -> list[Organization]:
    """The demo organisations given to the provider accounts: multi-service ones first, then any."""
    orgs = list(db.session.scalars(db.select(Organization).order_by(Organization.name)))
    orgs.sort(key=lambda o: -len(o.services))
    return orgs[:3]


def create_demo_accounts() -> list[tuple[str, str, str, str]]:
    """Create (or repair) one demo account per role; return (role, email, password, TOTP secret) rows to print.

    Staff accounts have two-factor sign-in set up, with a random secret kept from run to run, so a newcomer can add
    it to an authenticator app. Providers may choose two-factor sign-in, so theirs starts off.
    """
    gp = _team(C.TEAMS["gp"][0], TeamKind.GP_PRACTICE)
    council = _team(C.TEAMS["council"][0], TeamKind.COUNCIL_TEAM)
    orgs = _demo_orgs()
    rows: list[tuple[str, str, str, str]] = []
    for key, email, name, role in DEMO_ACCOUNTS:
        team = gp if key == "linkworker" else council if key == "linkworker2" else None
        organizations = orgs[:2] if key == "provider" else orgs[2:3] if key == "provider2" else []
        user = find_user_by_email(email)
        if user is None:
            user = create_user(email, name, C.DEMO_PASSWORD, role, team=team, organizations=organizations)
        else:
            if not check_password_hash(user.password_hash, C.DEMO_PASSWORD):
                set_password(user, C.DEMO_PASSWORD)
            user.active = True
            if organizations and not user.organizations:
                user.organizations = list(organizations)
        if two_factor.required_for(user) and not user.two_factor_enabled:
            two_factor.start_enrolment(user)
            user.totp_enabled_at = utcnow()
        label = role.label + (f" ({team.name})" if team else "")
        if user.organizations:
            label += " – " + ", ".join(o.name for o in user.organizations)
        secret = user.totp_secret if user.two_factor_enabled and user.totp_secret else "(off: optional)"
        rows.append((label, email, C.DEMO_PASSWORD, secret))
    db.session.commit()
    return rows
