"""Run the judged collection against the demo directory: ``make relevance``.

Builds the demo directory (seed 1) in a work folder (SQLite, a gazetteer of the demo's postcode areas from the
pinned packages, a fresh Whoosh index), runs every query in ``collection.py`` the way the results page does,
and prints nDCG@10, success@5 (a relevant listing in the top 5) and the zero-result rate per query type, then
the queries that got worse since the last run. Each run's per-query figures are kept in ``last_run.json`` so the
next run can compare (``--no-save`` leaves it alone; the floor tests use that).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .collection import COLLECTION, Judged, check_collection

HERE = Path(__file__).resolve().parent
LAST_RUN = HERE / "last_run.json"
DEMO_AREAS = ["B", "BD", "CV", "DY", "HD", "SK", "WF", "WS", "WV", "LS", "HX", "M", "SW", "NP", "CF", "TF", "PO"]
TYPES = ("plain", "need", "typo", "place", "filter")
LOCAL_MILES = 5.0
NEARBY_MILES = 10.0
WORSE_NDCG = 0.02  # a drop smaller than this is rounding noise, not a regression


@dataclass
class Facts:
    """What a published demo listing says about itself, read from the database (not from the index)."""

    id: str
    name: str
    kind: str
    words: str
    needs: set[str]
    categories: set[str]
    costs: set[str]
    points: list[tuple[float, float]]
    venue_lads: set[str]
    area_lads: set[str]
    remote: bool
    min_age: int | None
    max_age: int | None


@dataclass
class Outcome:
    key: str
    type: str
    ids: list[str]
    total: int
    relevant: int
    ndcg: float
    success: bool
    note: str = ""


def _miles(a: tuple[float, float], b: tuple[float, float]) -> float:
    from microdir.geo import distance_miles

    return float(distance_miles(a, b))


def build_app(workdir: Path) -> Any:
    """Create an app over a fresh demo directory in ``workdir`` (the gazetteer is kept between runs)."""
    from microdir import create_app
    from microdir.geo import load_gazetteer

    workdir.mkdir(parents=True, exist_ok=True)
    geo = workdir / f"geo-{'-'.join(DEMO_AREAS)}.sqlite"
    if not geo.exists():
        load_gazetteer(str(geo), areas=DEMO_AREAS)
    db_file = workdir / "demo.db"
    if db_file.exists():
        db_file.unlink()
    index = Path(tempfile.mkdtemp(prefix="index-", dir=workdir))
    return create_app({"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
                       "SEARCH_INDEX_DIR": str(index), "GEO_DATABASE": str(geo), "SERVER_NAME": None,
                       "SEARCH_SYNC_ON_COMMIT": False})


def load_directory(app: Any) -> dict[str, Facts]:
    """Load the demo directory and index it; return the facts of every listing residents can find."""
    import flask_migrate

    from microdir.demo.builder import DemoBuilder
    from microdir.domain.listings import is_publicly_visible
    from microdir.domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID, seed_taxonomy
    from microdir.extensions import db
    from microdir.geo import geocode_postcode
    from microdir.models import AreaType, LocationType, Service, utcnow
    from microdir.search import indexer
    from microdir.search.synonyms import seed_synonyms

    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's INFO lines, configured inside upgrade()
            flask_migrate.upgrade()
        seed_taxonomy()
        db.session.commit()
        builder = DemoBuilder(1)
        builder.build()
        seed_synonyms()
        db.session.commit()
        indexer.rebuild(app, procs=1)
        now = utcnow()
        hide = int(app.config["STALE_HIDE_DAYS"])
        facts: dict[str, Facts] = {}
        for service in db.session.scalars(db.select(Service)):
            if not is_publicly_visible(service, now, hide):
                continue
            terms = service.taxonomy_terms
            points, venue_lads, remote = [], set(), False
            for location in service.locations:
                if location.location_type is LocationType.VIRTUAL:
                    remote = True
                    continue
                if location.is_private_home or location.latitude is None:
                    continue
                points.append((float(location.latitude), float(location.longitude)))
                found = geocode_postcode(location.postcode) if location.postcode else None
                if found is not None and found.lad_code:
                    venue_lads.add(found.lad_code)
            area_lads: set[str] = set()
            for served in service.service_areas:
                area_lads |= set(served.lad_codes or [])
                remote = remote or served.area_type is AreaType.REMOTE
            facts[service.id] = Facts(
                id=service.id, name=service.name, kind=builder.kinds_of.get(service.id, ""),
                words=" ".join(filter(None, [service.name, service.description, service.eligibility_description])),
                needs={t.code for t in terms if t.taxonomy_id == NEEDS_TAXONOMY_ID},
                categories={t.code for t in terms if t.taxonomy_id == CATEGORIES_TAXONOMY_ID},
                costs={c.cost_type.value for c in service.cost_options}, points=points, venue_lads=venue_lads,
                area_lads=area_lads, remote=remote, min_age=service.minimum_age, max_age=service.maximum_age)
        db.session.remove()
    return facts


def _atom(fact: Facts, atom: str) -> bool:
    kind, _, value = atom.partition(":")
    if kind == "kind":
        return fact.kind == value
    if kind == "need":
        return value in fact.needs
    if kind == "cat":
        return value in fact.categories
    if kind == "cost":
        return value in fact.costs
    if kind == "word":
        return re.search(value, fact.words, re.IGNORECASE) is not None
    if kind == "name":
        return re.search(value, fact.name, re.IGNORECASE) is not None
    raise ValueError(f"unknown judgment atom {atom!r}")


def _passes_filters(fact: Facts, filters: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        if name == "cost" and not fact.costs & set(values):
            return False
        if name == "need" and not fact.needs & set(values):
            return False
        if name == "category" and not fact.categories & set(values):
            return False
        if name == "age":
            age = int(values[0])
            if (fact.min_age is not None and age < fact.min_age) or (fact.max_age is not None and age > fact.max_age):
                return False
    return True


def grade(fact: Facts, q: Judged) -> int:
    """Return how relevant a listing is to a judged query (0 when not), by its content alone."""
    best = 0
    for rule, value in q.rules.items():
        if all(_atom(fact, atom) for atom in rule.split("&")):
            best = max(best, value)
    if not best or not _passes_filters(fact, q.filters):
        return 0
    if not q.where:
        return best
    covers = bool(fact.area_lads & set(q.lads))
    if q.near is not None:
        nearest = min((_miles(q.near, p) for p in fact.points), default=math.inf)
        if nearest <= LOCAL_MILES or covers:
            return best
        if nearest <= NEARBY_MILES or fact.remote:
            return best - 1
        return 0
    if fact.venue_lads & set(q.lads) or covers:
        return best
    return best - 1 if fact.remote else 0


def _dcg(grades: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def run_query(q: Judged, facts: dict[str, Facts]) -> Outcome:
    """Search as the results page does (text, place, filters; first page of 10) and score the answer."""
    from microdir.search.queries import SearchRequest, search_services

    grades = {fid: grade(f, q) for fid, f in facts.items()}
    relevant = sorted((g for g in grades.values() if g), reverse=True)
    place, note = None, ""
    if q.where:
        place, note = resolve_for_collection(q.where)
    if q.where and place is None:
        ids, total = [], 0
    else:
        results = search_services(SearchRequest(text=q.text, place=place, filters=q.filters, per_page=10))
        ids, total = [h.service_id for h in results.hits], results.total
    got = [grades.get(i, 0) for i in ids[:10]]
    ideal = _dcg(relevant[:10])
    ndcg = _dcg(got) / ideal if ideal else (1.0 if not ids else 0.0)
    success = any(g > 0 for g in got[:5]) if relevant else not ids
    return Outcome(q.key, q.type, ids, total, len(relevant), round(ndcg, 4), success, note)


def resolve_for_collection(where: str) -> tuple[Any, str]:
    """Return the place the results page would search for ``where`` (None when it would ask the resident)."""
    from microdir.geo import PlaceNotFound, resolve_place

    try:
        return resolve_place(where), ""
    except PlaceNotFound as error:  # also "Which Newport did you mean?": the resident must choose first
        return None, error.message


def evaluate(app: Any, facts: dict[str, Facts]) -> list[Outcome]:
    with app.test_request_context():
        return [run_query(q, facts) for q in COLLECTION]


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Return per type (and "all"): queries, judged, nDCG@10, success@5, zero-result rate, honest empties."""
    table: dict[str, dict[str, float]] = {}
    for name in (*TYPES, "all"):
        rows = [o for o in outcomes if name in ("all", o.type)]
        judged = [o for o in rows if o.relevant]
        none = [o for o in rows if not o.relevant]
        table[name] = {
            "queries": len(rows),
            "judged": len(judged),
            "ndcg10": round(sum(o.ndcg for o in judged) / len(judged), 3) if judged else 0.0,
            "success5": round(sum(o.success for o in judged) / len(judged), 3) if judged else 0.0,
            "zero_rate": round(sum(1 for o in judged if o.total == 0) / len(judged), 3) if judged else 0.0,
            "none_relevant": len(none),
            "none_relevant_empty": sum(1 for o in none if o.total == 0),
        }
    return table


