"""Search queries: the API the pages and the ORUK API call. Names here are stable.

How a search runs (all on one long-lived searcher, see ``indexer.IndexManager``):
1. the text becomes a query: synonyms expanded (from the database, at query time), quoted phrases kept,
   unknown words corrected ("demntia" → "dementia") or matched fuzzily (``~1`` with a 1-letter prefix);
2. the set of matching docnums is intersected with cached docnum sets per facet value (AND across facets,
   OR within one facet) and with the place scope (venues within a radius widened 5 → 10 → 25 → 50 → any
   miles, areas served that cover the place, remote services);
3. facet counts are set intersections (measured 5× faster than Whoosh's groupedby, SEARCH-NOTES.md tip 4);
4. the page of hits is scored by Whoosh and, with a place, blended with nearness.
"""

from __future__ import annotations

import heapq
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from flask import has_app_context
from whoosh import query as Q
from whoosh.searching import Searcher

from ..geo import ResolvedPlace, format_distance
from .analysis import analyse, fold
from .indexer import SearcherState, get_manager
from .schema import FACETS, GEOCELL_DEGREES, TEXT_FIELD

__all__ = [
    "FILTERS",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "find_service_ids",
    "log_search",
    "search_services",
]

FILTERS = (*FACETS.keys(), "age")
WIDEN_STEPS: tuple[float | None, ...] = (5.0, 10.0, 25.0, 50.0, None)
MAX_SYNONYM_WORDS = 4
# Services with no venue that cover the place rank, for "nearest", as if their venue were this far away.
AREA_EFFECTIVE_MILES = 1.0
EARTH_RADIUS_MILES = 3958.7613  # the radius geopy's great_circle uses, so figures agree with geo.distance_miles
FEW_RESULTS = 3

LABELS = {"comes_to_you": "Comes to you", "remote": "By phone or online", "area": "Covers your area"}


@dataclass
class SearchRequest:
    """What a person asked for."""

    text: str = ""
    place: ResolvedPlace | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    order: str = "relevance"  # "relevance" (blended with nearness when there is a place) or "nearest"
    page: int = 1
    per_page: int = 20


@dataclass
class SearchHit:
    """One listing found, and how it relates to the place searched."""

    service_id: str
    score: float
    distance_miles: float | None
    mode: str  # "venue" | "comes_to_you" | "remote" | "area"
    label: str | None  # "0.8 miles", "Comes to you", "By phone or online", "Covers your area"


