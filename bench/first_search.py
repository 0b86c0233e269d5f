"""Benchmark a new worker's first search: cold (the search opens the searcher) against warmed before traffic.

Usage: .venv/bin/python bench/first_search.py [--n 10000] [--rounds 3]

Builds a directory of --n listings (bench/corpus.py, SQLite, the sample gazetteer) and its index, then, round by
round and interleaved, drops the app's searcher and times the first search (a) cold, as a worker's first request
was, and (b) after ``search.warm_before_traffic``, which deploy/gunicorn.conf.py runs before a worker accepts.
Prints each time, the medians and their ratio, with the load average before and after: figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "bench")]

from corpus import Corpus, add_listings  # noqa: E402
from search import _bench_app, load_average  # noqa: E402

from microdir.extensions import db  # noqa: E402
from microdir.search import indexer, warm_before_traffic  # noqa: E402
from microdir.search.queries import SearchRequest, search_services  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="listings")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("load average before:", load_average())
    tmp = tempfile.mkdtemp(prefix="microdir-first-search-")
    try:
        app = _bench_app(tmp)
        with app.app_context():
            add_listings(Corpus(args.n, seed=5), args.n)
            db.session.remove()
            indexer.rebuild(app, procs=1)
        times: dict[str, list[float]] = {"cold": [], "warmed": []}
        for number in range(args.rounds):
            for mode in times:
                manager = app.extensions.pop("microdir.search", None)  # a new worker: no searcher yet
                if manager is not None:
                    manager.stop_reopening_ahead()
                    manager.close()
                started = time.perf_counter()
                if mode == "warmed":
                    warm_before_traffic(app)
                warming = time.perf_counter() - started
                with app.test_request_context("/search?q=lunch+club"):
                    started = time.perf_counter()
                    search_services(SearchRequest(text="lunch club"))
                    times[mode].append(time.perf_counter() - started)
                print(f"round {number} {mode:6}  warming {warming * 1000:7.1f} ms  first search "
                      f"{times[mode][-1] * 1000:7.1f} ms", flush=True)
        cold, warmed = statistics.median(times["cold"]), statistics.median(times["warmed"])
        print(f"n={args.n}: median first search cold {cold * 1000:.1f} ms, warmed {warmed * 1000:.1f} ms "
              f"({cold / warmed:.1f}x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print("load average after:", load_average())


if __name__ == "__main__":
    main()
