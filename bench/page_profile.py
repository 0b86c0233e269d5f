"""Where a results page's time goes, in process: a stream of distinct search URLs through the WSGI app.

Usage:
    .venv/bin/python bench/page_profile.py --n 10000 --requests 300          # split per request (wall clock)
    .venv/bin/python bench/page_profile.py --n 10000 --requests 100 --cprofile 30   # and the top functions
    .venv/bin/python bench/page_profile.py --code /path/to/other/checkout    # the same, on another checkout's code

It uses the directory ``bench/http_load.py`` builds and caches (same --n, same --cache-dir; run that first), the
production settings gunicorn gets, and the same kind of URLs (``http_load.search_urls``, none repeated). Each
request goes through the whole WSGI app (routing, session, CSRF, headers, gzip) with ``Accept-Encoding: gzip``. The
split comes from timers wrapped around the named steps; "loading and presenting" is the view's time outside them
(the three result queries and the view models), "request plumbing" is the request's time outside the view
(before/after-request hooks, session, security headers, compression).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _timed(store: dict[str, list[float]], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[name].append(time.perf_counter() - started)
    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="timed distinct requests")
    parser.add_argument("--warm", type=int, default=60, help="untimed distinct requests first")
    parser.add_argument("--cprofile", type=int, default=0, help="then profile this many more; print top functions")
    parser.add_argument("--code", default=str(ROOT), help="checkout whose microdir to run")
    parser.add_argument("--cache-dir", default="/tmp/microdir-http-bench-cache")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--dump", default="", help="write the cProfile stats to this file")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench import http_load

    key = http_load.cache_key(args.n, "")
    instance = Path(args.cache_dir) / f"n{args.n}-{key}"
    if not (instance / "built").exists():
        sys.exit(f"no directory at {instance}: run bench/http_load.py --n {args.n} first")
    database_url = f"sqlite:///{instance}/bench.db"
    os.environ.update(http_load.settings(instance, database_url, "http://127.0.0.1:1"))
    os.chdir(args.code)
    sys.path.insert(0, args.code)
    for name in [m for m in sys.modules if m == "microdir" or m.startswith("microdir.")]:
        del sys.modules[name]  # bench.corpus imported ours; run --code's

    import microdir.geo
    import microdir.search.queries
    from microdir import create_app
    from microdir.public import search_routes

    postcodes = http_load.sample_postcodes()
    urls = http_load.search_urls(args.n, args.warm + args.requests + args.cprofile, postcodes, seed=args.seed)
    assert len(set(urls)) == len(urls)
    app = create_app()
    client = app.test_client()
    headers = {"Accept-Encoding": "gzip"}

    steps: dict[str, list[float]] = defaultdict(list)
    microdir.geo.resolve_place = _timed(steps, "place", microdir.geo.resolve_place)
    microdir.search.queries.search_services = _timed(steps, "search", microdir.search.queries.search_services)
    microdir.search.queries.log_search = _timed(steps, "search log", microdir.search.queries.log_search)
    search_routes.render_template = _timed(steps, "template", search_routes.render_template)  # type: ignore[attr-defined]
    if hasattr(search_routes, "result_views"):
        search_routes.result_views = _timed(steps, "cards", search_routes.result_views)
    hooks: dict[str, list[float]] = defaultdict(list)
    for funcs in (app.before_request_funcs[None], app.after_request_funcs[None]):
        for position, fn in enumerate(funcs):
            name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", repr(fn))
            funcs[position] = _timed(hooks, name.lstrip("_"), fn)
    app.view_functions["resident.search"] = _timed(steps, "view", app.view_functions["resident.search"])

    for url in urls[:args.warm]:
        assert client.get(url, headers=headers).status_code == 200, url
    steps.clear()
    hooks.clear()
    cards = app.extensions.get("microdir_result_cards")
    warm_hits, warm_misses = (cards.hits, cards.misses) if cards is not None else (0, 0)
    totals: list[float] = []
    sizes: list[int] = []
    cpu_started = time.process_time()
    for url in urls[args.warm:args.warm + args.requests]:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        totals.append(time.perf_counter() - started)
        assert response.status_code == 200, url
        sizes.append(len(response.data))
        for step in ("place", "search", "search log", "template", "cards"):
            if len(steps[step]) < len(totals):
                steps[step].append(0.0)

    cpu = time.process_time() - cpu_started
    count = len(totals)
    mean = {name: sum(values) / count for name, values in steps.items()}
    whole = sum(totals) / count
    outside = mean["place"] + mean["search"] + mean["search log"] + mean["template"]
    rows = [
        ("request plumbing (hooks, session, headers, gzip)", whole - mean["view"]),
        ("place parsing (resolve_place)", mean["place"]),
        ("search (search_services)", mean["search"]),
        ("loading and presenting the results", mean["view"] - outside),
        ("  of which result_views (the cards)", mean.get("cards", float("nan"))),
        ("template (render_template)", mean["template"]),
        ("search log (log_search)", mean["search log"]),
    ]
    print(f"{args.code}: {count} distinct results pages, {args.n:,} services; load {os.getloadavg()[0]:.2f}")
    print(f"  per request: mean {whole * 1000:.1f} ms, p50 {statistics.median(totals) * 1000:.1f} ms, "
          f"p99 {sorted(totals)[int(count * 0.99) - 1] * 1000:.1f} ms; gzipped page {statistics.mean(sizes) / 1024:.1f} KB")
    print(f"  CPU per request (this process, less exposed to the machine's load): {cpu / count * 1000:.1f} ms")
    for name, seconds in rows:
        print(f"  {name:52} {seconds * 1000:7.2f} ms  {seconds / whole:6.1%}")

    print("  of the plumbing, hooks (before and after request):")
    for name, values in sorted(hooks.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {name:50} {sum(values) / count * 1000:7.2f} ms")
    if cards is not None:
        hits, misses = cards.hits - warm_hits, cards.misses - warm_misses
        print(f"  card cache in the timed requests: {hits:,} hits, {misses:,} misses "
              f"({hits / max(1, hits + misses):.0%} hits; {len(cards._cards):,} cards kept)")
    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for url in urls[args.warm + args.requests:]:
            client.get(url, headers=headers)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
