"""Benchmark search: a synthetic directory of N listings, Whoosh (our schema, our query path) against SQLite FTS5.

Usage:
    .venv/bin/python bench/search.py --n 10000
    .venv/bin/python bench/search.py --n 100000 --skip-edit

The query part needs no database: documents are generated in the shape ``documents.service_document`` returns
and written with ``schema.SCHEMA``; queries go through ``queries.run_search`` (the code ``search_services``
runs). The same corpus and queries run on SQLite FTS5 (porter unicode61, bm25, facets by GROUP BY, distance in
Python on a bounding box) as a baseline measured in the same run. The edit→searchable figure goes through
the real app (SQLite, after-commit hook) with a small directory. Prints figures, not pass/fail.
Targets: p95 ≤ 15 ms at 10k and ≤ 50 ms at 100k for text+distance+facets; rebuild ≥ 1000/s; edit→searchable ≤ 1 s.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from microdir.domain.taxonomy import CATEGORIES, NEEDS  # noqa: E402
from microdir.geo import PlaceKind, ResolvedPlace  # noqa: E402
from microdir.search import indexer  # noqa: E402
from microdir.search.documents import searchable_text  # noqa: E402
from microdir.search.queries import SearchRequest, miles_between, run_search  # noqa: E402
from microdir.search.schema import geocell  # noqa: E402
from microdir.search.synonyms import STARTER_SYNONYMS, normalise_expansions  # noqa: E402

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
TYPOS = {"dementia": "demntia", "befriending": "befreinding", "transport": "transprot", "gardening": "gardneing",
         "walking": "wlaking", "singing": "sinigng", "bereavement": "bereavment", "exercise": "exercsie"}
PHRASES = ["dementia cafe", "someone to talk to", "transport to hospital", "lunch club", "walking group",
           "carers support", "chair exercise", "coffee morning", "art club", "memory cafe"]
# What residents type (SEARCH-NOTES.md): 1–3 specific words. "Realistic" queries draw them from the whole care
# vocabulary; "--legacy-queries" keeps the first version's draw from the 60 most frequent words only, where
# single words match most of the corpus (~45% on average): kept for comparison with earlier figures.
QUERY_WORDS_LEGACY = 60
DAYS = ["mo", "tu", "we", "th", "fr", "sa", "su"]
ACCESS = ["step_free", "accessible_toilet", "hearing_loop", "parking", "quiet_space", "bsl", "large_print"]
LANGS = ["en", "cy", "pa", "ur", "pl", "bn", "gu", "so"]
COSTS = ["free", "fixed", "pay_what_you_can", "personal_budget", "time_credits"]
CAPACITY = ["taking_new_people", "waiting_list", "full"]


def load_outcodes() -> list[dict[str, Any]]:
    with open(OUTCODES, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["latitude"] and r["country"] in ("England", "Wales", "Scotland")]
    for r in rows:
        r["lat"], r["lon"], r["weight"] = float(r["latitude"]), float(r["longitude"]), int(r["live_postcodes"] or 1)
    return rows


class Corpus:
    """Deterministic synthetic listings in the converter's shape."""

    def __init__(self, n: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.n = n
        self.outcodes = load_outcodes()
        self.weights = [r["weight"] for r in self.outcodes]
        # A long tail of pseudo-words (~40k distinct at 100k listings), Zipf-weighted like real text.
        syllables = ["ba", "ko", "ri", "mel", "dun", "sta", "ver", "lo", "pen", "tri", "gal", "wo", "ne", "shi"]
        self.tail = sorted({"".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4)))
                            for _ in range(max(2000, n // 2))})
        # Cumulative weights, computed once: random.choices would otherwise re-sum them for every word.
        self.domain_w = list(itertools.accumulate(1.0 / (i + 1) ** 0.8 for i in range(len(DOMAIN))))
        self.tail_w = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(self.tail))))
        self.place_w = list(itertools.accumulate(self.weights))

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

    def document(self, i: int) -> dict[str, Any]:
        rng = self.rng
        place = rng.choices(self.outcodes, cum_weights=self.place_w)[0]
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        needs = rng.sample(NEEDS, rng.randint(1, 3))
        kind = rng.random()
        points: list[list[float]] = []
        area: dict[str, Any] = {"lad_codes": [], "outcodes": [], "radius": [], "comes_to_you": False, "remote": False}
        modes, kinds = set(), set()
        if kind < 0.8:
            for _ in range(1 if rng.random() < 0.9 else 2):
                points.append([round(place["lat"] + rng.uniform(-0.03, 0.03), 6),
                               round(place["lon"] + rng.uniform(-0.05, 0.05), 6)])
            modes.add("venue")
        elif kind < 0.9:
            area.update(lad_codes=[place["lad_code"]], comes_to_you=True)
            modes.add("comes_to_you")
            kinds |= {"councils", "comes_to_you"}
        elif kind < 0.95:
            area.update(radius=[[place["lat"], place["lon"], float(rng.choice([3, 5, 10]))]])
            kinds.add("radius")
        else:
            area["remote"] = True
            modes.add("remote")
            kinds.add("remote")
        name = " ".join(w.title() for w in rng.sample(DOMAIN, 2)) + " " + rng.choice(["Club", "Group", "Friends", "Cafe"])
        description = " ".join(self.words(rng.randint(60, 120)))
        min_age = rng.choice([0, 0, 16, 18, 50, 65])
        parts = {
            "name": name,
            "topics": " ".join(f"{c[1]} {c[3]}" for c in cats + needs),
            "description": description,
            "eligibility": " ".join(self.words(8)),
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
            "area": area,
        }

    def places(self, k: int) -> list[ResolvedPlace]:
        rows = self.rng.choices(self.outcodes, cum_weights=self.place_w, k=k)
        return [ResolvedPlace(r["outcode"], PlaceKind.DISTRICT, r["outcode"], r["lat"], r["lon"], r["lad_code"],
                              r["lad_name"], r["outcode"]) for r in rows]

    def queries(self, k: int, legacy: bool = False) -> dict[str, list[SearchRequest]]:
        rng = self.rng

        def text() -> str:
            if legacy:
                return rng.choice(PHRASES) if rng.random() < 0.5 else " ".join(rng.sample(DOMAIN[:QUERY_WORDS_LEGACY],
                                                                                          rng.randint(1, 2)))
            return rng.choice(PHRASES) if rng.random() < 0.4 else " ".join(rng.sample(DOMAIN, rng.randint(1, 3)))

        places = self.places(k * 3)
        return {
            "plain": [SearchRequest(text=text()) for _ in range(k)],
            "text+distance": [SearchRequest(text=text(), place=places[i]) for i in range(k)],
            "fuzzy": [SearchRequest(text=rng.choice(list(TYPOS.values())) + rng.choice(["", " club", " group"]))
                      for _ in range(k)],
            "text+distance+facets": [
                SearchRequest(text=text(), place=places[k + i],
                              filters={"day": [rng.choice(DAYS)], "cost": ["free"], "category": [rng.choice(CATEGORIES)[0]]})
                for i in range(k)],
        }


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def timed(fn: Callable[[], Any], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


# ---- Whoosh ----------------------------------------------------------------------------------------------------------

def build_whoosh(root: str, docs: list[dict[str, Any]], procs: int) -> float:
    from whoosh import index as whoosh_index

    directory = indexer._new_generation(root)
    ix = whoosh_index.open_dir(directory)
    started = time.perf_counter()
    writer = ix.writer(procs=procs, multisegment=True) if procs > 1 else ix.writer()
    for doc in docs:
        writer.add_document(**{k: v for k, v in doc.items() if k != "_parts"})
    writer.commit()
    seconds = time.perf_counter() - started
    indexer._point_current_at(root, directory)
    return seconds


def synonyms() -> dict[str, list[str]]:
    return {k: [e.strip() for e in normalise_expansions(v).split(",")] for k, v in STARTER_SYNONYMS.items()}


# ---- FTS5 -------------------------------------------------------------------------------------------------------------

FACET_COLUMNS = ["category", "need", "cost", "day", "time", "access", "language", "verified", "capacity", "mode"]


def build_fts(path: str, docs: list[dict[str, Any]]) -> tuple[sqlite3.Connection, float, set[str]]:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    con.execute("CREATE VIRTUAL TABLE fts USING fts5(name, topics, description, eligibility, place, organisation, "
                "tokenize='porter unicode61 remove_diacritics 2')")
    con.execute("CREATE TABLE facet(docid INTEGER, field TEXT, value TEXT)")
    con.execute("CREATE TABLE geo(docid INTEGER, lat REAL, lon REAL)")
    with con:
        for i, d in enumerate(docs, 1):
            p = d["_parts"]
            con.execute("INSERT INTO fts(rowid, name, topics, description, eligibility, place, organisation) "
                        "VALUES (?,?,?,?,?,?,?)", (i, p["name"], p["topics"], p["description"], p["eligibility"],
                                                   p["place"], p["organisation"]))
            con.executemany("INSERT INTO facet VALUES (?,?,?)",
                            [(i, f, v) for f in FACET_COLUMNS for v in d[f].split(",") if v])
            con.executemany("INSERT INTO geo VALUES (?,?,?)", [(i, lat, lon) for lat, lon in d["points"]])
        con.execute("CREATE INDEX facet_fv ON facet(field, value, docid)")
        con.execute("CREATE INDEX facet_doc ON facet(docid)")
        con.execute("CREATE INDEX geo_latlon ON geo(lat, lon)")
    seconds = time.perf_counter() - started
    con.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(fts, 'row')")
    words = {r[0] for r in con.execute("SELECT term FROM vocab")}
    return con, seconds, words


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters} | {a + c + b for a, b in splits for c in letters})


