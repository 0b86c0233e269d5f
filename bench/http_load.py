"""`make bench-http`: the results page end to end, under load: gunicorn (2 workers) and wrk over distinct search URLs.

Usage:
    .venv/bin/python bench/http_load.py                      # 10,000 services, 30 s of load, 16 connections
    .venv/bin/python bench/http_load.py --n 2000 --seconds 10
    .venv/bin/python bench/http_load.py --database-url postgresql://postgres@127.0.0.1:5432/mydb

It builds a directory of --n services (``bench/corpus.py``, placed in the postcode areas of the sample gazetteer so
place searches find things) in SQLite (or the PostgreSQL database given, which it empties first) with its search
index, and caches it in --cache-dir for later runs. It starts gunicorn exactly as deploy/systemd/microdir-web.service
does (2 workers, production settings), warms each worker for 5 s on 400 URLs that are not timed, then runs wrk (a
Debian package) for --seconds over --urls distinct search URLs (text, places, filters, pages, in turn), each wrk
thread going through its own slice in order, so no URL is asked for twice (if a thread ran past its slice, the
repeats are counted and printed). Prints requests/s, p50/p99, errors, repeats and the weight of one results page
with its CSS and JS: as sent (Content-Encoding) and gzipped. gunicorn is stopped by its process group.
Goal (issue 17): ≥ 150 requests/s, p99 ≤ 200 ms, 0 errors, page ≤ 60 KB gzipped and sent compressed.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import SHARED, Corpus, QueryStream, add_listings  # noqa: E402
from bench.search import load_average  # noqa: E402

SAMPLE_POSTCODES = SHARED / "geo" / "sample_postcodes.csv"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def sample_postcodes() -> list[str]:
    with open(SAMPLE_POSTCODES, newline="", encoding="utf-8") as f:
        return [r["postcode"] for r in csv.DictReader(f) if r.get("status", "live") == "live" and r["postcode"]]


def postcode_areas(postcodes: list[str]) -> tuple[str, ...]:
    return tuple(sorted({m.group(0) for p in postcodes if (m := re.match(r"[A-Z]+", p.upper()))}))


def cache_key(n: int, database_url: str) -> str:
    digest = hashlib.sha256(f"{n}:{database_url}".encode())
    for name in ("bench/corpus.py", "microdir/search/schema.py", "microdir/search/documents.py",
                 "microdir/search/analysis.py"):
        digest.update((ROOT / name).read_bytes())
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode())
    return digest.hexdigest()[:16]


def settings(instance: Path, database_url: str, public_url: str) -> dict[str, str]:
    """Return the environment of every process: deploy/microdir.env's production settings, on this machine."""
    keys_path = instance / "keys.json"
    if not keys_path.exists():
        from cryptography.fernet import Fernet

        keys_path.write_text(json.dumps({"secret": os.urandom(32).hex(), "fernet": Fernet.generate_key().decode()}))
    keys = json.loads(keys_path.read_text())
    return {
        "FLASK_APP": "microdir:create_app",
        "MICRODIR_CONFIG": "production",
        "DATABASE_URL": database_url,
        "MICRODIR_SECRET_KEY": keys["secret"],
        "MICRODIR_FIELD_ENCRYPTION_KEYS": keys["fernet"],
        "MICRODIR_PUBLIC_URL": public_url,
        "MICRODIR_INSTANCE_PATH": str(instance),
        "MICRODIR_SEARCH_INDEX_DIR": str(instance / "index"),
        "MICRODIR_GEO_DATABASE": str(instance / "geo.sqlite"),
        "MICRODIR_SHARED_DIR": str(SHARED),
    }