def worse_than_last(outcomes: list[Outcome], last: dict[str, Any]) -> list[str]:
    lines = []
    for o in outcomes:
        before = last.get(o.key)
        if before is None:
            continue
        if before["success"] and not o.success:
            lines.append(f"  {o.key}: success@5 lost (nDCG {before['ndcg']:.2f} → {o.ndcg:.2f})")
        elif o.ndcg < before["ndcg"] - WORSE_NDCG:
            lines.append(f"  {o.key}: nDCG@10 {before['ndcg']:.2f} → {o.ndcg:.2f}")
    return lines


def report(outcomes: list[Outcome], last: dict[str, Any]) -> str:
    table = summarise(outcomes)
    out = [f"{'type':8} {'queries':>7} {'judged':>6} {'nDCG@10':>8} {'success@5':>9} {'zero-result':>11}  "
           "no relevant listing (answered with nothing)"]
    for name, row in table.items():
        out.append(f"{name:8} {row['queries']:7d} {row['judged']:6d} {row['ndcg10']:8.3f} {row['success5']:9.3f} "
                   f"{row['zero_rate']:11.3f}  {row['none_relevant']} ({row['none_relevant_empty']})")
    failed = [o for o in outcomes if o.relevant and not o.success]
    if failed:
        out.append(f"\nNo relevant listing in the top 5 ({len(failed)}):")
        out += [f"  {o.key}{'  — ' + o.note if o.note else ''}" for o in failed]
    worse = worse_than_last(outcomes, last)
    out.append(f"\nWorse since the last run ({len(worse)}):" if last else "\nNo last run to compare with.")
    out += worse
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=os.environ.get("RELEVANCE_WORKDIR", "instance/relevance"))
    parser.add_argument("--no-save", action="store_true", help="do not replace last_run.json")
    parser.add_argument("--json", action="store_true", help="print the summary and per-query figures as JSON")
    parser.add_argument("--show", default="", help="print the hits of queries whose key contains this text")
    args = parser.parse_args(argv)
    check_collection()
    started = time.perf_counter()
    app = build_app(Path(args.workdir).resolve())
    facts = load_directory(app)
    outcomes = evaluate(app, facts)
    last = json.loads(LAST_RUN.read_text()) if LAST_RUN.exists() else {}
    per_query = {o.key: {"ndcg": o.ndcg, "success": o.success, "total": o.total} for o in outcomes}
    if args.json:
        print(json.dumps({"summary": summarise(outcomes), "queries": per_query}))
    else:
        print(f"{len(COLLECTION)} judged queries over {len(facts)} published demo listings "
              f"({time.perf_counter() - started:.0f} s)\n")
        print(report(outcomes, last))
        if args.show:
            for o in outcomes:
                if args.show in o.key:
                    print(f"\n{o.key} (total {o.total}, nDCG {o.ndcg})")
                    q = next(c for c in COLLECTION if c.key == o.key)
                    for i in o.ids:
                        print(f"  [{grade(facts[i], q) if i in facts else '?'}] {facts[i].name if i in facts else i}"
                              f"  ({facts[i].kind if i in facts else ''})")
    if not args.no_save:
        LAST_RUN.write_text(json.dumps(per_query, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
