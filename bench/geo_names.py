"""Benchmark what villages and localities cost the gazetteer: first-lookup time and memory, and warm lookups.

Usage: .venv/bin/python bench/geo_names.py --before CODE_ROOT:GEO_DB --after CODE_ROOT:GEO_DB [--repeats 3]

Each side is a checkout (its microdir package) and a geo database it built, e.g. main's code with a database
built before localities, and this branch's code with one built after. Every measurement runs in a fresh process
(so memory and "first" are honest), before and after interleaved; it prints figures, not pass/fail:
- first: the first named lookup in a new process (reads the small tables, builds the council and area index);
- suggest: the first misspelt name (spelling suggestions; on the after side this reads the locality names);
- RSS growth for each, in MB;
- warm p50/p95 over streams of distinct inputs, each resolved once: towns, villages, misspellings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(root: str, db: str, streams: dict[str, list[str]]) -> dict[str, float]:
    sys.path.insert(0, root)
    from microdir.geo.lookup import Gazetteer
    from microdir.geo.places import PlaceNotFound

    out: dict[str, float] = {}
    gaz = Gazetteer(db)
    base = rss_mb()
    t = time.perf_counter()
    gaz.resolve_place("Walsall")
    out["first_ms"] = (time.perf_counter() - t) * 1000
    out["first_mb"] = rss_mb() - base
    base = rss_mb()
    t = time.perf_counter()
    try:
        gaz.resolve_place("Shelfeild")
    except PlaceNotFound:
        pass
    out["suggest_ms"] = (time.perf_counter() - t) * 1000
    out["suggest_mb"] = rss_mb() - base
    for name, texts in streams.items():
        samples = []
        for text in texts:
            t = time.perf_counter()
            try:
                gaz.resolve_place(text)
            except PlaceNotFound:
                pass
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        out[f"{name}_p50"] = statistics.median(samples)
        out[f"{name}_p95"] = samples[int(len(samples) * 0.95) - 1]
    out["rss_mb"] = rss_mb()
    return out


def misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, max(2, len(name) - 1))
    return name[:i] + name[i + 1 :] if len(name) > 4 else name + "x"


def make_streams(db: str) -> dict[str, list[str]]:
    rng = random.Random(17)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    towns = sorted({r[0] for r in conn.execute("SELECT name FROM places")})
    villages = sorted({r[0] for r in conn.execute("SELECT name FROM localities")})
    conn.close()
    town_stream = rng.sample(towns, 300)
    return {
        "towns": town_stream,
        "villages": rng.sample(villages, 300),
        "misspelt": [misspell(t, rng) for t in rng.sample(towns, 100)],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        streams = json.loads(sys.stdin.read())
        print(json.dumps(child(args.child[0], args.child[1], streams)))
        return
    after_root, after_db = args.after.split(":")
    streams = make_streams(after_db)
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    keys = ["first_ms", "first_mb", "suggest_ms", "suggest_mb", "towns_p50", "towns_p95", "villages_p50",
            "villages_p95", "misspelt_p50", "misspelt_p95", "rss_mb"]
    print("side   " + " ".join(f"{k:>12}" for k in keys))
    for _ in range(args.repeats):
        for side, spec in (("before", args.before), ("after", args.after)):
            root, db = spec.split(":")
            run = subprocess.run([sys.executable, __file__, "--before", "x", "--after", "x", "--child", root, db],
                                 input=json.dumps(streams), capture_output=True, text=True, check=True)
            figures = json.loads(run.stdout)
            print(f"{side:<6} " + " ".join(f"{figures[k]:>12.2f}" for k in keys))
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
