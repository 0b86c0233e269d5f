"""Search queries: the API the pages and the ORUK API call. Names here are stable.

How a search runs (all on one long-lived searcher, see ``indexer.IndexManager``):
1. the text becomes a query: synonyms expanded (from the database, at query time), quoted phrases kept,
   unknown words corrected ("demntia" → "dementia") or matched fuzzily (``~1`` with a 1-letter prefix);
2. the matching docnums are found WITHOUT scoring, as a bitmap (a Python int, bit n = docnum n) built from
   per-searcher cached bitmaps per term, and intersected with cached bitmaps per facet value (AND across
   facets, OR within one facet) and with the place scope (venues within the resident's distance, or a radius
   widened 5 → 10 → 25 miles and never past SEARCH_MAX_WIDEN_MILES; areas served that cover the place; remote
   services); a council, county or region is an area: venues in it and services covering it;
3. facet counts are ``(scope & value).bit_count()``: a few µs per value even at 100k listings;
4. only the candidates are scored: a few hundred by stepping the matcher to each one (``skip_to``), more
   through Whoosh's top-N collector with the bitmap as filter; with a place, blended with nearness.
Measured at 10k listings (bench/search.py): scoring every match to get the set and the facets was the
largest cost (p95 ~350 ms on a loaded machine); see the figures in the module's benchmark.
"""

from __future__ import annotations

import bisect
import math
import re
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask import current_app, has_app_context
from whoosh import query as Q
from whoosh.idsets import DocIdSet
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from ..geo import METRES_PER_MILE, ResolvedPlace, format_distance
from ..wording import MODE_LABELS
from . import postings, sidecars
from .analysis import WORD_CACHE_SIZE, FusedTextAnalyzer, analyse, fold, text_analyzer
from .indexer import SearcherState, get_manager
from .schema import FACETS, GEOCELL_DEGREES, NAME_BOOST, NAME_FIELD, TEXT_FIELD, TOPICS_BOOST, TOPICS_FIELD

__all__ = [
    "FILTERS",
    "SearchHit",
    "SearchRequest",
    "SearchResults",
    "find_service_ids",
    "log_search",
    "search_services",
    "services_covering",
]

FILTERS = (*FACETS.keys(), "age")
# The radius widens through these steps, never past SEARCH_MAX_WIDEN_MILES: far venues are not an answer.
WIDEN_STEPS: tuple[float, ...] = (5.0, 10.0, 25.0)
MAX_WIDEN_MILES = 25.0
DISTANCE_CHOICES: tuple[float, ...] = (1.0, 3.0, 5.0, 10.0, 25.0)
MAX_SYNONYM_WORDS = 4
# Services with no venue that cover the place rank, for "nearest", as if their venue were this far away.
AREA_EFFECTIVE_MILES = 1.0
EARTH_RADIUS_MILES = 3958.7613  # the radius geopy's great_circle uses, so figures agree with geo.distance_miles
FEW_RESULTS = 3
RELEVANCE_WEIGHT = 0.7  # with a place, "best match" blends relevance (this share) with nearness
# Fewer full matches than this (after filters) and the words are relaxed: most of them, then fewer, must match.
RELAX_BELOW = 5
# Words that say nothing about the need ("help with", "someone to", "classes", "group", "near me", "support for"):
# dropped from matching whenever the query has another word, so they can never sink it.
NEED_FREE_WORDS = frozenset("""
    help helping helps support supports supporting group groups class classes lesson lessons course courses near
    nearby me my i im i'm am we our us someone somebody something anyone anybody somewhere things thing stuff
    local service services find finding looking look want wanted need needs needed please who has have had get
    getting do does around round about other others people person place places area my mine best good
""".split())
# Common words that do carry some meaning but must weigh less than a need ("garden club": garden, not club).
GENERIC_WORDS = frozenset("club clubs cafe café session sessions meet meeting social activity activities time day "
                          "week morning centre home".split())
GENERIC_BOOST = 0.2
# A listing whose name holds every word asked for outranks one that mentions them in passing.
NAME_MATCH_BONUS = 1.6
TOPICS_MATCH_BONUS = 1.2
# Per-searcher cache bounds (defaults; the app's SEARCH_* config keys of the same names override them).
# A match bitmap is 12.5 KB at 100k listings, so 2,000 cost at most 25 MB; a cached term score is 12 bytes
# per posting (docnum + float64), so 2.5M postings cost 30 MB.
QUERY_CACHE_SIZE = 2000
SCORE_CACHE_POSTINGS = 2_500_000
PLACE_CACHE_SIZE = 256

LABELS = MODE_LABELS


@dataclass
class SearchRequest:
    """What a person asked for."""

    text: str = ""
    place: ResolvedPlace | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    order: str = "relevance"  # "relevance" (blended with nearness when there is a place) or "nearest"
    page: int = 1
    per_page: int = 20
    within_miles: float | None = None  # the resident's distance filter; None widens 5 → 10 → 25 (the cap)


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
    # Set when too few listings matched every word: the words no listing mentions, and the words searched for.
    relaxed: bool = False
    within_miles: float | None = None  # the radius searched around a point
    nothing_within_miles: float | None = None  # set when no venue within it (or covering the place) matches
    missing_words: list[str] = field(default_factory=list)
    used_words: list[str] = field(default_factory=list)
    full_matches: int = 0


def max_widen_miles() -> float:
    """Return the furthest the radius may widen by itself (SEARCH_MAX_WIDEN_MILES, default 25)."""
    config = current_app.config if has_app_context() else {}
    return float(config.get("SEARCH_MAX_WIDEN_MILES", MAX_WIDEN_MILES))