def fts_query(con: sqlite3.Connection, vocab: set[str], request: SearchRequest) -> int:
    """Run the FTS5 equivalent: match (typos expanded against the vocabulary), filters, bbox distance, facets, top 20."""
    terms = []
    for word in re.findall(r"\w+", request.text.lower()):
        if word in FUNCTION:
            continue
        if word in vocab:
            terms.append(f'"{word}"')
        else:
            fixes = sorted((_edits1(word) & vocab) - {word})
            terms.append("(" + " OR ".join(f'"{f}"' for f in fixes[:20]) + ")" if fixes else f'"{word}"')
    match = " AND ".join(terms) or '""'
    con.execute("DELETE FROM m")
    sql = "INSERT INTO m SELECT rowid, bm25(fts, 3, 2, 1, 1, 1, 1) FROM fts WHERE fts MATCH ?"
    params: list[Any] = [match]
    for field, values in request.filters.items():
        sql += f" AND rowid IN (SELECT docid FROM facet WHERE field = ? AND value IN ({','.join('?' * len(values))}))"
        params += [field, *values]
    con.execute(sql, params)
    total = con.execute("SELECT count(*) FROM m").fetchone()[0]
    con.execute("SELECT f.field, f.value, count(*) FROM facet f JOIN m ON m.docid = f.docid GROUP BY 1, 2").fetchall()
    if request.place is not None:
        lat, lon = request.place.lat, request.place.lon
        for radius in (5, 10, 25, 50, 1000):
            dlat, dlon = radius / 69.0, radius / (69.0 * math.cos(math.radians(lat)))
            rows = con.execute("SELECT g.docid, g.lat, g.lon, m.score FROM geo g JOIN m ON m.docid = g.docid "
                               "WHERE g.lat BETWEEN ? AND ? AND g.lon BETWEEN ? AND ?",
                               (lat - dlat, lat + dlat, lon - dlon, lon + dlon)).fetchall()
            near = [(miles_between(lat, lon, a, b), d, s) for d, a, b, s in rows]
            near = [r for r in near if r[0] <= radius]
            if len(near) >= request.per_page:
                break
        sorted(near)[: request.per_page]
    else:
        con.execute("SELECT docid FROM m ORDER BY score LIMIT ?", (request.per_page,)).fetchall()
    return total


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