def build_directory(instance: Path, n: int, database_url: str, areas: tuple[str, ...]) -> None:
    """Create the database, gazetteer and search index of an ``n``-service directory in ``instance``."""
    import flask_migrate

    from microdir import create_app
    from microdir.domain.taxonomy import seed_taxonomy
    from microdir.extensions import db
    from microdir.geo import load_gazetteer
    from microdir.search import indexer

    started = time.perf_counter()
    load_gazetteer(instance / "geo.sqlite", postcodes_csv=str(SAMPLE_POSTCODES))
    app = create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SEARCH_INDEX_DIR": str(instance / "index"), "GEO_DATABASE": str(instance / "geo.sqlite"),
                      "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        if database_url.startswith("postgresql"):
            db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        flask_migrate.upgrade()
        db.create_all()  # any model another branch has not migrated yet
        seed_taxonomy()
        db.session.commit()
        add_listings(Corpus(n, seed=3, areas=areas), n)
        db.session.remove()
        count, _ = indexer.rebuild(app)
    print(f"built a directory of {count:,} services in {time.perf_counter() - started:.0f} s")


def search_urls(n: int, count: int, postcodes: list[str], seed: int) -> list[str]:
    """Return ``count`` distinct results-page URLs: words, places (postcodes, districts), filters, later pages."""
    rng = random.Random(seed)
    stream = QueryStream(Corpus(min(n, 2000), seed=seed), seed=seed)
    urls: list[str] = []
    seen: set[str] = set()
    kinds = itertools.cycle(QueryStream.KINDS)  # take(1) would start the cycle again: every URL plain text
    while len(urls) < count:
        request = stream.request(next(kinds))
        params: list[tuple[str, str]] = [("q", request.text)]
        if request.place is not None:
            postcode = rng.choice(postcodes)
            params.append(("where", postcode if rng.random() < 0.6 else postcode.split()[0]))
        for name, values in request.filters.items():
            params += [(name, v) for v in values]
        if rng.random() < 0.1:
            params.append(("page", "2"))
        url = "/search?" + urllib.parse.urlencode(params)
        if url not in seen:
            seen.add(url)
            urls.append(url)
    return urls


def lua_script(urls: list[str], threads: int) -> str:
    """Return a wrk script that gives each thread its own slice of ``urls``, in order, and counts repeats.

    No URL is asked for twice unless a thread runs past the end of its slice (then it starts its slice again and
    ``done`` says how many requests were repeats): a response cache would otherwise be measured on repeats.
    """
    quoted = ",\n".join(json.dumps(u) for u in urls)
    return f"""
local paths = {{
{quoted}
}}
local threads = {{}}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  size = math.floor(#paths / {threads})
  first = id * size
  counter = 0
end
function request()
  local path = paths[first + (counter % size) + 1]
  counter = counter + 1
  return wrk.format("GET", path, {{["Accept-Encoding"] = "gzip"}})
end
function done(summary, latency, requests)
  local sent, repeats = 0, 0
  for _, thread in ipairs(threads) do
    local count, size = thread:get("counter"), thread:get("size")
    sent = sent + count
    if count > size then repeats = repeats + count - size end
  end
  io.write(string.format("URLs: %d requests over %d distinct URLs, %d of them repeats\\n", sent, #paths, repeats))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    """Return (bytes as sent, headers) for a GET that accepts gzip."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def page_weight(base: str, path: str) -> list[tuple[str, int, int, str]]:
    """Return (what, bytes as sent, bytes gzipped, encoding) for a results page and the CSS and JS it loads."""
    body, headers = fetch(base + path)
    html = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    rows = [("results page (HTML)", len(body), len(gzip.compress(html, 6)), headers.get("content-encoding", "none"))]
    text = html.decode("utf-8", "replace")
    assets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    assets += re.findall(r'<script[^>]+src="([^"]+)"', text)
    for asset in dict.fromkeys(assets):
        if asset.startswith("http"):
            continue
        sent, asset_headers = fetch(base + asset)
        plain = gzip.decompress(sent) if asset_headers.get("content-encoding") == "gzip" else sent
        rows.append((asset.split("?")[0], len(sent), len(gzip.compress(plain, 6)),
                     asset_headers.get("content-encoding", "none")))
    return rows


