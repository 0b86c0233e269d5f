"""Look up offline UK geography: turn a resident's text into a postcode, district, town, village or area.

Reads the SQLite file that ``build`` made (read-only, one connection per thread) and keeps its small
tables in memory; never writes and never touches the network.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import sqlite3
import threading
import weakref
from bisect import bisect_left
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .build import AREAS_CSV, LAD_NAMES_CSV
from .distance import distance_miles
from .places import (
    GazetteerUnavailable,
    OutcodeLocation,
    Place,
    PlaceAmbiguous,
    PlaceChoice,
    PlaceKind,
    PlaceNotFound,
    PostcodeLocation,
    ResolvedPlace,
    normalise_place_name,
    strip_council_words,
)
from .postcodes import Postcode, PostcodeError, looks_like_outcode, parse_outcode, parse_postcode, split_outward

MAX_QUERY_CHARS = 100
# A town whose name merely starts with a village's name ("Newcastle upon Tyne" for "Newcastle") is offered beside the
# villages only if it is at least this big: big enough that it is likely what the resident meant.
PREFIX_TOWN_POPULATION = 20_000
# "Use my location" sends "52.496,-1.973" (rounded in the browser to about 100 m).
_COORDINATES = re.compile(r"\s*(-?\d{1,2}\.\d{1,6})\s*,\s*(-?\d{1,3}\.\d{1,6})\s*")


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
    # "Kent County Council": a two-tier county council's districts, found only when the words "county council" are said
    county_councils: dict[str, list[tuple[str, str, tuple[str, ...]]]]
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
            key, _ = strip_council_words(normalise_place_name(name.split(", ")[0]))
            for variant in {key, normalise_place_name(name)}:
                if code not in councils.setdefault(variant, []):
                    councils[variant].append(code)
            labels[key] = name
    areas: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    county_councils: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    all_areas = []
    with open(AREAS_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            codes = tuple(by_name[normalise_place_name(n)] for n in row["councils"].split(";"))
            entry = (row["name"], row["kind"], codes)
            all_areas.append(entry)
            key = normalise_place_name(row["name"])
            labels[key] = row["name"]
            if row["kind"] == "county council":
                county_councils.setdefault(strip_council_words(key)[0], []).append(entry)
            else:
                areas.setdefault(key, []).append(entry)
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
    return _AreaTables(councils, areas, county_councils, all_areas, labels)


# A process forked after a lookup (a rebuild's worker, a preloaded web worker) must not use its parent's SQLite
# connection (sqlite.org/howtocorrupt.html, 2.6): it opens its own. The inherited ones are kept, never closed,
# because closing one in the child would drop the parent's file locks.
_GAZETTEERS: weakref.WeakSet[Gazetteer] = weakref.WeakSet()
_INHERITED: list[Any] = []


def _forget_connections_after_fork() -> None:
    for gazetteer in list(_GAZETTEERS):
        _INHERITED.append(gazetteer._local)
        gazetteer._local = threading.local()
        gazetteer._lock = threading.Lock()  # another parent thread may have held it at the fork: never released


class Gazetteer:
    """Read one geo SQLite file: a read-only connection per thread, small tables cached in memory."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._tables: tuple[tuple[int, int, int], _Tables] | None = None
        self._areas: tuple[_Tables, _AreaTables] | None = None
        # Locality names for spelling suggestions (~18,000): read on the first unknown name, not at start-up.
        self._locality_names: tuple[_Tables, dict[str, dict[str, str]]] | None = None
        _GAZETTEERS.add(self)

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
            "schema_version": meta.get("schema_version"),
            "areas": meta.get("areas") or "all",
            "status_known": meta.get("status_known") == "1",
            "postcodes": int(meta.get("postcodes", 0)),
            "live_postcodes": int(meta.get("live_postcodes", 0)),
            "outcodes": len(tables.outcodes),
            "councils": len(tables.councils),
            "places": sum(len(v) for v in tables.places_by_key.values()),
            "localities": sum(len(names) for names in self._locality_name_index().values()),
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

    def resolve_place(self, text: str, prefer: Callable[[], AbstractSet[str]] | None = None) -> ResolvedPlace:
        """Turn search text (postcode, district or town) into a point, or raise PlaceNotFound.

        ``prefer``: when a name means several places, returns the councils (LAD codes) whose places are offered
        first; asked only then. Otherwise, and among those, the most populous come first.
        """
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
            # "Which Church End did you mean?" in the places' own spelling, even when typed "church end".
            spelt = {p.label for p in named if normalise_place_name(p.label) == normalise_place_name(raw)}
            name = spelt.pop() if len(spelt) == 1 else _display_name(raw)
            if prefer is not None:
                named = self._served_first(named, prefer())
            raise PlaceAmbiguous(name, [self._choice(p) for p in named])

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

    def _served_first(self, named: list[ResolvedPlace], councils: AbstractSet[str]) -> list[ResolvedPlace]:
        """Order same-named places for "Which … did you mean?": those in ``councils`` first, then the nearest them.

        A council is placed at its most populous town: a directory serving Walsall offers Newport in Shropshire
        before Newport in Gwent or on the Isle of Wight. Without councils the order stays most populous first.
        """
        if not councils:
            return named
        anchors: dict[str, Place] = {}
        for places in self._cached_tables().places_by_key.values():
            for place in places:
                code = place.lad_code
                if code is not None and code in councils and (
                        code not in anchors or place.population > anchors[code].population):
                    anchors[code] = place

        def order(place: ResolvedPlace) -> tuple[bool, float]:
            outside = councils.isdisjoint(place.lad_codes or (place.lad_code,))
            nearest = min((distance_miles(place.latlon, a.latlon) for a in anchors.values()), default=0.0)
            return outside, (nearest if outside else 0.0)

        return sorted(named, key=order)  # stable: equal keys stay most populous first

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
        base, said_council = strip_council_words(key)
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
            localities = [p for p in self._localities(raw, key) if p.lad_code not in towns]
            if localities and not towns:
                # "Newcastle" is two villages, but most who type it mean a town whose name starts with it.
                found += self._towns_named_from(raw, key)
            found += localities
        named_areas = areas.county_councils.get(base, []) if said_council else areas.areas.get(base, [])
        for area_name, kind, codes in named_areas:
            found.append(self._area_place(raw, area_name, kind, codes))
        if not said_council:
            # "Dorset" is the county (Dorset Council's area and Bournemouth, Christchurch and Poole), not a choice
            # between it and the one council inside it: the wider area holds every service the narrower one does.
            wider = {code for p in found if p.area_kind not in (None, "council") for code in p.lad_codes}
            found = [p for p in found if p.area_kind != "council" or not set(p.lad_codes) <= wider]
            # A locality inside a council or area of its own name is that area's namesake, not another place.
            within = {code for p in found if p.is_area for code in p.lad_codes}
            found = [p for p in found if p.kind is not PlaceKind.LOCALITY or p.lad_code not in within]
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
            english = all(code.startswith("E") for code in place.lad_codes)
            hint = {"council": "the whole council area", "region": f"the whole {'English ' if english else ''}region",
                    "county council": "the county council's whole area"}.get(kind, f"the whole {kind}")
            if kind == "council":
                return PlaceChoice(place.label, hint, f"{name} council")
            return PlaceChoice(f"{place.label} ({kind})", hint, f"{name} ({kind})")
        hints = self._hints(place)
        return PlaceChoice(place.label, ", ".join(dict.fromkeys(hints)), f"{place.label}, {hints[0]}")

    def similar_names(self, name: str, limit: int = 5) -> list[str]:
        """Return towns, councils, areas and villages spelt like ``name`` (prefix matches first, then fuzzy)."""
        names = self.similar_place_names(name, limit)
        key, _ = strip_council_words(normalise_place_name(name))
        areas = self._area_tables()
        for match in difflib.get_close_matches(key, list(areas.labels), n=limit, cutoff=0.75):
            names.append(areas.labels[match])
        if len(names) < limit and key:
            # Same first letter and about the same length only: a slip rarely changes either, and it cuts ~18,000
            # names to a few hundred (difflib over all of them took ~15 ms a misspelling).
            localities = self._locality_name_index().get(key[:1], {})
            candidates = [k for k in localities if abs(len(k) - len(key)) <= 2]
            for match in difflib.get_close_matches(key, candidates, n=limit, cutoff=0.8):
                names.append(localities[match])
        return list(dict.fromkeys(names))[:limit]

    def _towns_named_from(self, raw: str, key: str) -> list[ResolvedPlace]:
        """Return sizeable towns whose name starts with the words in ``key`` ("Newcastle upon Tyne"), largest first."""
        tables = self._cached_tables()
        keys = tables.sorted_keys
        towns: list[Place] = []
        i = bisect_left(keys, key + " ")
        while i < len(keys) and keys[i].startswith(key + " ") and len(towns) < 50:
            towns += [p for p in tables.places_by_key[keys[i]] if p.population >= PREFIX_TOWN_POPULATION]
            i += 1
        towns.sort(key=lambda p: -p.population)
        return [ResolvedPlace(raw, PlaceKind.TOWN, t.name, t.lat, t.lon, t.lad_code, t.council, t.outcode)
                for t in towns[:3]]

    def _localities(self, raw: str, key: str) -> list[ResolvedPlace]:
        """Return the villages and localities called ``key`` (one per council), from the database file."""
        try:
            rows = self._connection().execute(
                "SELECT name, lat, lon, lad_code, outcode FROM localities WHERE name_key = ? ORDER BY id", (key,)
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # a geo database built before localities existed: towns, councils and areas still work
        councils = self._cached_tables().councils
        return [ResolvedPlace(raw, PlaceKind.LOCALITY, name, lat, lon, lad, councils.get(lad or ""), outcode)
                for name, lat, lon, lad, outcode in rows]

    def _locality_name_index(self) -> dict[str, dict[str, str]]:
        """Return locality names by first letter of their key: {"s": {"shelfield": "Shelfield", …}, …}."""
        tables = self._cached_tables()
        cached = self._locality_names
        if cached is not None and cached[0] is tables:
            return cached[1]
        index: dict[str, dict[str, str]] = {}
        try:
            for key, name in self._connection().execute("SELECT name_key, name FROM locality_names"):
                index.setdefault(key[:1], {})[key] = name
        except sqlite3.OperationalError:
            pass  # built before localities: no village names to suggest
        self._locality_names = (tables, index)
        return index

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
PREFERRED_COUNCILS = "microdir.geo.preferred_councils"  # app.extensions key: () -> LAD codes offered first
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
    """Turn search text into a point, or raise PlaceNotFound (current app's gazetteer).

    Of same-named places, those in councils the directory has listings in come first (``geo.prefer_councils``).
    """
    from flask import current_app

    return get_gazetteer().resolve_place(text, prefer=current_app.extensions.get(PREFERRED_COUNCILS))


def council_name(lad_code: str | None) -> str | None:
    """Return the council name for an ONS district code (current app's gazetteer)."""
    return get_gazetteer().council_name(lad_code)


def is_loaded() -> bool:
    """Return True if the current app's geo database is built."""
    return get_gazetteer().is_loaded()


def status() -> dict[str, Any]:
    """Return counts for a health check (current app's gazetteer)."""
    return get_gazetteer().status()


os.register_at_fork(after_in_child=_forget_connections_after_fork)