def miles_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return great-circle miles (the same sphere as geo.distance_miles, without geopy's ~8 µs overhead)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


# ---- docnum bitmaps ------------------------------------------------------------------------------------------------
# A set of docnums is a Python int with bit n set for docnum n: AND, OR and counting (int.bit_count) run in C
# over 64-bit words, which made facet counts ~100× cheaper than set intersections at 100k listings.

def to_bits(docnums: Iterable[int], size: int) -> int:
    """Return the bitmap of ``docnums`` (all < ``size``)."""
    buf = bytearray((size >> 3) + 1)
    for d in docnums:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def from_bits(bits: int) -> list[int]:
    """Return the docnums in a bitmap, in ascending order."""
    return bits_to_array(bits).tolist()


def bits_to_array(bits: int) -> np.ndarray:
    """Return the docnums in a bitmap, ascending, as int64 (unpacked in C: ~0.2 ms for 100,000 listings)."""
    if not bits:
        return np.zeros(0, dtype=np.int64)
    data = np.frombuffer(bits.to_bytes((bits.bit_length() + 7) >> 3, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(data, bitorder="little")).astype(np.int64)


def bits_mask(bits: int, docs: np.ndarray) -> np.ndarray:
    """Return, for each docnum in ``docs``, whether it is in the bitmap (a byte lookup per docnum, in C)."""
    if not bits or not len(docs):
        return np.zeros(len(docs), dtype=bool)
    size = max((bits.bit_length() + 7) >> 3, (int(docs.max()) >> 3) + 1)
    data = np.frombuffer(bits.to_bytes(size, "little"), dtype=np.uint8)
    return ((data[docs >> 3] >> (docs & 7).astype(np.uint8)) & 1).astype(bool)


class BitFilter(DocIdSet):
    """A bitmap as a Whoosh ``filter=`` (membership by byte lookup, no set to build)."""

    def __init__(self, bits: int) -> None:
        self.data = bits.to_bytes((bits.bit_length() + 8) >> 3, "little")

    def __contains__(self, docnum: object) -> bool:
        d = int(docnum)  # type: ignore[call-overload]
        return (d >> 3) < len(self.data) and bool(self.data[d >> 3] >> (d & 7) & 1)

    def __iter__(self) -> Any:
        return iter(from_bits(int.from_bytes(self.data, "little")))

    def __len__(self) -> int:
        return int.from_bytes(self.data, "little").bit_count()


def _has(data: bytes, d: int) -> bool:
    return bool(data[d >> 3] >> (d & 7) & 1)


# ---- per-searcher caches ------------------------------------------------------------------------------------------

def _cache_limits() -> tuple[int, int, int]:
    """Return the per-searcher cache bounds from the app's config (the module defaults outside an app)."""
    config = current_app.config if has_app_context() else {}
    return (int(config.get("SEARCH_QUERY_CACHE_SIZE", QUERY_CACHE_SIZE)),
            int(config.get("SEARCH_SCORE_CACHE_POSTINGS", SCORE_CACHE_POSTINGS)),
            int(config.get("SEARCH_PLACE_CACHE_SIZE", PLACE_CACHE_SIZE)))


class _Cache:
    """Docnum bitmaps and stored values, built lazily once per searcher (dropped when the searcher reopens)."""

    def __init__(self, state: SearcherState) -> None:
        self.s: Searcher = state.searcher
        self.data = state.cache
        self.store = state.store
        if "limits" not in self.data:
            self.data["limits"] = _cache_limits()
        self.query_cache_size, self.score_cache_postings, self.place_cache_size = self.data["limits"]

    @property
    def size(self) -> int:
        if "size" not in self.data:
            self.data["size"] = self.s.doc_count_all()
        return self.data["size"]

    def live(self) -> int:
        if "live" not in self.data:
            self.data["live"] = postings.live_bits(self.s)
        return self.data["live"]

    def term_docs(self, fieldname: str, value: str) -> int:
        """Return the bitmap of a facet, geocell or area term (a small vocabulary: cached without limit)."""
        key = ("term", fieldname, value)
        if key not in self.data:
            self.data[key] = postings.term_bits(self.store, self.s, fieldname, value) & self.live()
        return self.data[key]

    def query_bits(self, q: Q.Query) -> int:
        """Return the bitmap of the documents matching ``q``, unscored; And/Or combine cached parts."""
        if isinstance(q, Q.And):
            bits = self.live()
            for sub in q.subqueries:
                bits &= self.query_bits(sub)
                if not bits:
                    break
            return bits
        if isinstance(q, Q.Or):
            bits = 0
            for sub in q.subqueries:
                if isinstance(sub, Q.Term) and sub.fieldname in (NAME_FIELD, TOPICS_FIELD):
                    continue  # only ever beside the same word in ``text`` (_stem_query), which holds them all
                bits |= self.query_bits(sub)
            return bits
        if isinstance(q, Q.FuzzyTerm):
            return self.query_bits(_expand(self, q))  # the same words the scores use (see _words_within)
        lru: OrderedDict[Any, int] = self.data.setdefault("queries", OrderedDict())
        if type(q) is Q.Term:  # without copying the query for its repr (a deep copy: ~6% of a search at 10k)
            key: tuple[Any, ...] = ("Term", q.fieldname, q.text)
        else:
            key = (type(q).__name__, repr(q.with_boost(1.0)) if hasattr(q, "with_boost") else repr(q))
        found = lru.get(key)
        if found is None:
            if type(q) is Q.Term:  # per-segment postings, kept across reopens
                found = postings.term_bits(self.store, self.s, q.fieldname, q.text) & self.live()
            else:
                found = to_bits(self.s.docs_for_query(q), self.size) & self.live()
            lru[key] = found
            if len(lru) > self.query_cache_size:
                lru.popitem(last=False)
        else:
            lru.move_to_end(key)
        return found

    def name_order(self) -> list[int]:
        """Return every docnum ordered by listing name (for searches without words)."""
        if "name_order" not in self.data:
            names = [((fields.get("name") or "").lower(), d) for d, fields in self.s.reader().iter_docs()]
            self.data["name_order"] = [d for _, d in sorted(names)]
        return self.data["name_order"]

    def values(self, fieldname: str) -> list[str]:
        key = ("values", fieldname)
        if key not in self.data:
            self.data[key] = [
                v.decode("utf-8") if isinstance(v, bytes) else v for v in self.s.reader().lexicon(fieldname)
            ]
        return self.data[key]

    def age_docs(self, age: int) -> int:
        key = ("age", age)
        if key not in self.data:
            q = Q.And([Q.NumericRange("min_age", None, age), Q.NumericRange("max_age", age, None)])
            self.data[key] = to_bits(self.s.docs_for_query(q), self.size) & self.live()
        return self.data[key]

    def stored(self, docnum: int) -> tuple[str, list[list[float]], dict[str, Any]]:
        store = self.data.setdefault("stored", {})
        found = store.get(docnum)
        if found is None:
            fields = self.s.reader().stored_fields(docnum)
            found = store[docnum] = (fields["id"], fields.get("points") or [], fields.get("area") or {})
        return found

    def segments(self) -> list[tuple[int, int, Any, Any]]:
        """Return (first docnum, end, sidecar or None, venue point lists or None) per segment, in docnum order."""
        if "segments" not in self.data:
            self.data["segments"] = [
                (offset, offset + sub.doc_count_all(), postings.segment_sidecar(self.store, sub.reader()),
                 postings.segment_points(self.store, sub.reader()))
                for sub, offset in self.s.leaf_searchers()]
        return self.data["segments"]

    def listing(self, docnum: int) -> tuple[str, bool, bool, bool]:
        """Return (service id, has a venue, comes to you, by phone or online): from the sidecar, else stored fields."""
        for start, end, side, arrays in self.segments():
            if start <= docnum < end:
                if side is None or arrays is None or "docs.id" not in side.arrays:
                    break
                local = docnum - start
                flags = int(side.arrays["docs.flags"][local])
                return (side.arrays["docs.id"][local].decode(), arrays[0][local + 1] > arrays[0][local],
                        bool(flags & sidecars.FLAG_COMES_TO_YOU), bool(flags & sidecars.FLAG_REMOTE))
        service_id, points, area = self.stored(docnum)
        return service_id, bool(points), bool(area.get("comes_to_you")), bool(area.get("remote"))

    def points(self, docnum: int) -> list[tuple[float, float]] | list[list[float]]:
        """Return a listing's venue points: from its segment's sidecar (kept across reopens), else its stored fields."""
        for start, end, _side, arrays in self.segments():
            if start <= docnum < end:
                if arrays is None:
                    break
                starts, lats, lons = arrays
                local = docnum - start
                return [(lats[i], lons[i]) for i in range(starts[local], starts[local + 1])]
        return self.stored(docnum)[1]

    def radius_areas(self) -> tuple[list[float], list[tuple[int, float, float, float]], float]:
        """Return (latitudes, rows, widest miles): (docnum, lat, lon, miles) per served radius, sorted by lat."""
        if "radius" not in self.data:
            rows: list[tuple[int, float, float, float]] = []
            wanted = self.term_docs("area_kind", "radius")
            if all(side is not None and "radius.doc" in side.arrays for _, _, side, _ in self.segments()):
                for start, _end, side, _ in self.segments():  # from the sidecars: no stored fields read
                    docs = side.arrays["radius.doc"] + start
                    keep = bits_mask(wanted, docs).tolist()
                    for row, kept in zip(zip(docs.tolist(), side.arrays["radius.lat"].tolist(),
                                             side.arrays["radius.lon"].tolist(), side.arrays["radius.miles"].tolist(),
                                             strict=True), keep, strict=True):
                        if kept:
                            rows.append(row)
            else:
                for docnum in from_bits(wanted):
                    for lat, lon, miles in self.stored(docnum)[2].get("radius", []):
                        rows.append((docnum, lat, lon, miles))
            rows.sort(key=lambda r: r[1])
            self.data["radius"] = ([r[1] for r in rows], rows, max((r[3] for r in rows), default=0.0))
        return self.data["radius"]

    def place_lru(self) -> OrderedDict[Any, int]:
        return self.data.setdefault("places", OrderedDict())

    def vocabularies(self, fieldname: str = TEXT_FIELD) -> list[frozenset[str]]:
        """Return each segment's words in ``fieldname`` (kept across reopens for unchanged segments)."""
        key = ("vocabularies", fieldname)
        if key not in self.data:
            self.data[key] = [postings.vocabulary(self.store, sub.reader(), fieldname)
                              for sub, _ in self.s.leaf_searchers()]
        return self.data[key]

    def word_known(self, stem: str) -> bool:
        # The same answer as ``(TEXT_FIELD, stem) in reader``, by set lookups (the reader's test was ~120 µs).
        return any(stem in vocab for vocab in self.vocabularies())


# ---- text ---------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[\w']+")


def _stem_query(stem: str, boost: float) -> Q.Query:
    # The name and topics fields hold a subset of ``text``, so the Or matches exactly what the text term
    # matches; they only add to the score (replacing the old 3×/2× repetition inside ``text``).
    return Q.Or([Q.Term(TEXT_FIELD, stem, boost=boost), Q.Term(NAME_FIELD, stem, boost=boost * NAME_BOOST),
                 Q.Term(TOPICS_FIELD, stem, boost=boost * TOPICS_BOOST)])


def _word_query(stems: list[str], boost: float = 1.0) -> Q.Query:
    terms = [_stem_query(t, boost) for t in stems]
    return terms[0] if len(terms) == 1 else Q.And(terms)


def _phrase_query(stems: list[str], boost: float = 1.0) -> Q.Query:
    if len(stems) == 1:
        return _word_query(stems, boost)
    return Q.Phrase(TEXT_FIELD, stems, boost=boost)


def _fuzzy_query(stem: str) -> Q.Query:
    # ~1 with a 1-letter prefix: ~2 reached a 1.7 s p95 and prefix 0 is 5× slower (SEARCH-NOTES.md tip 6).
    # Scored (not Whoosh's constant score): each word it expands to scores as itself, from the per-searcher
    # term-score cache; a constant score had to be stepped through Whoosh's matcher for every candidate.
    return Q.FuzzyTerm(TEXT_FIELD, stem, boost=0.8, maxdist=1, prefixlength=1, constantscore=False)


def _correct(cache: _Cache, word: str) -> str | None:
    """Return the word meant: the most common indexed stem within 1 (then 2) edits of ``word``'s stem, or None.

    The index keeps stems only (no spelling field: it doubled the analysis work), so the typed word's ending
    is put back on the corrected stem: "befreinding" → stem "befreind" → "befriend" + "ing" → "befriending".
    """
    if len(word) < 4:
        return None
    lru: OrderedDict[str, str | None] = cache.data.setdefault("corrections", OrderedDict())
    if word in lru:
        lru.move_to_end(word)
        return lru[word]
    found = lru[word] = _find_correction(cache, word)  # the spelling graph walk: ~10 ms a word at 10k listings
    if len(lru) > cache.query_cache_size:
        lru.popitem(last=False)
    return found


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def letters_form(word: str) -> str | None:
    """Return the indexed form of a word made only of letters, or None for a stop word: ``analyse(word)``'s one item.

    Letters are one token, so the tokeniser, the token objects and the generator are skipped (a third of the
    cost of ``analyse`` for a spelling candidate); the analyser's memory of words is shared with ``analyse``.
    """
    analyser: FusedTextAnalyzer = text_analyzer()  # type: ignore[assignment]
    words = analyser._words
    try:
        return words[word]
    except KeyError:
        if len(words) > WORD_CACHE_SIZE:
            words.clear()
        form = words[word] = analyser._form(word)
        return form


def _one_slip(cache: _Cache, word: str) -> str | None:
    """Return the word meant when ``word`` is one slip away from a word the listings use, or None.

    The slip is looked for in the typed word, not its stem ("befriendign" → "befriending", whose stem
    "befriend" is three edits from the typo's stem). Swapped letters are the commonest slip, so a swap wins;
    otherwise the commonest word reachable by one missing, extra or wrong letter. ~500 candidates for a
    10-letter word, each a cached stem lookup.
    """
    reader = cache.s.reader()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    swaps = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1 and b[0] != b[1]]
    others = ([a + b[1:] for a, b in splits if b]
              + [a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]]
              + [a + c + b for a, b in splits for c in _LETTERS])
    vocabularies = cache.vocabularies()
    for candidates in (swaps, others):
        best, best_freq = None, 0
        for candidate in sorted(set(candidates)):
            stem = letters_form(candidate)  # ``word`` is letters only, so is each candidate
            if stem is None or not any(stem in vocab for vocab in vocabularies):
                continue
            freq = reader.doc_frequency(TEXT_FIELD, stem)
            if freq > best_freq:
                best, best_freq = candidate, freq
        if best is not None:
            return best
    return None


