"""Benchmark search honestly: Whoosh (our schema, our query path) against a fair SQLite FTS5, query by query.

Usage:
    .venv/bin/python bench/search.py --quick              # 10,000 listings only, fewer queries (~2 minutes)
    .venv/bin/python bench/search.py                      # 10,000 then 100,000 listings
    .venv/bin/python bench/search.py --n 100000 --queries 300

What it measures, per N (the corpus and streams are in ``bench/corpus.py``):
(a) warm, distinct: after a warm-up on OTHER queries, a stream in which no query text is repeated; each query is
    run once on each engine, interleaved (the order alternating) so machine noise hits both alike;
(b) first queries after an index update: one listing is updated and committed (as the app's change-log follower
    does) on both engines, then the next 50 distinct queries are timed; ``--updates`` cycles are pooled. Whoosh's
    first query includes reopening the searcher (what every worker does after an edit);
(c) repeated: queries of pass (a) run again, on their own line (caches make these cheaper: never the headline).
p50/p95/p99 and Whoosh/FTS5 ratios are printed per pass, with `uptime`'s load average before and after.

To judge a change to the search code, ``--baseline-src /path/to/other/checkout`` runs that checkout's
``microdir/search/queries.py`` and ``postings.py`` as a third engine on the same index (a searcher and caches of
its own), interleaved query by query, and prints this code's time over the baseline's. ``--profile FILE`` writes
a cProfile of pass (a) (this code only) and prints its top functions; ``--slowest K`` lists pass (a)'s slowest
queries.

The FTS5 baseline is built as a competent engineer would: porter unicode61, bm25 with column weights
(name 3, topics 2, rest 1), the same need-free words dropped and synonyms expanded, typos expanded against the
vocabulary (edit distance 1), a relaxed OR pass when fewer than 5 match every word, filters through an indexed
(field, value, docid) table, facet counts over the filtered match set (GROUP BY), and distance through an R*Tree
bounding box widened 5 → 10 → 25 miles with exact miles in Python, plus areas served and remote services.

The index build, `flask index rebuild` through the app, and edit→searchable are measured too (skipped by --quick).
Built indexes are cached in --cache-dir, keyed by N and the code that shapes documents, so repeat runs start fast.
Prints figures, not pass/fail. Targets (issue 17): at 100k, warm distinct p95 ≤ FTS5's and ≤ 100 ms; after an
update, p95 ≤ 2× the warm p95; at 10k, p95 ≤ 15 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib.util
import io
import json
import math
import os
import pstats
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import FUNCTION, SHARED, Corpus, QueryStream, add_listings  # noqa: E402
from microdir.search import indexer, sidecars  # noqa: E402
from microdir.search.analysis import fold, text_analyzer  # noqa: E402
from microdir.search.documents import searchable_text  # noqa: E402
from microdir.search.queries import NEED_FREE_WORDS, RELAX_BELOW, SearchRequest, miles_between, run_search  # noqa: E402
from microdir.search.synonyms import STARTER_SYNONYMS, normalise_expansions  # noqa: E402

WIDEN = (5.0, 10.0, 25.0)
WRITE_SIDECARS = True  # --no-sidecars: measure the index as Whoosh alone reads it
FACET_COLUMNS = ["category", "need", "cost", "day", "time", "access", "language", "verified", "capacity", "mode"]


def load_average() -> str:
    """Return `uptime`'s load averages (1, 5, 15 minutes)."""
    try:
        out = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout
        return out.split("load average:")[1].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))] if values else float("nan")


def p3(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 50), percentile(values, 95), percentile(values, 99)


def synonyms() -> dict[str, list[str]]:
    return {k: [e.strip() for e in normalise_expansions(v).split(",")] for k, v in STARTER_SYNONYMS.items()}