@dataclass
class SearchResults:
    """One page of results with counts, facets and any correction or widening to tell the person about."""

    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    widened_to_miles: float | None = None
    corrected_terms: dict[str, str] = field(default_factory=dict)
    took_ms: float = 0.0


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return great-circle miles (the same sphere as geo.distance_miles, without geopy's ~8 µs overhead)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


# ---- per-searcher caches ------------------------------------------------------------------------------------------

class _Cache:
    """Docnum sets and stored values, built lazily once per searcher (dropped when the searcher reopens)."""

    def __init__(self, state: SearcherState) -> None:
        self.s: Searcher = state.searcher
        self.data = state.cache

    def live(self) -> set[int]:
        if "live" not in self.data:
            self.data["live"] = set(self.s.reader().all_doc_ids())
        return self.data["live"]

    def term_docs(self, fieldname: str, value: str) -> set[int]:
        key = ("term", fieldname, value)
        if key not in self.data:
            self.data[key] = set(self.s.docs_for_query(Q.Term(fieldname, value)))
        return self.data[key]

    def values(self, fieldname: str) -> list[str]:
        key = ("values", fieldname)
        if key not in self.data:
            self.data[key] = [
                v.decode("utf-8") if isinstance(v, bytes) else v for v in self.s.reader().lexicon(fieldname)
            ]
        return self.data[key]

    def age_docs(self, age: int) -> set[int]:
        key = ("age", age)
        if key not in self.data:
            q = Q.And([Q.NumericRange("min_age", None, age), Q.NumericRange("max_age", age, None)])
            self.data[key] = set(self.s.docs_for_query(q))
        return self.data[key]

    def stored(self, docnum: int) -> tuple[str, list[list[float]], dict[str, Any]]:
        store = self.data.setdefault("stored", {})
        found = store.get(docnum)
        if found is None:
            fields = self.s.stored_fields(docnum)
            found = store[docnum] = (fields["id"], fields.get("points") or [], fields.get("area") or {})
        return found

    def radius_areas(self) -> list[tuple[int, float, float, float]]:
        """Return (docnum, lat, lon, miles) for every listing that serves a radius."""
        if "radius" not in self.data:
            rows = []
            for docnum in self.term_docs("area_kind", "radius"):
                for lat, lon, miles in self.stored(docnum)[2].get("radius", []):
                    rows.append((docnum, lat, lon, miles))
            self.data["radius"] = rows
        return self.data["radius"]

    def word_known(self, stem: str) -> bool:
        return (TEXT_FIELD, stem) in self.s.reader()


# ---- text ---------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[\w']+")


def _word_query(stems: list[str], boost: float = 1.0) -> Q.Query:
    terms = [Q.Term(TEXT_FIELD, t, boost=boost) for t in stems]
    return terms[0] if len(terms) == 1 else Q.And(terms)


def _phrase_query(stems: list[str], boost: float = 1.0) -> Q.Query:
    if len(stems) == 1:
        return _word_query(stems, boost)
    return Q.Phrase(TEXT_FIELD, stems, boost=boost)


def _fuzzy_query(stem: str) -> Q.Query:
    # ~1 with a 1-letter prefix: ~2 reached a 1.7 s p95 and prefix 0 is 5× slower (SEARCH-NOTES.md tip 6).
    return Q.FuzzyTerm(TEXT_FIELD, stem, boost=0.8, maxdist=1, prefixlength=1)


def _correct(cache: _Cache, word: str) -> str | None:
    """Return the most common indexed word within 1 (then 2) edits of ``word``, or None."""
    if len(word) < 4:
        return None
    reader = cache.s.reader()
    corrector = cache.s.corrector(TEXT_FIELD)
    for maxdist in (1, 2):
        best, best_freq = None, 0
        for candidate in sorted(corrector.suggest(word, limit=5, maxdist=maxdist, prefix=1)):
            stems = analyse(candidate)
            freq = reader.doc_frequency(TEXT_FIELD, stems[0]) if stems else 0
            if freq > best_freq:
                best, best_freq = candidate, freq
        if best is not None:
            return best
    return None


@dataclass
class _TextPlan:
    query: Q.Query | None
    corrected: dict[str, str]
    words: list[str]  # the plain words, for "Did you mean"


def _expansion_query(expansion: str) -> Q.Query | None:
    # All the words rather than a phrase: phrase matching (span checks) was the largest cost in the profile,
    # and "community transport" in either order is still about community transport.
    stems = analyse(expansion)
    if not stems:
        return None
    return _word_query(stems, 0.9)


def build_text_query(cache: _Cache, text: str, synonyms: dict[str, list[str]]) -> _TextPlan:
    """Turn free text into a Whoosh query (AND of its words), expanding synonyms and correcting typos."""
    groups: list[Q.Query] = []
    corrected: dict[str, str] = {}
    plain: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        if match.group(1) is not None:
            stems = analyse(match.group(1))
            if stems:
                groups.append(_phrase_query(stems))
            continue
        plain += [fold(w).strip("'") for w in _WORD.findall(match.group(2))]
    plain = [w for w in plain if w]
    i = 0
    while i < len(plain):
        # Longest synonym term first, so "someone to talk to" wins over "talk".
        for size in range(min(MAX_SYNONYM_WORDS, len(plain) - i), 0, -1):
            term = " ".join(plain[i:i + size])
            if term in synonyms:
                alternatives = [q for q in (_expansion_query(e) for e in synonyms[term]) if q is not None]
                stems = analyse(term)
                if stems and all(cache.word_known(s) for s in stems):
                    alternatives.insert(0, _word_query(stems))
                if alternatives:
                    groups.append(Q.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
                i += size
                break
        else:
            word = plain[i]
            i += 1
            stems = analyse(word)
            if not stems:
                continue  # a stop word
            if all(cache.word_known(s) for s in stems):
                groups.append(_word_query(stems))
                continue
            suggestion = _correct(cache, word)
            fuzzy = Q.Or([_fuzzy_query(s) for s in stems])
            if suggestion and suggestion != word:
                corrected[word] = suggestion
                groups.append(Q.Or([_word_query(analyse(suggestion) or stems), fuzzy]))
            else:
                groups.append(fuzzy)
    if not groups:
        return _TextPlan(None, corrected, plain)
    return _TextPlan(groups[0] if len(groups) == 1 else Q.And(groups), corrected, plain)


# ---- filters and place --------------------------------------------------------------------------------------------

def _filter_sets(cache: _Cache, filters: dict[str, list[str]]) -> dict[str, set[int]]:
    """Return facet name → docnums matching ANY selected value (OR within a facet)."""
    sets: dict[str, set[int]] = {}
    for name, values in (filters or {}).items():
        values = [str(v).strip().lower() for v in values or [] if str(v).strip()]
        if not values or name not in FILTERS:
            continue
        found: set[int] = set()
        for value in values:
            if name == "age":
                if value.isdigit():
                    found |= cache.age_docs(int(value))
            else:
                found |= cache.term_docs(FACETS[name], value)
        sets[name] = found
    return sets


def _cells_within(lat: float, lon: float, miles: float) -> list[str]:
    dlat = miles / 69.0
    dlon = miles / (69.0 * max(0.1, math.cos(math.radians(lat))))
    lat_lo, lat_hi = int((lat - dlat + 90) / GEOCELL_DEGREES), int((lat + dlat + 90) / GEOCELL_DEGREES)
    lon_lo, lon_hi = int((lon - dlon + 180) / GEOCELL_DEGREES), int((lon + dlon + 180) / GEOCELL_DEGREES)
    return [f"{a}:{b}" for a in range(lat_lo, lat_hi + 1) for b in range(lon_lo, lon_hi + 1)]


def _nearest_miles(cache: _Cache, docnum: int, lat: float, lon: float) -> float | None:
    points = cache.stored(docnum)[1]
    if not points:
        return None
    return min(miles_between(lat, lon, p[0], p[1]) for p in points)


def _venues_within(cache: _Cache, candidates: set[int], lat: float, lon: float, miles: float | None,
                   distances: dict[int, float | None]) -> set[int]:
    """Return candidates with a venue within ``miles`` (any distance when None), filling ``distances``."""
    if miles is None:
        pool = candidates & cache.term_docs("mode", "venue")
    else:
        pool = set()
        for cell in _cells_within(lat, lon, miles):
            pool |= cache.term_docs("geocell", cell)
        pool &= candidates
    found = set()
    for docnum in pool:
        if docnum not in distances:
            distances[docnum] = _nearest_miles(cache, docnum, lat, lon)
        d = distances[docnum]
        if d is not None and (miles is None or d <= miles):
            found.add(docnum)
    return found


def _area_docs(cache: _Cache, place: ResolvedPlace) -> set[int]:
    """Return listings whose area served covers the place: its council, its postcode district or a radius."""
    found: set[int] = set()
    if place.lad_code:
        found |= cache.term_docs("area_lad", place.lad_code.upper())
    if place.outcode:
        found |= cache.term_docs("area_outcode", place.outcode.replace(" ", "").lower())
    for docnum, lat, lon, miles in cache.radius_areas():
        if miles_between(place.lat, place.lon, lat, lon) <= miles:
            found.add(docnum)
    return found


def _remote_docs(cache: _Cache) -> set[int]:
    return cache.term_docs("mode", "remote")


# ---- the search ---------------------------------------------------------------------------------------------------

def _facet_counts(cache: _Cache, base: set[int], filter_sets: dict[str, set[int]]) -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {}
    for name, fieldname in FACETS.items():
        scope = base
        for other, docs in filter_sets.items():
            if other != name:
                scope = scope & docs
        counts = {}
        for value in cache.values(fieldname):
            n = len(scope & cache.term_docs(fieldname, value)) if scope else 0
            if n:
                counts[value] = n
        facets[name] = counts
    return facets


def _suggest(cache: _Cache, words: list[str]) -> str | None:
    changed = False
    out = []
    for word in words:
        stems = analyse(word)
        if stems and all(cache.word_known(s) for s in stems):
            out.append(word)
            continue
        fixed = _correct(cache, word) if stems else None
        changed = changed or bool(fixed and fixed != word)
        out.append(fixed or word)
    return " ".join(out) if changed else None


def run_search(state: SearcherState, request: SearchRequest, synonyms: dict[str, list[str]]) -> SearchResults:
    """Run ``request`` on a searcher state (used by ``search_services`` and by the benchmark)."""
    started = time.perf_counter()
    cache = _Cache(state)
    s = cache.s
    page = max(1, int(request.page or 1))
    per_page = max(1, min(100, int(request.per_page or 20)))
    plan = build_text_query(cache, request.text, synonyms)
    live = cache.live()
    # One scored pass over every match: measured at 10k, matching once for the set (facets) and again to
    # score the page cost twice as much as scoring all matches once and ranking them in Python.
    scores = _score_all(s, plan.query) if plan.query is not None else {}
    text_docs = set(scores) if plan.query is not None else live
    filter_sets = _filter_sets(cache, request.filters)
    matched = text_docs
    for docs in filter_sets.values():
        matched = matched & docs

    place = request.place
    distances: dict[int, float | None] = {}
    modes: dict[int, str] = {}
    widened: float | None = None
    if place is not None:
        area = _area_docs(cache, place) & matched
        remote = _remote_docs(cache) & matched
        local: set[int] = set()
        radius = None
        for _step, radius in enumerate(WIDEN_STEPS):
            venues = _venues_within(cache, matched, place.lat, place.lon, radius, distances)
            local = venues | area
            if len(local) >= per_page:
                break
            if venues >= matched - remote - area:
                break  # nothing further away to find
        if radius is None:
            # "Any distance": say how far the furthest venue shown is, rounded up to a whole mile.
            far = [distances[d] or 0.0 for d in venues]
            widened = float(math.ceil(max(far))) if far else None
        else:
            widened = radius if radius != WIDEN_STEPS[0] else None
        final = local | remote
        for docnum in final:
            if docnum in venues:
                modes[docnum] = "venue"
            elif docnum in area:
                modes[docnum] = "comes_to_you" if cache.stored(docnum)[2].get("comes_to_you") else "area"
            else:
                modes[docnum] = "remote"
        base_for_facets = text_docs & (_venues_within(cache, text_docs, place.lat, place.lon, radius, distances)
                                       | _area_docs(cache, place) | _remote_docs(cache))
    else:
        final = matched
        base_for_facets = text_docs

    total = len(final)
    facets = _facet_counts(cache, base_for_facets, filter_sets)
    hits = _rank(cache, scores if plan.query is not None else None, final, request, page, per_page, distances, modes)

    suggestion = None
    if plan.corrected:
        suggestion = _suggest(cache, plan.words)
    elif total < FEW_RESULTS and plan.words:
        suggestion = _suggest(cache, plan.words)
    return SearchResults(
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        facets=facets,
        suggestion=suggestion,
        widened_to_miles=widened if place is not None else None,
        corrected_terms=plan.corrected,
        took_ms=(time.perf_counter() - started) * 1000,
    )


def _hit(cache: _Cache, docnum: int, score: float, distances: dict[int, float | None], modes: dict[int, str],
         with_place: bool) -> SearchHit:
    service_id, points, area = cache.stored(docnum)
    if with_place:
        mode = modes.get(docnum, "venue")
        distance = distances.get(docnum)
        label = format_distance(distance) if mode == "venue" and distance is not None else LABELS.get(mode)
    else:
        mode = "venue" if points else ("comes_to_you" if area.get("comes_to_you") else
                                       "remote" if area.get("remote") else "area")
        distance = None
        label = LABELS.get(mode) if mode in ("comes_to_you", "remote") else None
    return SearchHit(service_id=service_id, score=round(score, 4), distance_miles=distance, mode=mode, label=label)


def _nearness(mode: str, distance: float | None) -> float:
    if mode == "venue" and distance is not None:
        return 1.0 / (1.0 + distance / 3.0)  # 1 at the door, 0.5 at 3 miles, 0.25 at 9 miles
    if mode in ("area", "comes_to_you"):
        return 1.0 / (1.0 + AREA_EFFECTIVE_MILES / 3.0)
    return 0.2  # remote: useful, but after what is close


def _score_all(s: Searcher, query: Q.Query) -> dict[int, float]:
    """Return docnum → relevance for every match (deleted documents excluded)."""
    results = s.search(query, limit=None)
    return {docnum: float(score or 0.0) for score, docnum in results.top_n}


def _rank(cache: _Cache, scores: dict[int, float] | None, final: set[int], request: SearchRequest, page: int,
          per_page: int, distances: dict[int, float | None], modes: dict[int, str]) -> list[SearchHit]:
    start, end = (page - 1) * per_page, page * per_page
    if not final:
        return []
    if request.place is None:
        if scores is None:
            # No words: list by name, a stable order people can scan.
            ordered = sorted(final, key=lambda d: (cache.s.stored_fields(d).get("name", "").lower(), d))[start:end]
            return [_hit(cache, d, 0.0, distances, modes, False) for d in ordered]
        top = heapq.nsmallest(end, final, key=lambda d: (-scores[d], d))[start:end]
        return [_hit(cache, d, scores[d], distances, modes, False) for d in top]

    def effective(docnum: int) -> float:
        mode = modes[docnum]
        if mode == "venue":
            return distances.get(docnum) or 0.0
        return AREA_EFFECTIVE_MILES if mode in ("area", "comes_to_you") else math.inf

    if request.order == "nearest" or scores is None:
        ordered = heapq.nsmallest(end, final, key=lambda d: (effective(d), d))[start:end]
        return [_hit(cache, d, (scores or {}).get(d, 0.0), distances, modes, True) for d in ordered]
    best = max((scores[d] for d in final), default=0.0) or 1.0
    blended = [(0.5 * scores[d] / best + 0.5 * _nearness(modes[d], distances.get(d)), d) for d in final]
    top = heapq.nsmallest(end, blended, key=lambda pair: (-pair[0], pair[1]))[start:end]
    return [_hit(cache, d, score, distances, modes, True) for score, d in top]


def _synonyms() -> dict[str, list[str]]:
    from .synonyms import current_synonyms

    return current_synonyms() if has_app_context() else {}


def search_services(request: SearchRequest) -> SearchResults:
    """Search the listings: text, place, filters, order and page in; one page of hits, facets and hints out."""
    synonyms = _synonyms()
    with get_manager().use() as state:
        return run_search(state, request, synonyms)


def find_service_ids(
    text: str | None = None,
    *,
    lat: float | None = None,
    lon: float | None = None,
    within_metres: float | None = None,
    limit: int | None = None,
) -> list[tuple[str, float | None]]:
    """Return (service id, metres to the nearest venue or None): by relevance for text, by distance for a point.

    With a point, only listings with a venue are returned (an ORUK proximity search is about venues).
    """
    synonyms = _synonyms()
    with get_manager().use() as state:
        cache = _Cache(state)
        plan = build_text_query(cache, text or "", synonyms)
        live = cache.live()
        if lat is None or lon is None:
            if plan.query is None:
                ids = sorted(cache.stored(d)[0] for d in live)
                return [(i, None) for i in ids[:limit]]
            results = state.searcher.search(plan.query, limit=limit)
            return [(cache.stored(r.docnum)[0], None) for r in results]
        matched = set(state.searcher.docs_for_query(plan.query)) & live if plan.query is not None else live
        miles = within_metres / 1609.344 if within_metres is not None else None
        distances: dict[int, float | None] = {}
        found = _venues_within(cache, matched, lat, lon, miles, distances)
        ordered = sorted(found, key=lambda d: (distances[d], cache.stored(d)[0]))
        ordered = ordered[:limit] if limit is not None else ordered
        return [(cache.stored(d)[0], round((distances[d] or 0.0) * 1609.344, 1)) for d in ordered]


def log_search(request: SearchRequest, results: SearchResults) -> None:
    """Record a search for insights: normalised words, filters, postcode district only, count, time taken.

    Never a full postcode, an IP address or who searched. The caller's request commits it.
    """
    from ..extensions import db
    from ..models import SearchLog

    filters = {k: sorted(str(v) for v in values) for k, values in (request.filters or {}).items() if values}
    outcode = request.place.outcode if request.place is not None else None
    db.session.add(
        SearchLog(
            query=fold(request.text or "")[:255],
            filters=filters,
            outcode=outcode.upper().replace(" ", "")[:8] if outcode else None,
            order=request.order if request.order in ("relevance", "nearest") else "relevance",
            page=max(1, int(request.page or 1)),
            result_count=results.total,
            took_ms=round(results.took_ms, 2),
        )
    )