def _find_correction(cache: _Cache, word: str) -> str | None:
    stems = analyse(word)
    if len(stems) != 1:
        return None
    if word.isalpha() and len(word) <= 20:
        slip = _one_slip(cache, word)
        if slip is not None:
            return slip
    stem = stems[0]
    reader = cache.s.reader()
    for maxdist in (1, 2):
        best, best_freq = None, 0
        # Every indexed word within reach, not the corrector's top 5: its pick depended on how the index was
        # split into segments (a two-process rebuild corrected "wlaking" to "walk", one process to "woke").
        candidates = set(_words_within(cache, stem, maxdist)) - {stem}
        for candidate in sorted(candidates):
            freq = reader.doc_frequency(TEXT_FIELD, candidate)
            if freq > best_freq:
                best, best_freq = candidate, freq
        if best is not None:
            fixed = best + word[len(stem):] if word.startswith(stem) else best
            # Keep the restored ending only when it still stems to the stem we found.
            return fixed if analyse(fixed) == [best] else best
    return None


@dataclass
class _TextPlan:
    query: Q.Query | None
    corrected: dict[str, str]
    words: list[str]  # the plain words, for "Did you mean"
    groups: list[Q.Query] = field(default_factory=list)  # one per word, synonym or phrase: And-ed in ``query``
    optional: list[Q.Query] = field(default_factory=list)  # generic words: add to the score, never required
    labels: list[str] = field(default_factory=list)  # what the resident typed for each group
    stems: list[str] = field(default_factory=list)  # the content words' stems, for the name and topics bonus