def index_key(docs: list[dict[str, Any]], procs: int) -> str:
    """Return a key for a cached Whoosh index: the documents (a sample and the count), procs, schema and analysis."""
    digest = hashlib.sha256(f"{len(docs)}:{procs}".encode())
    for doc in docs[:: max(1, len(docs) // 50)]:
        digest.update(repr(sorted(doc.items())).encode())
    for name in ("microdir/search/schema.py", "microdir/search/analysis.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:16]


# ---- Whoosh ----------------------------------------------------------------------------------------------------------

def build_whoosh(root: str, docs: list[dict[str, Any]], procs: int) -> float:
    from whoosh import index as whoosh_index

    directory = indexer._new_generation(root)
    ix = whoosh_index.open_dir(directory)
    started = time.perf_counter()
    writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else ix.writer()
    for doc in docs:
        writer.add_document(**whoosh_fields(doc))
    writer.commit()
    sidecars.write_missing(directory)  # as `flask index rebuild` does
    seconds = time.perf_counter() - started
    indexer._point_current_at(root, directory)
    return seconds


def whoosh_fields(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def whoosh_update(root: str, doc: dict[str, Any]) -> float:
    """Update one listing as the change-log follower does (a writer, update_document, commit); return ms."""
    from whoosh import index as whoosh_index

    started = time.perf_counter()
    ix = whoosh_index.open_dir(indexer.current_dir(root))
    with ix.writer(timeout=indexer.WRITER_TIMEOUT_SECONDS) as writer:
        writer.update_document(**whoosh_fields(doc))
    if WRITE_SIDECARS:
        sidecars.write_missing(indexer.current_dir(root))  # as the indexer does after each commit
    return (time.perf_counter() - started) * 1000


# ---- FTS5 -------------------------------------------------------------------------------------------------------------

def build_fts(path: str, docs: list[dict[str, Any]]) -> float:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(name, topics, description, eligibility, place, organisation, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE facet(docid INTEGER, field TEXT, value TEXT)")
    # Each listing's facet values in one row, counted in Python: 5–10× faster than GROUP BY over the facet table
    # joined to a broad match set (measured at 10k: ~170 ms for 3,000 matches on a loaded machine).
    con.execute("CREATE TABLE docfacets(docid INTEGER PRIMARY KEY, codes TEXT)")
    con.execute("CREATE VIRTUAL TABLE geo USING rtree(id, minlat, maxlat, minlon, maxlon, +docid INTEGER)")
    with con:
        for i, d in enumerate(docs, 1):
            p = d["_parts"]
            con.execute("INSERT INTO fts(rowid, name, topics, description, eligibility, place, organisation) "
                        "VALUES (?,?,?,?,?,?,?)", (i, p["name"], p["topics"], p["description"], p["eligibility"],
                                                   p["place"], p["organisation"]))
            con.executemany("INSERT INTO facet VALUES (?,?,?)",
                            [(i, f, v) for f in [*FACET_COLUMNS, "area_lad"] for v in d[f].split(",") if v])
            con.execute("INSERT INTO docfacets VALUES (?, ?)",
                        (i, " ".join(f"{f}={v}" for f in FACET_COLUMNS for v in d[f].split(",") if v)))
            con.executemany("INSERT INTO geo(id, minlat, maxlat, minlon, maxlon, docid) VALUES (?,?,?,?,?,?)",
                            [(i * 4 + k, lat, lat, lon, lon, i) for k, (lat, lon) in enumerate(d["points"])])
        con.execute("CREATE INDEX facet_fv ON facet(field, value, docid)")
        con.execute("CREATE INDEX facet_doc ON facet(docid, field, value)")
    con.execute("PRAGMA optimize")
    con.close()
    return time.perf_counter() - started


def fts_update(con: sqlite3.Connection, rowid: int, doc: dict[str, Any]) -> float:
    started = time.perf_counter()
    with con:
        con.execute("UPDATE fts SET description = ? WHERE rowid = ?", (doc["_parts"]["description"], rowid))
    return (time.perf_counter() - started) * 1000


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters} | {a + c + b for a, b in splits for c in letters})


class Fts:
    """The FTS5 baseline: one connection, a temp table for the filtered match set."""

    def __init__(self, path: str, syn: dict[str, list[str]]) -> None:
        self.con = sqlite3.connect(path)
        self.con.execute("CREATE TEMP TABLE m(docid INTEGER PRIMARY KEY, score REAL)")
        self.con.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts, 'row')")
        self.vocab = {r[0] for r in self.con.execute("SELECT term FROM temp.vocab")}
        self.syn = syn
        self.stop = set(FUNCTION)

    def _word(self, word: str) -> str:
        if word in self.vocab:
            return f'"{word}"'
        fixes = sorted((_edits1(word) & self.vocab) - {word})
        return "(" + " OR ".join(f'"{f}"' for f in fixes[:20]) + ")" if fixes else f'"{word}"'

    def groups(self, text: str) -> list[str]:
        """Return one MATCH group per word or synonym phrase (the same words dropped as the app drops)."""
        words = [w for w in re.findall(r"[\w']+", fold(text)) if w not in self.stop]
        content = [w for w in words if w not in NEED_FREE_WORDS]
        words = content or words
        out, i = [], 0
        while i < len(words):
            for size in range(min(4, len(words) - i), 0, -1):
                term = " ".join(words[i:i + size])
                if term in self.syn:
                    alternatives = [f'"{term}"'] + [f'"{e}"' for e in self.syn[term] if e]
                    out.append("(" + " OR ".join(alternatives) + ")")
                    i += size
                    break
            else:
                out.append(self._word(words[i].strip("'")))
                i += 1
        return out

    def _fill(self, match: str, filters: dict[str, list[str]]) -> int:
        con = self.con
        con.execute("DELETE FROM m")
        sql = "INSERT INTO m SELECT rowid, bm25(fts, 3, 2, 1, 1, 1, 1) FROM fts WHERE fts MATCH ?"
        params: list[Any] = [match]
        for field, values in filters.items():
            # Per match, through the (docid, field, value) index: cheaper than materialising a broad facet.
            sql += (f" AND EXISTS (SELECT 1 FROM facet WHERE docid = fts.rowid AND field = ? AND value IN "
                    f"({','.join('?' * len(values))}))")
            params += [field, *values]
        con.execute(sql, params)
        return int(con.execute("SELECT count(*) FROM m").fetchone()[0])

    def run(self, request: SearchRequest) -> int:
        """Run the FTS5 equivalent of a resident search; return the number of results."""
        con = self.con
        groups = self.groups(request.text)
        total = self._fill(" AND ".join(groups) or '""', request.filters)
        if total < RELAX_BELOW and len(groups) > 1:
            total = self._fill(" OR ".join(groups), request.filters)
        Counter(chain.from_iterable(codes.split() for (codes,) in con.execute(
            "SELECT d.codes FROM m JOIN docfacets d ON d.docid = m.docid")))
        place = request.place
        if place is None:
            con.execute("SELECT docid FROM m ORDER BY score LIMIT ?", (request.per_page,)).fetchall()
            return total
        lat, lon = place.lat, place.lon
        others = []
        for field, value in (("area_lad", place.lad_code or ""), ("mode", "remote")):  # areas served, remote
            others += con.execute("SELECT m.docid, m.score FROM facet f JOIN m ON m.docid = f.docid "
                                  "WHERE f.field = ? AND f.value = ?", (field, value)).fetchall()
        near: dict[int, tuple[float, float]] = {}
        for radius in WIDEN:
            dlat, dlon = radius / 69.0, radius / (69.0 * math.cos(math.radians(lat)))
            rows = con.execute("SELECT g.docid, g.minlat, g.minlon, m.score FROM geo g JOIN m ON m.docid = g.docid "
                               "WHERE g.minlat >= ? AND g.maxlat <= ? AND g.minlon >= ? AND g.maxlon <= ?",
                               (lat - dlat, lat + dlat, lon - dlon, lon + dlon)).fetchall()
            near = {}
            for docid, a, b, score in rows:
                miles = miles_between(lat, lon, a, b)
                if miles <= radius and (docid not in near or miles < near[docid][0]):
                    near[docid] = (miles, score)
            if len(near) + len(others) >= request.per_page:
                break
        best = min([s for _, s in near.values()] + [s for _, s in others], default=-1.0) or -1.0
        blended = [(0.7 * s / best + 0.3 / (1 + miles / 3), d) for d, (miles, s) in near.items()]
        blended += [(0.7 * s / best + 0.3 / (1 + 1 / 3), d) for d, s in others]
        sorted(blended, reverse=True)[: request.per_page]
        return len(near) + len(others)


# ---- through the real app: `flask index rebuild` and edit → searchable --------------------------------------------------

def _bench_app(tmp: str) -> Any:
    import flask_migrate

    from microdir import create_app
    from microdir.domain.taxonomy import seed_taxonomy
    from microdir.extensions import db
    from microdir.geo import load_gazetteer

    load_gazetteer(os.path.join(tmp, "geo.sqlite"), postcodes_csv=str(SHARED / "geo" / "sample_postcodes.csv"))
    app = create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "SEARCH_INDEX_DIR": f"{tmp}/index", "GEO_DATABASE": f"{tmp}/geo.sqlite",
                      "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        flask_migrate.upgrade()
        db.create_all()  # any model another branch has not migrated yet
        seed_taxonomy()
    return app


# Run in a fresh interpreter with one checkout's code on the path: `flask index rebuild` of the bench directory.
_REBUILD_ONE = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from microdir import create_app
from microdir.search import indexer
tmp, procs = sys.argv[2], (int(sys.argv[3]) if sys.argv[3] != "auto" else None)
app = create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                  "SEARCH_INDEX_DIR": f"{tmp}/index-{os.getpid()}", "GEO_DATABASE": f"{tmp}/geo.sqlite",
                  "SEARCH_SYNC_ON_COMMIT": False})
