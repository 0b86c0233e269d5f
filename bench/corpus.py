"""A synthetic but realistic directory for the benchmarks, and streams of distinct resident queries.

Listings are built from the demo's hand-written content (``microdir.demo.content``: its 20 kinds of service,
their name templates, sentences, categories, needs and ways of working), placed at UK postcode districts in
proportion to their population, with a Zipf-weighted filler of care vocabulary and a long tail of pseudo-words
so the vocabulary grows with N as real text does (~45k distinct description words at 100k listings). The demo's
own builder cannot be reused as is: it never lets a sentence appear in more than three descriptions, which caps it
at a few hundred listings.

Queries are what residents type (the judged relevance collection's texts, phrases, 1–3 care words, one-letter
slips), dealt out so that no text is repeated anywhere in a run unless a pass asks for repeats.
"""

from __future__ import annotations

import csv
import itertools
import os
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from microdir.demo.content import FIRST_NAMES, KINDS, STREETS, SURNAMES
from microdir.domain.taxonomy import CATEGORIES, NEEDS
from microdir.geo import PlaceKind, ResolvedPlace
from microdir.search.documents import searchable_text
from microdir.search.queries import SearchRequest
from microdir.search.schema import geocell

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MICRODIR_SHARED_DIR", ROOT.parent / "shared"))
OUTCODES = SHARED / "geo" / "uk_outcodes.csv"

DOMAIN = (
    "befriending friendship lonely company visit visiting support group club cafe dementia memory carers carer "
    "walking walk exercise gentle chair yoga tai chi dance music singing choir art craft knitting gardening garden "
    "allotment lunch meal hot food cooking tea coffee morning drop-in advice advocacy benefits forms transport lift "
    "minibus driver hospital appointments shopping home help cleaning odd jobs respite break holiday seaside trip "
    "outing autism learning disability mental health anxiety wellbeing bereavement grief older people young adults "
    "families volunteers friendly welcoming local community church hall library park weekly fortnightly monthly "
    "evening afternoon accessible wheelchair hearing loop sign language stroke parkinson diabetes sight loss"
).split()
FUNCTION = "the a and of to for with in on at our we you your is are who from by it this that as be can".split()
PHRASES = ["dementia cafe", "someone to talk to", "transport to hospital", "lunch club", "walking group",
           "carers support", "chair exercise", "coffee morning", "art club", "memory cafe", "knitting circle",
           "grief support", "computer help", "cooking classes", "hospital transport", "garden club", "craft group"]
DAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]
ACCESS = ["step_free", "accessible_toilet", "hearing_loop", "parking", "quiet_space", "bsl", "large_print"]
LANGS = ["en", "cy", "pa", "ur", "pl", "bn", "gu", "so"]
COSTS = ["free", "fixed", "pay_what_you_can", "personal_budget", "time_credits"]
CAPACITY = ["taking_new_people", "waiting_list", "full"]
CATEGORY_BY_CODE = {c[0]: c for c in CATEGORIES}
NEED_BY_CODE = {n[0]: n for n in NEEDS}
KIND_NAMES = list(KINDS)
KIND_WEIGHTS = list(itertools.accumulate(KINDS[k]["orgs"] for k in KIND_NAMES))
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def load_outcodes() -> list[dict[str, Any]]:
    with open(OUTCODES, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["latitude"] and r["country"] in ("England", "Wales", "Scotland")]
    for r in rows:
        r["lat"], r["lon"], r["weight"] = float(r["latitude"]), float(r["longitude"]), int(r["live_postcodes"] or 1)
    return rows


def _template(entry: Any) -> str:
    return entry[0] if isinstance(entry, tuple) else str(entry)