def _expansion_query(expansion: str) -> Q.Query | None:
    # All the words rather than a phrase: phrase matching (span checks) was the largest cost in the profile,
    # and "community transport" in either order is still about community transport.
    stems = analyse(expansion)
    if not stems:
        return None
    return _word_query(stems, 0.9)


def _need_free(plain: list[str], synonyms: dict[str, list[str]]) -> set[int]:
    """Return the positions of need-free words to drop: all of them, unless nothing else would be left."""
    covered: set[int] = set()
    i = 0
    while i < len(plain):
        for size in range(min(MAX_SYNONYM_WORDS, len(plain) - i), 1, -1):
            if " ".join(plain[i:i + size]) in synonyms:
                covered.update(range(i, i + size))  # inside a synonym ("someone to talk to"): kept
                i += size
                break
        else:
            i += 1
    free = {i for i, w in enumerate(plain) if i not in covered and w in NEED_FREE_WORDS}
    content = [i for i, w in enumerate(plain) if i not in free and analyse(w)]
    return free if content else set()


def build_text_query(cache: _Cache, text: str, synonyms: dict[str, list[str]]) -> _TextPlan:
    """Turn free text into a Whoosh query (AND of its words), expanding synonyms and correcting typos.

    Need-free words ("help", "group", "near me") are dropped when the query has a word that names a need;
    generic words ("club") weigh less than the rest.
    """
    groups: list[Q.Query] = []
    labels: list[str] = []
    content_stems: list[str] = []
    corrected: dict[str, str] = {}
    plain: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        if match.group(1) is not None:
            stems = analyse(match.group(1))
            if stems:
                groups.append(_phrase_query(stems))
                labels.append(match.group(1).strip())
                content_stems += stems
            continue
        plain += [fold(w).strip("'") for w in _WORD.findall(match.group(2))]
    plain = [w for w in plain if w]
    dropped = _need_free(plain, synonyms)
    i = 0
    while i < len(plain):
        # Longest synonym term first, so "someone to talk to" wins over "talk".
        for size in range(min(MAX_SYNONYM_WORDS, len(plain) - i), 0, -1):
            if size == 1 and i in dropped:
                continue
            term = " ".join(plain[i:i + size])
            if term in synonyms:
                alternatives = [q for q in (_expansion_query(e) for e in synonyms[term]) if q is not None]
                stems = analyse(term)
                if stems and all(cache.word_known(s) for s in stems):
                    alternatives.insert(0, _word_query(stems))
                if alternatives:
                    groups.append(Q.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
                    labels.append(term)
                    content_stems += stems
                i += size
                break
        else:
            word = plain[i]
            i += 1
            if i - 1 in dropped:
                continue
            stems = analyse(word)
            if not stems:
                continue  # a stop word
            boost = GENERIC_BOOST if word in GENERIC_WORDS else 1.0
            if all(cache.word_known(s) for s in stems):
                groups.append(_word_query(stems, boost))
                labels.append(word if boost == 1.0 else "\x00" + word)  # marked generic (see below)
                content_stems += stems
                continue
            suggestion = _correct(cache, word)
            fuzzy = Q.Or([_fuzzy_query(s) for s in stems])
            if suggestion and suggestion != word:
                corrected[word] = suggestion
                fixed = analyse(suggestion) or stems
                groups.append(Q.Or([_word_query(fixed, boost), fuzzy]))
                content_stems += fixed
            else:
                groups.append(fuzzy)
            labels.append(word)
    if not groups:
        return _TextPlan(None, corrected, plain)
    # Generic words are optional when the query has a word of its own ("garden club" needs "garden").
    optional = [g for g, label in zip(groups, labels, strict=True) if label.startswith("\x00")]
    if len(optional) < len(groups):
        groups = [g for g, label in zip(groups, labels, strict=True) if not label.startswith("\x00")]
        labels = [label for label in labels if not label.startswith("\x00")]
    else:
        optional = []
    labels = [label.lstrip("\x00") for label in labels]
    # Fuzzy terms become the words they match here, once, so matching and scoring agree (see _words_within).
    resolved = [_resolve_fuzzy(cache, g) for g in groups]
    query = resolved[0] if len(resolved) == 1 else Q.And(resolved)
    return _TextPlan(query, corrected, plain, resolved, optional, labels, list(dict.fromkeys(content_stems)))


def _resolve_fuzzy(cache: _Cache, q: Q.Query) -> Q.Query:
    """Return ``q`` with every fuzzy term replaced by the Or of the indexed words it matches."""
    if isinstance(q, Q.FuzzyTerm):
        return _expand(cache, q)
    if isinstance(q, (Q.And, Q.Or)):
        return type(q)([_resolve_fuzzy(cache, sub) for sub in q.subqueries], boost=q.boost)
    return q


# ---- filters and place --------------------------------------------------------------------------------------------

def _filter_sets(cache: _Cache, filters: dict[str, list[str]]) -> dict[str, int]:
    """Return facet name → bitmap of docnums matching ANY selected value (OR within a facet)."""
    sets: dict[str, int] = {}
    for name, values in (filters or {}).items():
        values = [str(v).strip().lower() for v in values or [] if str(v).strip()]
        if not values or name not in FILTERS:
            continue
        found = 0
        for value in values:
            if name == "age":
                if value.isdigit():
                    found |= cache.age_docs(int(value))
            else:
                found |= cache.term_docs(FACETS[name], value)
        sets[name] = found
    return sets


def _cell_grid(lat: float, lon: float, miles: float) -> tuple[list[str], list[str]]:
    """Return (cells wholly within ``miles`` of the point, cells the circle's edge may cross).

    The box holds every cell the circle can touch (its east-west reach measured at the latitude furthest from
    the equator, where a degree of longitude is shortest). A cell is wholly inside when its four corners are:
    on a sphere the furthest point of a small latitude/longitude cell from any point is one of its corners.
    """
    dlat = miles / 69.0
    widest = max(abs(lat - dlat), abs(lat + dlat))
    dlon = miles / (69.0 * max(0.05, math.cos(math.radians(min(89.0, widest)))))
    lat_lo, lat_hi = int((lat - dlat + 90) / GEOCELL_DEGREES), int((lat + dlat + 90) / GEOCELL_DEGREES)
    lon_lo, lon_hi = int((lon - dlon + 180) / GEOCELL_DEGREES), int((lon + dlon + 180) / GEOCELL_DEGREES)
    # Which grid corners are within reach, by the haversine formula split into a term per grid row and one per
    # column (hav = row + cos·cos · column): exact, with trigonometry per row and column, not per corner.
    limit = math.sin(min(math.pi / 2, miles / (2 * EARTH_RADIUS_MILES))) ** 2
    p1 = math.radians(lat)
    rows = []
    for a in range(lat_lo, lat_hi + 2):
        p2 = math.radians(a * GEOCELL_DEGREES - 90)
        rows.append((math.sin((p2 - p1) / 2) ** 2, math.cos(p1) * math.cos(p2)))
    columns = [math.sin(math.radians(b * GEOCELL_DEGREES - 180 - lon) / 2) ** 2 for b in range(lon_lo, lon_hi + 2)]
    corner_in = [[base + weight * column <= limit for column in columns] for base, weight in rows]
    inside: list[str] = []
    edge: list[str] = []
    for i, a in enumerate(range(lat_lo, lat_hi + 1)):
        low, high = corner_in[i], corner_in[i + 1]
        for j, b in enumerate(range(lon_lo, lon_hi + 1)):
            cell = f"{a}:{b}"
            (inside if low[j] and low[j + 1] and high[j] and high[j + 1] else edge).append(cell)
    return inside, edge


def _nearest_miles(cache: _Cache, docnum: int, lat: float, lon: float) -> float | None:
    points = cache.points(docnum)
    if not points:
        return None
    return min(miles_between(lat, lon, p[0], p[1]) for p in points)


def _venues_within(cache: _Cache, candidates: int, lat: float, lon: float, miles: float | None,
                   distances: dict[int, float | None]) -> int:
    """Return the bitmap of candidates with a venue within ``miles`` (any distance when None).

    Geocells wholly inside the circle are taken whole, as cached bitmaps; exact distances are computed (and
    kept in ``distances``) only for candidates in the cells the circle's edge crosses. Profiled at 10k
    listings, measuring every candidate in the box was over half the time of a search with a place.
    """
    if not candidates:
        return 0
    if miles is None:
        return candidates & cache.term_docs("mode", "venue")
    inside, edge = _cell_grid(lat, lon, miles)
    found = 0
    for cell in inside:
        found |= cache.term_docs("geocell", cell)
    found &= candidates
    crossing = 0
    for cell in edge:
        crossing |= cache.term_docs("geocell", cell)
    crossing &= candidates & ~found
    near: list[int] = []
    for docnum in from_bits(crossing):
        if docnum not in distances:
            distances[docnum] = _nearest_miles(cache, docnum, lat, lon)
        d = distances[docnum]
        if d is not None and d <= miles:
            near.append(docnum)
    return found | to_bits(near, cache.size) if near else found


def _measure(cache: _Cache, docs: int, lat: float, lon: float, distances: dict[int, float | None]) -> None:
    """Fill ``distances`` for the listings in ``docs`` that have a venue (only those shown need measuring)."""
    for docnum in from_bits(docs & cache.term_docs("mode", "venue")):
        if docnum not in distances:
            distances[docnum] = _nearest_miles(cache, docnum, lat, lon)


def _area_docs(cache: _Cache, place: ResolvedPlace) -> int:
    """Return the bitmap of listings whose area served covers the place: its council, postcode district or a radius."""
    lru = cache.place_lru()
    key = (place.lad_code, place.outcode, place.lat, place.lon)
    found = lru.get(key)
    if found is not None:
        lru.move_to_end(key)
        return found
    found = 0
    if place.lad_code:
        found |= cache.term_docs("area_lad", place.lad_code.upper())
    if place.outcode:
        found |= cache.term_docs("area_outcode", place.outcode.replace(" ", "").lower())
    lats, rows, widest = cache.radius_areas()
    # Rows are sorted by latitude: only those within the widest radius north or south can cover the place.
    reach = widest / 69.0 + 0.01
    near = []
    for docnum, lat, lon, miles in rows[bisect.bisect_left(lats, place.lat - reach):
                                        bisect.bisect_right(lats, place.lat + reach)]:
        if miles_between(place.lat, place.lon, lat, lon) <= miles:
            near.append(docnum)
    found |= to_bits(near, cache.size)
    lru[key] = found
    if len(lru) > cache.place_cache_size:
        lru.popitem(last=False)
    return found


def _remote_docs(cache: _Cache) -> int:
    return cache.term_docs("mode", "remote")


# ---- the search ---------------------------------------------------------------------------------------------------

def _facet_counts(cache: _Cache, base: int, filter_sets: dict[str, int]) -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {}
    for name, fieldname in FACETS.items():
        scope = base
        for other, docs in filter_sets.items():
            if other != name:
                scope &= docs
        counts = {}
        if scope:
            for value in cache.values(fieldname):
                n = (scope & cache.term_docs(fieldname, value)).bit_count()
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
    page = max(1, int(request.page or 1))
    per_page = max(1, min(100, int(request.per_page or 20)))
    plan = build_text_query(cache, request.text, synonyms)
    live = cache.live()
    # Unscored: the bitmap of matches comes from cached per-term bitmaps; only candidates are scored (_rank).
    text_docs = cache.query_bits(plan.query) if plan.query is not None else live
    filter_sets = _filter_sets(cache, request.filters)
    filtered = live
    for docs in filter_sets.values():
        filtered &= docs
    matched = text_docs & filtered
    full = matched
    score_query = plan.query
    relax = _relax(cache, plan, full, filtered) if plan.query is not None else None
    if relax is not None:
        text_docs |= relax.text_docs
        matched = full | relax.extra
    if relax is not None or plan.optional:
        score_query = Q.Or(plan.groups + plan.optional)  # the sum of the words' scores, as And would give
    bonus = _bonus(cache, plan.stems) if plan.query is not None else None

    place = request.place
    distances: dict[int, float | None] = {}
    venues = area = 0
    widened: float | None = None
    radius: float | None = None
    nothing_within: float | None = None
    if place is not None and place.is_area:
        # A council, county or region: services in it or covering it (and by phone or online), by relevance.
        in_area = covering = 0
        for code in place.lad_codes:
            in_area |= cache.term_docs("venue_lad", code.upper())
            covering |= cache.term_docs("area_lad", code.upper())
        venues = matched & in_area
        area = matched & covering & ~venues
        final = venues | area | (_remote_docs(cache) & matched)
        base_for_facets = text_docs & (in_area | covering | _remote_docs(cache))
    elif place is not None:
        area_all = _area_docs(cache, place)
        area = area_all & matched
        remote = _remote_docs(cache) & matched
        local = 0
        cap = max_widen_miles()
        if request.within_miles:
            steps: tuple[float, ...] = (min(float(request.within_miles), cap),)
        else:
            steps = (*(r for r in WIDEN_STEPS if r < cap), cap)
        for radius in steps:
            venues = _venues_within(cache, matched, place.lat, place.lon, radius, distances)
            local = venues | area
            if local.bit_count() >= per_page:
                break
            if not (matched & ~remote & ~area & ~venues):
                break  # nothing further away to find
        _measure(cache, local | remote, place.lat, place.lon, distances)  # for ordering and labels
        widened = radius if radius != steps[0] else None
        if not local:
            nothing_within = radius  # say so plainly; never show far venues as the answer
        final = local | remote
        if filter_sets:
            near = _venues_within(cache, text_docs, place.lat, place.lon, radius, distances)
        else:
            near = venues  # the same candidates: no need to walk them twice
        base_for_facets = text_docs & (near | area_all | _remote_docs(cache))
    else:
        final = matched
        base_for_facets = text_docs

    total = final.bit_count()
    facets = _facet_counts(cache, base_for_facets, filter_sets)
    hits = _rank(cache, score_query, final, request, page, per_page, distances, venues, area,
                 _Tiers(full if relax is not None else None, bonus))

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
        within_miles=radius,
        nothing_within_miles=nothing_within,
        corrected_terms=plan.corrected,
        took_ms=(time.perf_counter() - started) * 1000,
        relaxed=relax is not None,
        missing_words=relax.missing if relax is not None else [],
        used_words=relax.used if relax is not None else [],
        full_matches=(full & final).bit_count() if relax is not None else total,
    )