def group_cpu_seconds(pgid: int) -> float:
    """Return the CPU time (user + system) used so far by the live processes of process group ``pgid``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def run_wrk(base: str, script: Path, seconds: int, connections: int, threads: int) -> str:
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
            "-s", str(script), base]
    return subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    found: dict[str, Any] = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        found[f"p{pct}"] = _ms(m.group(1)) if m else float("nan")
    found["requests"] = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    repeats = re.search(r"URLs: \d+ requests over \d+ distinct URLs, (\d+) of them repeats", out)
    found["repeats"] = int(repeats.group(1)) if repeats else -1
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    found["errors"] = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(x) for x in socket_errors.groups()) if socket_errors else 0)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="services in the directory")
    parser.add_argument("--seconds", type=int, default=30, help="length of the timed wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--urls", type=int, default=20_000,
                        help="distinct search URLs for the timed run, split between wrk's threads (none repeated "
                             "below ~600 requests/s for 30 s; repeats are counted and printed)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (emptied!); default SQLite in the cache")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: any free one)")
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "microdir-http-bench-cache"))
    args = parser.parse_args()
    if not Path(WRK).exists():
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    postcodes = sample_postcodes()
    key = cache_key(args.n, args.database_url)
    instance = Path(args.cache_dir) / f"n{args.n}-{key}"
    database_url = args.database_url or f"sqlite:///{instance}/bench.db"
    if not (instance / "built").exists():
        shutil.rmtree(instance, ignore_errors=True)
        instance.mkdir(parents=True)
        build_directory(instance, args.n, database_url, postcode_areas(postcodes))
        (instance / "built").write_text("ok")
    else:
        print(f"directory of {args.n:,} services from {instance}")

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **settings(instance, database_url, base)}
    # As deploy/systemd/microdir-web.service starts it.
    argv = [str(GUNICORN), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
            "--graceful-timeout", "20", "--no-control-socket", "microdir:create_app()"]
    log = open(instance / "gunicorn.log", "w")  # noqa: SIM115  # closed in finally
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(base + "/healthz")
        timed = search_urls(args.n, args.urls, postcodes, seed=21)
        timed_set = set(timed)
        warm = [u for u in search_urls(args.n, 400, postcodes, seed=99) if u not in timed_set]
        work = Path(tempfile.mkdtemp(prefix="microdir-http-bench-"))
        try:
            (work / "warm.lua").write_text(lua_script(warm, args.threads))
            (work / "timed.lua").write_text(lua_script(timed, args.threads))
            run_wrk(base, work / "warm.lua", 5, args.connections, args.threads)  # opens searchers, fills caches
            load_before = load_average()
            cpu_before = group_cpu_seconds(server.pid)
            out = run_wrk(base, work / "timed.lua", args.seconds, args.connections, args.threads)
            cpu = group_cpu_seconds(server.pid) - cpu_before
            figures = parse_wrk(out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        weights = page_weight(base, timed[0])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    print(f"gunicorn {args.workers} workers, {args.n:,} services ({'PostgreSQL' if args.database_url else 'SQLite'}); "
          f"wrk {args.threads} threads, {args.connections} connections, {args.seconds} s over {len(timed):,} distinct "
          f"search URLs")
    print(f"requests/s {figures['rps']:.1f}   p50 {figures['p50']:.0f} ms   p90 {figures['p90']:.0f} ms   "
          f"p99 {figures['p99']:.0f} ms   errors {figures['errors']} of {figures['requests']:,}   "
          f"requests that repeated a URL {figures['repeats']:,}")
    # CPU per request is what the other processes on a busy machine cannot change much: the ceiling on an idle
    # machine is (cores / CPU per request).
    per_request = cpu / figures["requests"] * 1000 if figures["requests"] else float("nan")
    print(f"gunicorn CPU {cpu:.1f} s for {figures['requests']:,} requests: {per_request:.1f} ms a request "
          f"(at most {os.cpu_count() or 1} cores / that = {(os.cpu_count() or 1) * 1000 / per_request:.0f} "
          f"requests/s on an otherwise idle machine)")
    total_sent = total_gzip = 0
    for what, sent, gzipped, encoding in weights:
        print(f"  {what:40} sent {sent / 1024:6.1f} KB ({encoding}), gzipped {gzipped / 1024:6.1f} KB")
        total_sent += sent
        total_gzip += gzipped
    print(f"  {'page with its CSS and JS':40} sent {total_sent / 1024:6.1f} KB, gzipped {total_gzip / 1024:6.1f} KB")
    print(f"load average before the timed run {load_before}, after {load_average()}")


if __name__ == "__main__":
    main()