class Corpus:
    """Deterministic listings in the shape ``documents.service_document`` returns (plus ``_parts`` and ``kind``)."""

    def __init__(self, n: int, seed: int = 7, areas: tuple[str, ...] | None = None) -> None:
        self.rng = random.Random(seed)
        self.n = n
        # ``areas``: only these postcode areas ("B", "SK"), e.g. those a sample gazetteer holds.
        self.outcodes = [r for r in load_outcodes()
                         if areas is None or re.match(r"[A-Z]+", r["outcode"]).group(0) in areas]  # type: ignore[union-attr]
        syllables = ["ba", "ko", "ri", "mel", "dun", "sta", "ver", "lo", "pen", "tri", "gal", "wo", "ne", "shi"]
        self.tail = sorted({"".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
                            for _ in range(max(2000, n // 2))})
        # Cumulative weights, computed once: random.choices would otherwise re-sum them for every word.
        self.domain_w = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(DOMAIN))))
        self.tail_w = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(self.tail))))
        self.place_w = list(itertools.accumulate(r["weight"] for r in self.outcodes))

    def words(self, k: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(k):
            roll = rng.random()
            if roll < 0.45:
                out.append(rng.choice(FUNCTION))
            elif roll < 0.85:
                out.append(rng.choices(DOMAIN, cum_weights=self.domain_w)[0])
            else:
                out.append(rng.choices(self.tail, cum_weights=self.tail_w)[0])
        return out

    def _fill(self, text: str, place: dict[str, Any]) -> str:
        rng = self.rng
        street = rng.choice(STREETS)
        return (text.replace("{area}", place["place_name"]).replace("{street}", street)
                .replace("{first}", rng.choice(FIRST_NAMES)).replace("{surname}", rng.choice(SURNAMES))
                .replace("{day}", rng.choice(WEEKDAYS)).replace("{council}", place["lad_name"])
                .replace("{stem}", street.split()[0]))

    def document(self, i: int) -> dict[str, Any]:
        rng = self.rng
        place = rng.choices(self.outcodes, cum_weights=self.place_w)[0]
        kind_name = rng.choices(KIND_NAMES, cum_weights=KIND_WEIGHTS)[0]
        kind = KINDS[kind_name]
        cats = [CATEGORY_BY_CODE[c] for c in kind["categories"] if c in CATEGORY_BY_CODE]
        extra = [n for n in kind.get("extra_needs", []) if rng.random() < 0.35]
        needs = [NEED_BY_CODE[n] for n in dict.fromkeys(kind["needs"] + extra) if n in NEED_BY_CODE]
        how = kind.get("mode", "venue")
        points: list[list[float]] = []
        area: dict[str, Any] = {"lad_codes": [], "outcodes": [], "radius": [], "comes_to_you": False, "remote": False}
        modes, kinds = set(), set()
        if how == "venue" or (how != "remote" and rng.random() < 0.2):
            for _ in range(1 if rng.random() < 0.9 else 2):
                points.append([round(place["lat"] + rng.uniform(-0.03, 0.03), 6),
                               round(place["lon"] + rng.uniform(-0.05, 0.05), 6)])
            modes.add("venue")
        if how == "comes_to_you":
            area.update(lad_codes=[place["lad_code"]], comes_to_you=True)
            modes.add("comes_to_you")
            kinds |= {"councils", "comes_to_you"}
        elif how == "area":
            if rng.random() < 0.5:
                area.update(lad_codes=[place["lad_code"]])
                kinds.add("councils")
            else:
                area.update(radius=[[place["lat"], place["lon"], float(rng.choice([3, 5, 10]))]])
                kinds.add("radius")
        elif how == "remote":
            area["remote"] = True
            modes.add("remote")
            kinds.add("remote")
        name = self._fill(_template(rng.choice(kind["names"])), place)
        sentences = [self._fill(_template(s), place) for s in rng.sample(kind["sentences"],
                                                                           min(len(kind["sentences"]), rng.randint(2, 3)))]
        description = " ".join(sentences) + " " + " ".join(self.words(rng.randint(20, 60)))
        eligibility = self._fill(_template(rng.choice(kind.get("eligibility") or ["Anyone"])), place)
        min_age = rng.choice([0, 0, 16, 18, 50, 65])
        parts = {
            "name": name,
            "topics": " ".join(f"{c[1]} {c[3]}" for c in cats + needs),
            "description": description,
            "eligibility": eligibility,
            "place": f"{place['place_name']} {place['lad_name']} {place['outcode']}",
            "organisation": " ".join(w.title() for w in rng.sample(DOMAIN, 2)) + " CIC",
        }
        return {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "version": 1,
            "name": name,
            "topics": parts["topics"],
            "text": searchable_text(parts),
            "_parts": parts,
            "_kind": kind_name,
            "category": ",".join(c[0] for c in cats),
            "need": ",".join(c[0] for c in needs),
            "cost": ",".join(rng.sample(COSTS, rng.randint(1, 2))),
            "day": ",".join(rng.sample(DAYS, rng.randint(1, 2))),
            "time": rng.choice(["morning", "afternoon", "evening"]),
            "access": ",".join(rng.sample(ACCESS, rng.randint(0, 3))),
            "language": ",".join(rng.sample(LANGS, rng.randint(1, 2))),
            "verified": "yes" if rng.random() < 0.7 else "no",
            "capacity": rng.choice(CAPACITY),
            "mode": ",".join(sorted(modes)),
            "min_age": min_age,
            "max_age": rng.choice([150, 150, 25, 120]),
            "geocell": ",".join(geocell(lat, lon) for lat, lon in points),
            "points": points,
            "area_lad": ",".join(area["lad_codes"]),
            "area_outcode": "",
            "area_kind": ",".join(sorted(kinds)),
            "venue_lad": place["lad_code"] if points else "",
            "area": area,
        }

    def place(self) -> ResolvedPlace:
        r = self.rng.choices(self.outcodes, cum_weights=self.place_w)[0]
        return ResolvedPlace(query=r["outcode"], kind=PlaceKind.DISTRICT, label=r["outcode"], lat=r["lat"],
                             lon=r["lon"], lad_code=r["lad_code"], council=r["lad_name"], outcode=r["outcode"])


def _slip(rng: random.Random, word: str) -> str:
    """Return ``word`` with one typing slip: two letters swapped, one dropped, or one doubled."""
    i = rng.randrange(1, len(word) - 1)
    roll = rng.random()
    if roll < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if roll < 0.8:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def resident_texts() -> list[str]:
    """Return the judged relevance collection's query texts (what residents typed), without duplicates."""
    try:
        from tests.search.relevance.collection import COLLECTION
    except ImportError:  # the benchmark runs from a release without tests too
        return []
    return list(dict.fromkeys(j.text for j in COLLECTION))


class QueryStream:
    """Hands out search requests whose texts are never repeated within the stream (one stream per run)."""

    KINDS = ("plain", "typo", "place", "place+filters", "filters")

    def __init__(self, corpus: Corpus, seed: int = 13) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        self.resident = resident_texts()
        self.rng.shuffle(self.resident)
        self.long_words = [w for w in DOMAIN if len(w) >= 5]

    def _fresh(self, make: Any) -> str:
        for _ in range(10_000):
            text = make()
            if text not in self.used:
                self.used.add(text)
                return text
        raise RuntimeError("ran out of distinct query texts")

    def _text(self) -> str:
        rng = self.rng

        def make() -> str:
            roll = rng.random()
            if roll < 0.3 and self.resident:
                return self.resident.pop()
            if roll < 0.45:
                return rng.choice(PHRASES) + " " + rng.choice(DOMAIN)
            return " ".join(rng.sample(DOMAIN, rng.randint(1, 3)))
        return self._fresh(make)

    def _typo(self) -> str:
        rng = self.rng
        return self._fresh(lambda: " ".join([_slip(rng, rng.choice(self.long_words))]
                                            + rng.sample(DOMAIN, rng.randint(0, 1))))

    def request(self, kind: str) -> SearchRequest:
        rng = self.rng
        if kind == "plain":
            return SearchRequest(text=self._text())
        if kind == "typo":
            return SearchRequest(text=self._typo())
        if kind == "place":
            return SearchRequest(text=self._text(), place=self.corpus.place())
        if kind == "place+filters":
            return SearchRequest(text=self._text(), place=self.corpus.place(),
                                 filters={"day": [rng.choice(DAYS)], "cost": ["free"]})
        return SearchRequest(text=self._text(), filters={"category": [rng.choice(CATEGORIES)[0]],
                                                         "cost": [rng.choice(COSTS)]})

    def take(self, count: int) -> list[tuple[str, SearchRequest]]:
        """Return ``count`` (kind, request) pairs, the kinds in turn."""
        kinds: Iterator[str] = itertools.cycle(self.KINDS)
        return [(kind, self.request(kind)) for kind in itertools.islice(kinds, count)]


def add_listings(corpus: Corpus, listings: int, prefix: str = "1") -> None:
    """Add ``listings`` published services shaped like real ones (venue or area, schedules, costs, topics)."""
    from microdir.domain.taxonomy import term_id
    from microdir.extensions import db
    from microdir.models import (
        Accessibility,
        Address,
        AreaType,
        Attribute,
        CostOption,
        CostType,
        Language,
        ListingStatus,
        Location,
        Organization,
        Schedule,
        Service,
        ServiceArea,
        ServiceAtLocation,
        utcnow,
    )

    now = utcnow()
    orgs = [Organization(name=f"Bench Org {i}") for i in range(max(1, listings // 5))]
    for i in range(listings):
        doc = corpus.document(i)
        sid = f"{prefix}0000000-0000-4000-8000-{i:012d}"
        s = Service(id=sid, organization=orgs[i % len(orgs)], name=doc["name"], description=doc["_parts"]["description"],
                    eligibility_description=doc["_parts"]["eligibility"], listing_status=ListingStatus.PUBLISHED,
                    first_published_at=now, last_verified_at=now)
        for lat, lon in doc["points"]:
            loc = Location(organization=s.organization, name="Hall", latitude=lat, longitude=lon)
            loc.addresses.append(Address(address_1="1 High St", city="Smethwick", state_province="Sandwell",
                                         postal_code="B66 1AA"))
            loc.accessibility.extend(Accessibility(feature=f) for f in doc["access"].split(",") if f)
            s.service_at_locations.append(ServiceAtLocation(location=loc))
        area = doc["area"]
        if area["lad_codes"]:
            kind = AreaType.COMES_TO_YOU if area["comes_to_you"] else AreaType.COUNCILS
            s.service_areas.append(ServiceArea(area_type=kind, lad_codes=area["lad_codes"]))
        for lat, lon, miles in area["radius"]:
            s.service_areas.append(ServiceArea(area_type=AreaType.RADIUS, centre_latitude=lat, centre_longitude=lon,
                                               radius_miles=miles))
        if area["remote"]:
            s.service_areas.append(ServiceArea(area_type=AreaType.REMOTE))
        for day in doc["day"].split(","):
            s.schedules.append(Schedule(freq="WEEKLY", interval=1, byday=day.upper()))
        s.cost_options.extend(CostOption(cost_type=CostType(c)) for c in doc["cost"].split(","))
        s.languages.extend(Language(code=code) for code in doc["language"].split(","))
        for code in doc["category"].split(","):
            s.attributes.append(Attribute(link_id=sid, taxonomy_term_id=term_id("categories", code)))
        for code in doc["need"].split(","):
            s.attributes.append(Attribute(link_id=sid, taxonomy_term_id=term_id("needs", code)))
        db.session.add(s)
        if i % 500 == 499:
            db.session.flush()
    db.session.commit()