@dataclass
class _Relaxed:
    text_docs: int  # listings matching enough of the words (before filters)
    extra: int  # those, filtered, that are not full matches
    missing: list[str]  # words no listing mentions
    used: list[str]  # the words that did match something


def _relax(cache: _Cache, plan: _TextPlan, full: int, filtered: int) -> _Relaxed | None:
    """Return listings matching most of the words when too few match them all (None when not needed).

    Requires all but one word, then fewer, until a handful match; scoring (the Or of the words) ranks those
    matching more, and more meaningful, words first, and full matches always come first (``_Tiers``).
    """
    n = len(plan.groups)
    if n < 2 or full.bit_count() >= RELAX_BELOW:
        return None
    bits = [cache.query_bits(g) for g in plan.groups]
    at_least = [cache.live()] + [0] * n  # at_least[j]: listings matching j or more of the words
    for b in bits:
        for j in range(n, 0, -1):
            at_least[j] |= at_least[j - 1] & b
    chosen = None
    for k in range(n - 1, 0, -1):
        chosen = at_least[k]
        if ((chosen & filtered) | full).bit_count() >= RELAX_BELOW:
            break
    if chosen is None or not (chosen & filtered & ~full):
        return None
    missing = [label for label, b in zip(plan.labels, bits, strict=True) if not b]
    used = [label for label, b in zip(plan.labels, bits, strict=True) if b]
    return _Relaxed(chosen, chosen & filtered & ~full, missing, used)