with app.app_context():
    started = time.perf_counter()
    count, _ = indexer.rebuild(app, procs=procs)
    seconds = time.perf_counter() - started
print(json.dumps({"count": count, "seconds": seconds}))
"""


def _rebuild_in(src: str, tmp: str, procs: int | None) -> tuple[int, float]:
    done = subprocess.run([sys.executable, "-c", _REBUILD_ONE, src, tmp, str(procs or "auto")], check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": src})
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return int(figures["count"]), float(figures["seconds"])


def app_rebuild(listings: int, procs: int | None, runs: int = 1,
                baseline_src: str | None = None) -> dict[str, list[tuple[int, float]]]:
    """Time `flask index rebuild` (database read included) of one SQLite directory of ``listings``, ``runs`` times.

    Each rebuild runs in a fresh process (as the command does). With ``baseline_src``, that checkout's rebuild of
    the same directory alternates with this one's (ABBA order), so machine noise hits both.
    """
    from microdir.extensions import db

    tmp = tempfile.mkdtemp(prefix="microdir-bench-")
    here = str(Path(__file__).resolve().parent.parent)
    timings: dict[str, list[tuple[int, float]]] = {"this": [], "baseline": []}
    try:
        app = _bench_app(tmp)
        with app.app_context():
            add_listings(Corpus(listings, seed=5), listings)
            db.session.remove()
        for run in range(runs):
            order = [("this", here), ("baseline", baseline_src)] if baseline_src else [("this", here)]
            for name, src in order if run % 2 == 0 else reversed(order):
                assert src is not None
                timings[name].append(_rebuild_in(src, tmp, procs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return timings


def edit_latency(listings: int, edits: int) -> list[float]:
    from microdir.extensions import db
    from microdir.models import Service
    from microdir.search import SearchRequest as Request
    from microdir.search import search_services

    tmp = tempfile.mkdtemp(prefix="microdir-bench-")
    try:
        app = _bench_app(tmp)
        app.config["SEARCH_SYNC_ON_COMMIT"] = True  # the embedded default: the commit hook indexes
        with app.app_context():
            add_listings(Corpus(listings, seed=11), listings)
            samples = []
            services = db.session.scalars(db.select(Service).limit(edits)).all()
            for i, service in enumerate(services):
                word = f"zebrafinch{i}x"
                started = time.perf_counter()
                service.description = f"Now with {word} sessions."
                db.session.commit()
                found = search_services(Request(text=word)).hits
                samples.append((time.perf_counter() - started) * 1000)
                assert found and found[0].service_id == service.id, "edit was not searchable"
            db.session.remove()
        return samples
    finally:
        shutil.rmtree(tmp, ignore_errors=True)



# ---- the passes -------------------------------------------------------------------------------------------------------

def load_baseline(src: str) -> Any:
    """Return another checkout's ``run_search`` (its queries.py and postings.py), and its SegmentStore class.

    Loaded as separate modules inside this ``microdir.search`` package, so the baseline uses its own postings code
    and this checkout's indexer, schema and analysis (the index on disk is the same).
    """
    import microdir.search as package

    modules: dict[str, Any] = {}
    saved = {name: sys.modules.get(f"microdir.search.{name}") for name in ("postings", "queries")}
    try:
        for name in ("postings", "queries"):
            spec = importlib.util.spec_from_file_location(f"microdir.search.{name}",
                                                          os.path.join(src, "microdir", "search", f"{name}.py"))
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            # ``from . import postings`` in the baseline's queries.py must find the baseline's postings.py
            sys.modules[f"microdir.search.{name}"] = module
            setattr(package, name, module)
            spec.loader.exec_module(module)
            modules[name] = module
    finally:
        for name, kept in saved.items():
            if kept is not None:
                sys.modules[f"microdir.search.{name}"] = kept
                setattr(package, name, kept)
    return modules["queries"].run_search, modules["postings"].SegmentStore


def _answer(results: Any) -> tuple[Any, ...]:
    """Return what a resident sees of a search: the hits in order (with scores and labels), counts and hints."""
    return (results.total, [(h.service_id, h.score, h.distance_miles, h.mode, h.label) for h in results.hits],
            results.facets, results.suggestion, results.widened_to_miles, results.relaxed, results.corrected_terms)


class Bench:
    """Both engines on one corpus; each pass runs every query once per engine, interleaved."""

    def __init__(self, root: str, fts_path: str | None, syn: dict[str, list[str]], baseline_src: str | None = None,
                 profile: cProfile.Profile | None = None) -> None:
        self.root = root
        self.manager = indexer.IndexManager(root)
        self.syn = syn
        self.fts = Fts(fts_path, syn) if fts_path else None
        self.baseline_manager: indexer.IndexManager | None = None
        if baseline_src:
            self.baseline_search, store_class = load_baseline(baseline_src)
            self.baseline_manager = indexer.IndexManager(root)
            self.baseline_manager.store = store_class()
        self.profile = profile
        self.profiling = False
        # The query analyser remembers every word it stemmed: each engine gets a memory of its own, so the second
        # engine to meet a typo's ~500 spelling candidates does not find them already stemmed by the first.
        self.words: dict[str, dict[str, str | None]] = {"whoosh": {}, "base": {}}
        self.answers: dict[str, Any] = {}
        self.differing: list[str] = []  # queries on which this code and the baseline answered differently

    def whoosh(self, request: SearchRequest) -> int:
        with self.manager.use() as state:
            if self.profile is not None and self.profiling:
                self.profile.enable()
            try:
                results = run_search(state, request, self.syn)
            finally:
                if self.profile is not None and self.profiling:
                    self.profile.disable()
        self.answers["whoosh"] = _answer(results)
        return results.total

    def baseline(self, request: SearchRequest) -> int:
        assert self.baseline_manager is not None
        with self.baseline_manager.use() as state:
            results = self.baseline_search(state, request, self.syn)
        self.answers["base"] = _answer(results)
        return int(results.total)

    def run(self, queries: list[tuple[str, SearchRequest]]) -> dict[str, Any]:
        out: dict[str, Any] = {"whoosh": [], "fts": [], "base": [], "kinds": [], "w_total": 0, "f_total": 0,
                               "b_total": 0, "texts": []}
        for i, (kind, request) in enumerate(queries):
            engines: list[tuple[str, Callable[[SearchRequest], int]]] = [("whoosh", self.whoosh)]
            if self.baseline_manager is not None:
                engines.append(("base", self.baseline))
            if self.fts is not None:
                engines.append(("fts", self.fts.run))
            # rotate the order, so each engine goes first as often as the others
            shift = i % len(engines)
            engines = engines[shift:] + engines[:shift]
            for name, engine in engines:
                if name in self.words:
                    text_analyzer()._words = self.words[name]  # type: ignore[attr-defined]
                started = time.perf_counter()
                total = engine(request)
                out[name].append((time.perf_counter() - started) * 1000)
                out[{"whoosh": "w_total", "fts": "f_total", "base": "b_total"}[name]] += total
                if name == "whoosh":
                    out["texts"].append((request.text, total))
            out["kinds"].append(kind)
            if "base" in self.answers and self.answers.pop("base") != self.answers.get("whoosh"):
                self.differing.append(request.text)
        return out


def _cells(values: list[float]) -> str:
    a, b, c = p3(values)
    return f"{a:7.1f} {b:7.1f} {c:7.1f}"


def _ratio(w: list[float], f: list[float]) -> str:
    if not f:
        return ""
    return " ".join(f"{x / y:5.1f}×" if y else "   –  " for x, y in zip(p3(w), p3(f), strict=True))


def report_line(label: str, result: dict[str, Any]) -> str:
    w, f, b = result["whoosh"], result["fts"], result.get("base") or []
    line = f"{label:34} {len(w):5} {_cells(w)}"
    if f:
        line += f"   {_cells(f)}   {_ratio(w, f)}"
    if b:
        line += f"   base {_cells(b)}   new/base {_ratio(w, b)}"
    return line


def header(with_fts: bool, with_base: bool = False) -> str:
    line = f"{'pass':34} {'n':>5} {'whoosh p50':>7} {'p95':>7} {'p99':>7}"
    if with_fts:
        line += f"   {'fts5 p50':>7} {'p95':>7} {'p99':>7}   {'whoosh/fts5 p50 p95 p99':>22}"
    if with_base:
        line += f"   base {'p50':>7} {'p95':>7} {'p99':>7}   {'new/base p50 p95 p99':>22}"
    return line + "   (ms)"


def by_kind(result: dict[str, Any]) -> list[str]:
    lines = []
    for kind in QueryStream.KINDS:
        picked = [i for i, k in enumerate(result["kinds"]) if k == kind]
        if picked:
            sub = {key: [result[key][i] for i in picked] if result.get(key) else [] for key in ("whoosh", "fts", "base")}
            lines.append(report_line(f"    {kind}", sub))
    return lines


def slowest(result: dict[str, Any], queries: list[tuple[str, SearchRequest]], count: int) -> list[str]:
    """Return the ``count`` slowest queries of a pass (this code's time), with what made them what they are."""
    order = sorted(range(len(result["whoosh"])), key=lambda i: -result["whoosh"][i])[:count]
    lines = []
    for i in order:
        kind, request = queries[i]
        extra = f" base {result['base'][i]:7.1f}" if result.get("base") else ""
        extra += f" fts5 {result['fts'][i]:7.1f}" if result.get("fts") else ""
        where = f" near {request.place.label}" if request.place is not None else ""
        lines.append(f"    {result['whoosh'][i]:7.1f} ms{extra}  {kind:13} {request.text!r}{where} "
                     f"{request.filters or ''} → {result['texts'][i][1]:,} results")
    return lines


def prepare(args: argparse.Namespace, n: int, docs: list[dict[str, Any]], work: str) -> tuple[str, str]:
    """Return (index root, FTS5 path) in ``work``: Whoosh built now or copied from an earlier run; FTS5 built now."""
    procs = indexer.rebuild_procs(n) if args.procs is None else args.procs
    cache = Path(args.cache_dir) / f"n{n}-{index_key(docs, procs)}" if args.cache_dir else None
    root, fts_path = os.path.join(work, "index"), os.path.join(work, "fts.sqlite")
    if cache is not None and (cache / "meta.json").exists():
        meta = json.loads((cache / "meta.json").read_text())
        started = time.perf_counter()
        written = sidecars.write_missing(indexer.current_dir(str(cache / "index")))  # an index cached before them
        if written:
            print(f"sidecars written for the cached index's {len(written)} segments in "
                  f"{time.perf_counter() - started:.1f} s")
        shutil.copytree(cache / "index", root, symlinks=True)
        seconds = float(meta["whoosh_s"])
        print(f"whoosh index copied from {cache} (built there in {seconds:.1f} s, {n / seconds:,.0f} services/s, "
              f"procs={procs})")
    else:
        seconds = build_whoosh(root, docs, procs)
        size = sum(f.stat().st_size for f in Path(indexer.current_dir(root)).iterdir()) / 1e6
        print(f"whoosh build: {seconds:.1f} s, {n / seconds:,.0f} services/s (procs={procs}), {size:.1f} MB; "
              f"load {load_average()}")
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir(parents=True)
            shutil.copytree(root, cache / "index", symlinks=True)
            (cache / "meta.json").write_text(json.dumps({"whoosh_s": seconds}))
    if args.no_sidecars:
        for path in Path(indexer.current_dir(root)).glob(f"*{sidecars.SUFFIX}"):
            path.unlink()
    if args.skip_fts:
        return root, fts_path
    fts_seconds = build_fts(fts_path, docs)
    print(f"fts5 build: {fts_seconds:.1f} s, {n / fts_seconds:,.0f} services/s (whoosh took {seconds / fts_seconds:.1f}× "
          f"as long)")
    return root, fts_path


def bench_n(args: argparse.Namespace, n: int) -> None:
    print(f"\n== N={n:,} listings; {args.queries} warm distinct queries, {args.updates}×{args.after_update} after "
          f"updates, {args.repeats} repeats; load average {load_average()}")
    corpus = Corpus(n)
    started = time.perf_counter()
    docs = [corpus.document(i) for i in range(n)]
    print(f"generated corpus in {time.perf_counter() - started:.1f} s")
    stream = QueryStream(corpus)
    warmup = stream.take(args.warmup)
    warm = stream.take(args.queries)
    after = [stream.take(args.after_update) for _ in range(args.updates)]
    work = tempfile.mkdtemp(prefix="microdir-search-bench-")
    try:
        root, fts_path = prepare(args, n, docs, work)
        profile = cProfile.Profile() if args.profile else None
        bench = Bench(root, None if args.skip_fts else fts_path, synonyms(), args.baseline_src, profile)
        bench.run(warmup)  # opens the searcher, fills caches and the OS page cache: not reported
        print(header(bench.fts is not None, bench.baseline_manager is not None))
        load_before = load_average()
        bench.profiling = True
        result = bench.run(warm)
        bench.profiling = False
        print(report_line("(a) warm, distinct", result))
        for line in by_kind(result):
            print(line)
        if bench.fts is not None:
            print(f"    results per query (sanity): whoosh {result['w_total'] / len(warm):,.0f}, "
                  f"fts5 {result['f_total'] / len(warm):,.0f}")
        if bench.baseline_manager is not None:
            print(f"    results per query (sanity): new {result['w_total'] / len(warm):,.0f}, "
                  f"baseline {result['b_total'] / len(warm):,.0f}; answers differing from the baseline's: "
                  f"{len(bench.differing)} {bench.differing[:5]}")
        if args.slowest:
            print(f"    slowest {args.slowest} of (a):")
            for line in slowest(result, warm, args.slowest):
                print(line)
        if profile is not None:
            profile.dump_stats(args.profile)
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(40)
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
            print(f"    cProfile of (a), this code only, written to {args.profile}:")
            print(text.getvalue())
        pooled: dict[str, Any] = {"whoosh": [], "fts": [], "base": [], "kinds": []}
        firsts: dict[str, list[float]] = {"whoosh": [], "fts": [], "base": []}
        writes: dict[str, list[float]] = {"whoosh": [], "fts": []}
        for cycle, queries in enumerate(after if not args.skip_after_update else []):
            rowid = (cycle * 7919) % n
            doc = dict(docs[rowid], version=2 + cycle)
            doc["_parts"] = dict(doc["_parts"], description=doc["_parts"]["description"] + f" updated{cycle}")
            doc["text"] = searchable_text(doc["_parts"])
            writes["whoosh"].append(whoosh_update(root, doc))
            if bench.fts is not None:
                writes["fts"].append(fts_update(bench.fts.con, rowid + 1, doc))
            part = bench.run(queries)
            for key in ("whoosh", "fts", "base"):
                pooled[key] += part[key]
                if part[key]:
                    firsts[key].append(part[key][0])
        if pooled["whoosh"]:
            print(report_line(f"(b) first {args.after_update} after an update", pooled))
            line = f"    first query alone (×{args.updates}): whoosh max {max(firsts['whoosh']):.0f} ms"
            if firsts["fts"]:
                line += f", fts5 max {max(firsts['fts']):.0f} ms"
            if firsts["base"]:
                line += f", baseline max {max(firsts['base']):.0f} ms"
            print(line + f"; update+commit whoosh p50 {percentile(writes['whoosh'], 50):.0f} ms"
                  + (f", fts5 {percentile(writes['fts'], 50):.1f} ms" if writes["fts"] else ""))
        if args.repeats:
            repeated = bench.run(warm[: args.repeats])
            print(report_line("(c) repeated (queries seen in (a))", repeated))
        if pooled["whoosh"]:
            wp95 = percentile(result["whoosh"], 95)
            print(f"after-update p95 / warm p95 = {percentile(pooled['whoosh'], 95) / wp95:.1f}× (target ≤ 2×)")
        if bench.baseline_manager is not None:
            print(f"answers differing from the baseline's, all passes: {len(bench.differing)} {bench.differing[:5]}")
        print(f"load average before (a) {load_before}, now {load_average()}")
        bench.manager.close()
        if bench.baseline_manager is not None:
            bench.baseline_manager.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- main -------------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", default="10000,100000", help="listings, comma-separated (default 10000,100000)")
    parser.add_argument("--quick", action="store_true", help="10,000 listings, 150 queries, no app measurements")
    parser.add_argument("--queries", type=int, default=300, help="warm distinct queries timed per N")
    parser.add_argument("--warmup", type=int, default=100, help="distinct queries run first, not timed")
    parser.add_argument("--after-update", type=int, default=50, help="queries timed after each index update")
    parser.add_argument("--updates", type=int, default=3, help="index updates (each followed by --after-update)")
    parser.add_argument("--repeats", type=int, default=100, help="queries of pass (a) run again")
    parser.add_argument("--procs", type=int, default=None,
                        help="writer processes (default: as `flask index rebuild`, 2 from 2,000 listings on 2+ cores)")
    parser.add_argument("--skip-fts", action="store_true")
    parser.add_argument("--skip-edit", action="store_true")
    parser.add_argument("--skip-after-update", action="store_true", help="skip pass (b)")
    parser.add_argument("--no-sidecars", action="store_true",
                        help="delete the per-segment sidecars of the working copy (to measure without them)")
    parser.add_argument("--baseline-src", default=None,
                        help="another checkout whose search code runs interleaved as a baseline (old vs new)")
    parser.add_argument("--profile", default=None, help="write a cProfile of pass (a) to this file and print it")
    parser.add_argument("--slowest", type=int, default=0, help="list pass (a)'s slowest queries")
    parser.add_argument("--edit-listings", type=int, default=500)
    parser.add_argument("--rebuild-listings", type=int, default=3000,
                        help="listings in the SQLite directory `flask index rebuild` reads (0 to skip)")
    parser.add_argument("--rebuild-runs", type=int, default=1,
                        help="rebuilds of that directory (alternating with --baseline-src's, when given)")
    parser.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "microdir-search-bench-cache"),
                        help="where built indexes are kept between runs ('' to always build)")
    args = parser.parse_args()
    global WRITE_SIDECARS
    WRITE_SIDECARS = not args.no_sidecars
    sizes = [int(x) for x in str(args.n).split(",") if x.strip()]
    if args.quick:
        sizes = [10_000]
        args.queries, args.warmup, args.repeats = 150, 50, 50
        args.skip_edit, args.rebuild_listings = True, 0
    print(f"microdir search benchmark, python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
          f"load average {load_average()}")
    for n in sizes:
        bench_n(args, n)
    if args.rebuild_listings:
        timings = app_rebuild(args.rebuild_listings, args.procs, args.rebuild_runs, args.baseline_src)
        procs = indexer.rebuild_procs(args.rebuild_listings) if args.procs is None else args.procs
        print(f"flask index rebuild through the app (SQLite, {args.rebuild_listings:,} listings read, documents "
              f"built, written with sidecars, swapped; procs={procs}; each run a fresh process):")
        for name, runs in timings.items():
            if runs:
                rates = sorted(count / seconds for count, seconds in runs)
                print(f"  {name}: " + ", ".join(f"{count / seconds:,.0f}" for count, seconds in runs)
                      + f" services/s; median {rates[len(rates) // 2]:,.0f} ({runs[0][0]:,} indexed)")
        if timings["baseline"]:
            ratios = sorted(b[1] / t[1] for t, b in zip(timings["this"], timings["baseline"], strict=True))
            print(f"  baseline time / this time, paired: median {ratios[len(ratios) // 2]:.2f}x "
                  f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})")
        print(f"  load average {load_average()}")
    if not args.skip_edit:
        samples = edit_latency(args.edit_listings, 30)
        print(f"edit→searchable through the app (SQLite, {args.edit_listings} listings, commit + search): "
              f"p50 {percentile(samples, 50):.0f} ms, p95 {percentile(samples, 95):.0f} ms, max {max(samples):.0f} ms")


if __name__ == "__main__":
    main()