def _add_listings(corpus: Corpus, listings: int, prefix: str = "1") -> None:
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
            s.service_areas.append(ServiceArea(area_type=AreaType.COMES_TO_YOU, lad_codes=area["lad_codes"]))
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


def app_rebuild(listings: int, procs: int | None) -> tuple[int, float]:
    """Return (listings indexed, seconds) for `flask index rebuild` (database read included) on a SQLite directory."""
    from microdir.extensions import db

    tmp = tempfile.mkdtemp(prefix="microdir-bench-")
    try:
        app = _bench_app(tmp)
        with app.app_context():
            _add_listings(Corpus(listings, seed=5), listings)
            db.session.remove()
            started = time.perf_counter()
            count, _ = indexer.rebuild(app, procs=procs)
            return count, time.perf_counter() - started
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
            _add_listings(Corpus(listings, seed=11), listings)
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


# ---- main -------------------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=60, help="queries per kind")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per query (median taken)")
    parser.add_argument("--procs", type=int, default=None,
                        help="writer processes (default: as `flask index rebuild`, 2 from 2,000 listings on 2+ cores)")
    parser.add_argument("--skip-fts", action="store_true")
    parser.add_argument("--skip-edit", action="store_true")
    parser.add_argument("--edit-listings", type=int, default=500)
    parser.add_argument("--rebuild-listings", type=int, default=3000,
                        help="listings in the SQLite directory `flask index rebuild` reads (0 to skip)")
    parser.add_argument("--legacy-queries", action="store_true",
                        help="the first version's broad queries (words from the 60 most frequent only)")
    args = parser.parse_args()

    print(f"microdir search benchmark: N={args.n:,}, {args.queries} queries per kind, python {sys.version.split()[0]}")
    corpus = Corpus(args.n)
    started = time.perf_counter()
    docs = [corpus.document(i) for i in range(args.n)]
    print(f"generated corpus in {time.perf_counter() - started:.1f} s")
    queries = corpus.queries(args.queries, legacy=args.legacy_queries)
    print(f"queries: {'legacy (broad)' if args.legacy_queries else 'realistic'}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    tmp = tempfile.mkdtemp(prefix="microdir-search-bench-")
    try:
        root = os.path.join(tmp, "index")
        procs = indexer.rebuild_procs(args.n) if args.procs is None else args.procs
        seconds = build_whoosh(root, docs, procs)
        size = sum(f.stat().st_size for f in Path(indexer.current_dir(root)).iterdir()) / 1e6
        whoosh_rate = args.n / seconds
        print(f"whoosh build: {seconds:.1f} s, {whoosh_rate:,.0f} services/s (procs={procs}), {size:.1f} MB")
        manager = indexer.IndexManager(root)
        syn = synonyms()

        def whoosh_run(request: SearchRequest) -> Any:
            with manager.use() as state:
                return run_search(state, request, syn)

        fts = None
        if not args.skip_fts:
            con, fts_seconds, vocab = build_fts(os.path.join(tmp, "fts.sqlite"), docs)
            con.execute("CREATE TEMP TABLE m(docid INTEGER PRIMARY KEY, score REAL)")
            fts = (con, vocab)
            print(f"fts5 build:   {fts_seconds:.1f} s, {args.n / fts_seconds:,.0f} services/s; "
                  f"whoosh/fts5 build time ×{seconds / fts_seconds:.1f}")

        print(f"{'kind':24} {'whoosh p50':>10} {'p95':>8} {'fts5 p50':>9} {'p95':>8} {'ratio p50':>9} {'p95':>6}"
              f"  hits(avg)  1st-run p50/p95")
        for kind, requests in queries.items():
            first = []
            for r in requests:  # warm: caches per searcher (term bitmaps), OS page cache
                t = time.perf_counter()
                whoosh_run(r)
                first.append((time.perf_counter() - t) * 1000)
                if fts:
                    fts_query(fts[0], fts[1], r)
            w = [timed(lambda r=r: whoosh_run(r), args.rounds) for r in requests]
            hits = statistics.mean(whoosh_run(r).total for r in requests)
            line = f"{kind:24} {statistics.median(w):10.2f} {percentile(w, 95):8.2f}"
            if fts:
                f = [timed(lambda r=r: fts_query(fts[0], fts[1], r), args.rounds) for r in requests]
                line += (f" {statistics.median(f):9.2f} {percentile(f, 95):8.2f}"
                         f" {statistics.median(w) / statistics.median(f):9.1f} {percentile(w, 95) / percentile(f, 95):6.1f}")
            print(line + f"  {hits:9,.0f}  {statistics.median(first):.1f}/{percentile(first, 95):.1f}")
        manager.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.rebuild_listings:
        count, seconds = app_rebuild(args.rebuild_listings, args.procs)
        procs = indexer.rebuild_procs(args.rebuild_listings) if args.procs is None else args.procs
        print(f"flask index rebuild through the app (SQLite, {count:,} listings read, documents built, written, "
              f"swapped; procs={procs}): {seconds:.1f} s, {count / seconds:,.0f} services/s; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_edit:
        samples = edit_latency(args.edit_listings, 30)
        print(f"edit→searchable through the app (SQLite, {args.edit_listings} listings, commit + search): "
              f"p50 {statistics.median(samples):.0f} ms, p95 {percentile(samples, 95):.0f} ms, max {max(samples):.0f} ms")


if __name__ == "__main__":
    main()