@dataclass
class _Tiers:
    full: int | None  # with relaxed matching, the full matches (ranked above the rest)
    bonus: tuple[int, int] | None  # listings whose name / topics hold every word


def _bonus(cache: _Cache, stems: list[str]) -> tuple[int, int] | None:
    if not stems:
        return None
    name = cache.query_bits(Q.And([Q.Term(NAME_FIELD, s) for s in stems]))
    topics = cache.query_bits(Q.And([Q.Term(TOPICS_FIELD, s) for s in stems]))
    return name, topics


def _adjusted(tiers: _Tiers, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Return ``scores`` (of ``docs``) with the name and topics bonus applied."""
    if tiers.bonus is None:
        return scores
    name, topics = tiers.bonus
    if not name and not topics:
        return scores
    in_name = bits_mask(name, docs)
    in_topics = bits_mask(topics, docs) & ~in_name
    return np.where(in_name, scores * NAME_MATCH_BONUS, np.where(in_topics, scores * TOPICS_MATCH_BONUS, scores))


def _tier(tiers: _Tiers, docnum: int) -> int:
    return 0 if tiers.full is None or tiers.full >> docnum & 1 else 1


def _tier_array(tiers: _Tiers, docs: np.ndarray) -> np.ndarray:
    """Return each document's tier: 0 for full matches (or when nothing was relaxed), 1 for partial ones."""
    if tiers.full is None:
        return np.zeros(len(docs), dtype=np.int8)
    return (~bits_mask(tiers.full, docs)).astype(np.int8)


def _hit(cache: _Cache, docnum: int, score: float, distances: dict[int, float | None], modes: dict[int, str],
         with_place: bool) -> SearchHit:
    service_id, has_venue, comes_to_you, remote = cache.listing(docnum)
    if with_place:
        mode = modes.get(docnum, "venue")
        distance = distances.get(docnum)
        label = format_distance(distance) if mode == "venue" and distance is not None else LABELS.get(mode)
    else:
        mode = "venue" if has_venue else ("comes_to_you" if comes_to_you else "remote" if remote else "area")
        distance = None
        label = LABELS.get(mode) if mode in ("comes_to_you", "remote") else None
    return SearchHit(service_id=service_id, score=round(score, 4), distance_miles=distance, mode=mode, label=label)


def score_docs(s: Searcher, query: Q.Query, docnums: list[int]) -> dict[int, float]:
    """Return docnum → relevance for the given (ascending) docnums, stepping the matcher to each one.

    Costs one ``skip_to`` per candidate instead of a walk over every match: with a place, the candidates
    are the few listings near it, whatever the words match across the country.
    """
    scores: dict[int, float] = {}
    context = s.context()
    for sub, offset in s.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in docnums if offset <= d < end]
        if not local:
            continue
        matcher = query.matcher(sub, context)
        for d in local:
            if not matcher.is_active():
                break
            if matcher.id() < d:
                matcher.skip_to(d)
                if not matcher.is_active():
                    break
            if matcher.id() == d:
                scores[d + offset] = float(matcher.score() or 0.0)
    return scores


