"""Benchmark the offline gazetteer: full load, then warm lookups against an in-memory dict baseline.

Usage: .venv/bin/python bench/geo.py [--areas B,CV] [--reuse PATH]

Without --reuse it builds a gazetteer from the pinned packages into a temporary folder (all of Great
Britain unless --areas is given). With --reuse PATH it uses (and, if missing, builds) the file at PATH.
It prints figures, not pass/fail. The dict baseline holds the same rows in a Python dict, built in the
same run, so the ratio shows what the SQLite file costs over keeping everything in memory.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from microdir.geo.build import load_gazetteer  # noqa: E402
from microdir.geo.lookup import Gazetteer  # noqa: E402
from microdir.geo.places import normalise_place_name  # noqa: E402
from microdir.geo.postcodes import parse_outcode, parse_postcode  # noqa: E402

LOOKUPS = 20_000


def timed(fn: Callable[[str], object], keys: Sequence[str]) -> tuple[float, float]:
    """Return (median, p95) in milliseconds of fn over keys, after a warm-up pass."""
    for key in keys[:1000]:
        fn(key)
    samples = []
    clock = time.perf_counter_ns
    for key in keys:
        t = clock()
        fn(key)
        samples.append(clock() - t)
    samples.sort()
    return statistics.median(samples) / 1e6, samples[int(len(samples) * 0.95)] / 1e6


def report(name: str, ours: tuple[float, float], base: tuple[float, float]) -> None:
    """Print one row of figures with the ratio against the dict baseline."""
    print(
        f"{name:<24} median {ours[0]:8.4f} ms  p95 {ours[1]:8.4f} ms   |  dict median {base[0]:8.4f} ms"
        f"  p95 {base[1]:8.4f} ms   |  ratio (ours/dict) median {ours[0] / base[0]:6.1f}x  p95 {ours[1] / base[1]:6.1f}x"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Build or reuse a gazetteer and print load and lookup figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", default="", help="postcode areas to load, comma-separated (default: all)")
    parser.add_argument("--reuse", help="use this gazetteer file (built first if it does not exist)")
    args = parser.parse_args(argv)
    areas = [a for a in args.areas.split(",") if a.strip()] or None

    tmp = None
    if args.reuse:
        path = Path(args.reuse)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="geo-bench-")
        path = Path(tmp.name) / "geo.sqlite"

    print(f"cpu count: {os.cpu_count()}  sqlite {sqlite3.sqlite_version}  python {sys.version.split()[0]}")
    if not path.exists():
        stats = load_gazetteer(path, areas=areas)
        print(
            f"full load ({','.join(areas) if areas else 'all GB'}): {stats.seconds:.1f} s, "
            f"{stats.postcodes:,} postcodes ({stats.postcodes / stats.seconds:,.0f} rows/s), "
            f"{stats.outcodes:,} districts, {stats.places:,} places; file {path.stat().st_size / 1e6:.0f} MB"
        )
        print("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stats.timings.items()))
    else:
        print(f"reusing {path} ({path.stat().st_size / 1e6:.0f} MB)")

    gaz = Gazetteer(path)
    raw = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    rows = raw.execute("SELECT postcode, lat, lon, lad_code, live FROM postcodes").fetchall()
    outcodes = [r[0] for r in raw.execute("SELECT outcode FROM outcodes")]
    places = [r[0] for r in raw.execute("SELECT DISTINCT name FROM places")]
    raw.close()

    # Baselines: the same rows held in plain dicts, keyed the same way, looked up with the same parsing.
    by_postcode = {r[0]: r[1:] for r in rows}
    by_outcode = {o: o for o in outcodes}
    by_place: dict[str, str] = {normalise_place_name(p): p for p in places}

    rng = random.Random(1)
    pc_keys = [rng.choice(rows)[0] for _ in range(LOOKUPS)]
    # Mix spellings the way people type them, so parsing is part of both sides.
    pc_keys = [k.lower().replace(" ", "") if i % 2 else k for i, k in enumerate(pc_keys)]
    oc_keys = [rng.choice(outcodes).lower() for _ in range(LOOKUPS)]
    town_keys = [rng.choice(places).lower() for _ in range(LOOKUPS)]
    print(
        f"{LOOKUPS:,} random warm lookups each; {len(rows):,} postcodes, {len(outcodes):,} districts, {len(places):,} place names"
    )

    report(
        "postcode geocode",
        timed(gaz.geocode_postcode, pc_keys),
        timed(lambda k: by_postcode.get(str(parse_postcode(k))), pc_keys),
    )
    report(
        "district centroid",
        timed(gaz.outcode_centroid, oc_keys),
        timed(lambda k: by_outcode.get(parse_outcode(k)), oc_keys),
    )
    report(
        "town find_places",
        timed(gaz.find_places, town_keys),
        timed(lambda k: by_place.get(normalise_place_name(k)), town_keys),
    )
    report(
        "resolve_place (postcode)",
        timed(gaz.resolve_place, pc_keys),
        timed(lambda k: by_postcode.get(str(parse_postcode(k))), pc_keys),
    )
    gaz.close()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