def _term_scores(cache: _Cache, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (docnums ascending, scores) — Whoosh's own BM25F score at boost 1 — for every posting of a term.

    Computed over numpy arrays from the segments' postings (``postings.term_scores``); cached per searcher in an
    LRU bounded by the postings it holds (idf and average lengths change with every update).
    """
    lru: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = cache.data.setdefault("scores", OrderedDict())
    key = (fieldname, text)
    found = lru.get(key)
    if found is not None:
        lru.move_to_end(key)
        return found
    found = lru[key] = postings.term_scores(cache.store, cache.s, fieldname, text)
    held = cache.data["score_postings"] = cache.data.get("score_postings", 0) + len(found[0])
    while held > cache.score_cache_postings and len(lru) > 1:
        _, (old_docs, _) = lru.popitem(last=False)
        held -= len(old_docs)
    cache.data["score_postings"] = held
    return found


def _no_match(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(size, dtype=bool), np.zeros(size, dtype=np.float64)


def _tree_scores(cache: _Cache, q: Q.Query, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (matches, scores) of ``q`` for ``docs`` (ascending docnums): which match, and their scores as Whoosh
    would compute them (0.0 where a document does not match).

    Whoosh sums the children's scores for And and for the matching children of Or, and multiplies by the boost;
    per-term scores come from its own formula (``_term_scores``, cached), so only the arithmetic happens here,
    over arrays aligned with ``docs``, in the same order of operations (adding a non-matching child's 0.0 leaves
    a sum unchanged), so the scores are the same floats. Profiled at 100,000 listings, the dicts and Python loops
    this replaced were most of a broad query's time.
    """
    boost = float(getattr(q, "boost", 1.0) or 1.0)
    if isinstance(q, Q.Term):
        found, values = _term_scores(cache, q.fieldname, q.text)
        if not len(found) or not len(docs):
            return _no_match(len(docs))
        at = np.searchsorted(found, docs)
        np.minimum(at, len(found) - 1, out=at)
        hit = found[at] == docs
        return hit, np.where(hit, values[at] * boost, 0.0)
    if isinstance(q, Q.And) and q.subqueries:
        hit, total = _tree_scores(cache, q.subqueries[0], docs)
        for sub in q.subqueries[1:]:
            if not hit.any():
                return _no_match(len(docs))
            part_hit, part = _tree_scores(cache, sub, docs)
            hit &= part_hit
            total = total + part
        total = np.where(hit, total, 0.0)
        return hit, total if boost == 1.0 else total * boost
    if isinstance(q, Q.Or):
        hit, total = _no_match(len(docs))
        for sub in q.subqueries:
            part_hit, part = _tree_scores(cache, sub, docs)
            hit |= part_hit
            total = total + part
        return hit, total if boost == 1.0 else total * boost
    if isinstance(q, Q.MultiTerm) and not q.constantscore:
        # A fuzzy term scores as the Or of the words it expands to (what its Whoosh matcher does).
        expanded = _expand(cache, q)
        return _tree_scores(cache, expanded, docs) if isinstance(expanded, (Q.Term, Q.Or)) else _no_match(len(docs))
    # Phrases: let Whoosh score them, stepping its matcher to each candidate.
    candidates = docs[bits_mask(cache.query_bits(q), docs)] if len(docs) > 64 else docs
    scored = score_docs(cache.s, q, candidates.tolist())
    hit = np.isin(docs, np.fromiter(scored, dtype=np.int64, count=len(scored)))
    values = np.zeros(len(docs), dtype=np.float64)
    values[hit] = [scored[d] for d in docs[hit].tolist()]
    return hit, values


def _expand(cache: _Cache, q: Q.Query) -> Q.Query:
    """Return a fuzzy term expanded to the indexed words it matches, cached per searcher (bounded LRU)."""
    lru: OrderedDict[str, Q.Query] = cache.data.setdefault("expansions", OrderedDict())
    key = repr(q)
    found = lru.get(key)
    if found is None:
        found = lru[key] = _expand_words(cache, q)
        if len(lru) > cache.query_cache_size:
            lru.popitem(last=False)
    else:
        lru.move_to_end(key)
    return found


def _words_within(cache: _Cache, text: str, maxdist: int, prefix: int = 1, fieldname: str = TEXT_FIELD) -> list[str]:
    """Return the indexed words within ``maxdist`` edits (Damerau-Levenshtein) of ``text`` sharing its prefix.

    Whoosh's generic walk, called explicitly: a one-segment reader's own automaton does not count a swap of two
    letters as one edit while a several-segment reader does, so the same index split differently (a rebuild
    with two processes, or edits) corrected "wlaking" to "woke" or to "walk".
    """
    if maxdist == 1:  # one edit: look the variants up (postings.words_within_one), the same words as the walk
        return sorted(postings.words_within_one(cache.vocabularies(fieldname), text, prefix))
    found = IndexReader.terms_within(cache.s.reader(), fieldname, text, maxdist, prefix=prefix)
    return sorted({w.decode("utf-8") if isinstance(w, bytes) else w for w in found})


def _expand_words(cache: _Cache, q: Q.Query) -> Q.Query:
    """Return the Or of the indexed words a fuzzy term matches, each with the fuzzy term's boost.

    Not ``FuzzyTerm.simplify``: in whoosh3 it passes the str words ``terms_within`` yields to ``from_bytes``,
    which raises TypeError; and see ``_words_within``.
    """
    if not isinstance(q, Q.FuzzyTerm):
        return q.simplify(cache.s.reader())
    words = _words_within(cache, q.text, q.maxdist, q.prefixlength, q.fieldname)
    terms = [Q.Term(q.fieldname, w, boost=q.boost) for w in words]
    if not terms:
        return Q.NullQuery
    return terms[0] if len(terms) == 1 else Q.Or(terms)


def _score_arrays(cache: _Cache, query: Q.Query, final: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (docnums in ``final`` ascending, whether each matches ``query``, their scores; 0.0 if not)."""
    # Always from posting arrays (kept per segment across updates): stepping Whoosh's matchers to a few candidates
    # looked cheaper, but an Or of many words makes Whoosh score whole posting lists in Python, and after an update
    # that was most of the time (bench/search.py at 10k: warm 19 → 13-17 ms/query, after an update 71 → 39-45).
    docs = bits_to_array(final)
    hit, scores = _tree_scores(cache, query, docs)
    return docs, hit, scores


def _scores(cache: _Cache, query: Q.Query, final: int) -> dict[int, float]:
    """Return docnum → score of the documents in ``final`` that match ``query``."""
    docs, hit, scores = _score_arrays(cache, query, final)
    return dict(zip(docs[hit].tolist(), scores[hit].tolist(), strict=True))


def _best(count: int, tiers: np.ndarray, scores: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Return the positions of the ``count`` best documents, best first: by tier, then score (high first), then docnum.

    The order ``heapq.nsmallest(count, ..., key=(tier, -score, docnum))`` gives, without a Python call per
    document: only the documents that can make the top ``count`` (ties at the edge included) are sorted.
    """
    if len(docs) > 4 * count:
        keep = np.zeros(len(docs), dtype=bool)
        wanted = count
        for tier in np.unique(tiers):
            if wanted <= 0:
                break
            in_tier = tiers == tier
            tier_scores = scores[in_tier]
            if len(tier_scores) > wanted:
                edge = np.partition(tier_scores, len(tier_scores) - wanted)[len(tier_scores) - wanted]
                keep |= in_tier & (scores >= edge)
            else:
                keep |= in_tier
            wanted -= len(tier_scores)
        picked = np.flatnonzero(keep)
    else:
        picked = np.arange(len(docs))
    order = np.lexsort((docs[picked], -scores[picked], tiers[picked]))
    return picked[order[:count]]


def _mode(cache: _Cache, docnum: int, venues: int, area: int) -> str:
    if venues >> docnum & 1:
        return "venue"
    if area >> docnum & 1:
        return "comes_to_you" if cache.listing(docnum)[2] else "area"
    return "remote"


def _rank(cache: _Cache, query: Q.Query | None, final: int, request: SearchRequest, page: int, per_page: int,
          distances: dict[int, float | None], venues: int, area: int, tiers: _Tiers | None = None) -> list[SearchHit]:
    tiers = tiers or _Tiers(None, None)
    start, end = (page - 1) * per_page, page * per_page
    if not final:
        return []
    if request.place is None:
        if query is None:
            # No words: list by name, a stable order people can scan.
            data = final.to_bytes((final.bit_length() + 8) >> 3, "little")
            limit = len(data) << 3
            ordered: list[int] = []
            for d in cache.name_order():
                if d < limit and _has(data, d):
                    ordered.append(d)
                    if len(ordered) >= end:
                        break
            return [_hit(cache, d, 0.0, distances, {}, False) for d in ordered[start:end]]
        docs, hit, scores = _score_arrays(cache, query, final)
        docs, scores = docs[hit], _adjusted(tiers, docs[hit], scores[hit])
        top = _best(end, _tier_array(tiers, docs), scores, docs)[start:end]
        return [_hit(cache, d, v, distances, {}, False) for d, v in zip(docs[top].tolist(), scores[top].tolist(),
                                                                        strict=True)]

    if request.place.is_area:
        if query is None:
            data = final.to_bytes((final.bit_length() + 8) >> 3, "little")
            ordered = [d for d in cache.name_order() if d < len(data) << 3 and _has(data, d)]
            ordered = sorted(ordered, key=lambda d: _tier(tiers, d))[start:end]
            shown = {d: _mode(cache, d, venues, area) for d in ordered}
            return [_hit(cache, d, 0.0, distances, shown, True) for d in ordered]
        # Every listing in ``final`` is ranked; those the words do not match score 0.
        docs, _, scores = _score_arrays(cache, query, final)
        scores = _adjusted(tiers, docs, scores)
        top = _best(end, _tier_array(tiers, docs), scores, docs)[start:end]
        picked = list(zip(docs[top].tolist(), scores[top].tolist(), strict=True))
        shown = {d: _mode(cache, d, venues, area) for d, _ in picked}
        return [_hit(cache, d, v, distances, shown, True) for d, v in picked]

    docs = bits_to_array(final)
    at_venue = bits_mask(venues, docs)
    # Miles to the nearest venue, measured for the listings with one (NaN where not measured or none).
    miles = np.fromiter((m if (m := distances.get(d)) is not None else math.nan for d in docs.tolist()),
                        dtype=np.float64, count=len(docs))
    if request.order == "nearest" or query is None:
        # Venues by distance; covering the area or coming to you as if a mile away; by phone or online last.
        effective = np.where(at_venue, np.nan_to_num(miles, nan=0.0),
                             np.where(bits_mask(area, docs), AREA_EFFECTIVE_MILES, math.inf))
        ordered = docs[_best(end, _tier_array(tiers, docs), -effective, docs)[start:end]].tolist()
        by_doc = _scores(cache, query, to_bits(ordered, cache.size)) if query is not None and ordered else {}
        shown = {d: _mode(cache, d, venues, area) for d in ordered}
        return [_hit(cache, d, by_doc.get(d, 0.0), distances, shown, True) for d in ordered]
    docs, hit, scores = _score_arrays(cache, query, final)
    scores = _adjusted(tiers, docs, scores)
    best = float(scores[hit].max()) if hit.any() else 0.0
    best = best or 1.0
    # Relevance first, nearness second: a close listing that only mentions the words must not beat the real thing.
    # Nearness is 1 at the door, 0.5 at 3 miles, 0.25 at 9 miles; covering the place, coming to you, or by phone or
    # online counts as a venue a mile away, so these rank by relevance among what is close, never below far venues.
    nearness = np.where(at_venue & ~np.isnan(miles), 1.0 / (1.0 + miles / 3.0), 1.0 / (1.0 + AREA_EFFECTIVE_MILES / 3.0))
    blended = RELEVANCE_WEIGHT * scores / best + (1 - RELEVANCE_WEIGHT) * nearness
    top = _best(end, _tier_array(tiers, docs), blended, docs)[start:end]
    picked = list(zip(docs[top].tolist(), blended[top].tolist(), strict=True))
    shown = {d: _mode(cache, d, venues, area) for d, _ in picked}
    return [_hit(cache, d, v, distances, shown, True) for d, v in picked]


def warm_searcher(state: SearcherState) -> None:
    """Build what every search on a new searcher needs first: the live documents and the facet bitmaps."""
    cache = _Cache(state)
    _facet_counts(cache, cache.live(), {})


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
                ids = sorted(cache.stored(d)[0] for d in from_bits(live))
                return [(i, None) for i in ids[:limit]]
            results = state.searcher.search(plan.query, limit=limit)
            return [(cache.stored(r.docnum)[0], None) for r in results]
        matched = cache.query_bits(plan.query) if plan.query is not None else live
        miles = within_metres / METRES_PER_MILE if within_metres is not None else None
        distances: dict[int, float | None] = {}
        within = _venues_within(cache, matched, lat, lon, miles, distances)
        _measure(cache, within, lat, lon, distances)
        found = from_bits(within)
        ordered = sorted(found, key=lambda d: (distances[d], cache.stored(d)[0]))
        ordered = ordered[:limit] if limit is not None else ordered
        return [(cache.stored(d)[0], round((distances[d] or 0.0) * METRES_PER_MILE, 1)) for d in ordered]


def services_covering(
    place: ResolvedPlace,
    text: str | None = None,
    within_metres: float | None = None,
) -> list[tuple[str, float | None]]:
    """Return (service id, metres to its nearest venue or None) for the listings that serve ``place``, strictly.

    A listing serves the place when its area served covers it (its council, its postcode district, a radius
    around a point that reaches it; "comes to you" listings describe their area the same way) or, when
    ``within_metres`` is given, when one of its venues is within that distance. Unlike the resident search
    there is no widening radius and no remote-only listing (it covers nowhere in particular). Only published
    listings are in the index, so only they are returned. ``text`` narrows to the listings it matches.

    Ordered by distance, nearest first; listings with no venue (distance None) come after, by relevance to
    ``text``, then by id so the order is stable.
    """
    synonyms = _synonyms() if text else {}
    with get_manager().use() as state:
        cache = _Cache(state)
        plan = build_text_query(cache, text or "", synonyms)
        matched = cache.query_bits(plan.query) if plan.query is not None else cache.live()
        distances: dict[int, float | None] = {}
        covering = _area_docs(cache, place) & matched
        if within_metres is not None:
            covering |= _venues_within(cache, matched, place.lat, place.lon, within_metres / METRES_PER_MILE,
                                       distances)
        docs = from_bits(covering)
        for docnum in docs:  # those covered by their area too: say how far their nearest venue is, if any
            if docnum not in distances:
                distances[docnum] = _nearest_miles(cache, docnum, place.lat, place.lon)
        scores = _scores(cache, plan.query, covering) if plan.query is not None and docs else {}

        def order(docnum: int) -> tuple[bool, float, float, str]:
            miles = distances[docnum]
            return (miles is None, miles or 0.0, -scores.get(docnum, 0.0), cache.stored(docnum)[0])

        return [(cache.stored(d)[0], _metres(distances[d])) for d in sorted(docs, key=order)]


def _metres(miles: float | None) -> float | None:
    return None if miles is None else round(miles * METRES_PER_MILE, 1)


def log_search(request: SearchRequest, results: SearchResults) -> None:
    """Record a search for insights: normalised words, filters, postcode district only, count, time taken.

    Never a full postcode, an IP address or who searched. Written in batches outside the caller's transaction
    (``search_log.py`` says when, and what a crash can lose).
    """
    from . import search_log

    filters = {k: sorted(str(v) for v in values) for k, values in (request.filters or {}).items() if values}
    outcode = request.place.outcode if request.place is not None else None
    search_log.record({
        "query": fold(request.text or "")[:255],
        "filters": filters,
        "outcode": outcode.upper().replace(" ", "")[:8] if outcode else None,
        "lad_code": (request.place.lad_code or None) if request.place is not None else None,
        "order": request.order if request.order in ("relevance", "nearest") else "relevance",
        "page": max(1, int(request.page or 1)),
        "result_count": results.total,
        "took_ms": round(results.took_ms, 2),
    })

