"""Postings read a block at a time into numpy arrays, kept per index segment across searcher reopens.

Why: profiled at 100,000 listings, a distinct query spent most of its time walking Whoosh matchers one posting at a
time in Python (``matcher.score()`` per posting to score a broad word, ``docs_for_query`` per posting to make a
bitmap), and every index update reopened the searcher and threw every cache away, so the first searches after an
edit rebuilt them all (issue 17: 1.7 s p50). Here:

- a term's docnums and term frequencies come from the posting blocks whole (``_read_ids``/``_read_weights`` of
  Whoosh's own block reader), and BM25F is computed over the arrays: the same formula, operands and order as
  ``whoosh.scoring.bm25``, in IEEE doubles, so the scores are Whoosh's own (tests/search/test_postings.py);
- what depends only on a segment (its postings, its field lengths) is cached under the segment's id, which an
  update never changes (a new document goes to a new segment; a deletion is applied from the searcher's current
  deletion set at read time). Only idf and average lengths, which are global, are taken afresh from each searcher.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from . import sidecars
from .segment_arrays import raw_postings, read_length_codes

# BM25F's defaults, which the searcher uses (``ix.searcher()`` with no weighting).
B = 0.75
K1 = 1.2
# Postings kept across reopens (ids int32 + weights float32: 8 bytes each): 6M postings ≈ 48 MB per process.
SEGMENT_CACHE_POSTINGS = 6_000_000
SEGMENT_CACHE_FACTS = 4000
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class SegmentStore:
    """Per-segment arrays shared by the searchers one process opens in turn (one per IndexManager)."""

    def __init__(self, max_postings: int = SEGMENT_CACHE_POSTINGS) -> None:
        self.lock = threading.Lock()
        self.postings: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.held = 0
        self.max_postings = max_postings
        self.lengths: dict[tuple[Any, ...], np.ndarray] = {}
        self.vocabularies: dict[tuple[Any, ...], frozenset[str]] = {}
        # Each segment's sidecar (sidecars.py), or None when it has none (looked for again at the next reopen).
        self.sidecars: dict[tuple[Any, ...], sidecars.Sidecar | None] = {}
        self.points: dict[tuple[Any, ...], tuple[list[int], list[float], list[float]]] = {}
        # Other per-segment values (terms' bitmaps), in an LRU: 4,000 bitmaps of a 100k-listing index ≈ 50 MB.
        self.facts: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.max_facts = SEGMENT_CACHE_FACTS

    def fact(self, key: tuple[Any, ...]) -> Any:
        with self.lock:
            found = self.facts.get(key)
            if found is not None:
                self.facts.move_to_end(key)
            return found

    def remember(self, key: tuple[Any, ...], value: Any) -> None:
        with self.lock:
            self.facts[key] = value
            while len(self.facts) > self.max_facts:
                self.facts.popitem(last=False)

    def keep_only(self, segment_keys: set[tuple[str, int]]) -> None:
        """Forget segments no longer in the index (merged away or replaced by a rebuild)."""
        with self.lock:
            for key in [k for k in self.postings if k[:2] not in segment_keys]:
                self.held -= len(self.postings.pop(key)[0])
            tables: tuple[dict[tuple[Any, ...], Any], ...] = (self.lengths, self.facts, self.vocabularies,
                                                              self.sidecars, self.points)
            for table in tables:
                for key in [k for k in table if k[:2] not in segment_keys]:
                    del table[key]
            for key in [k for k, found in self.sidecars.items() if found is None]:
                del self.sidecars[key]  # written since (a commit writes them after the segment)


def segment_key(reader: IndexReader) -> tuple[str, int] | None:
    """Return (segment id, documents in it) for a one-segment reader; None when it has no segment."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return None
    return (segment.segment_id(), reader.doc_count_all())


def leaves(s: Searcher) -> list[tuple[Searcher, int]]:
    return list(s.leaf_searchers())


def segment_sidecar(store: SegmentStore, reader: IndexReader) -> sidecars.Sidecar | None:
    """Return a segment's sidecar (memory-mapped once per process), or None when it has none."""
    seg = segment_key(reader)
    if seg is None:
        return None
    if seg in store.sidecars:
        return store.sidecars[seg]
    found = sidecars.open_for(reader)
    with store.lock:
        store.sidecars[seg] = found
    return found


def segment_postings(store: SegmentStore, reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return a term's (docnums, frequencies) in one segment, from the store when this segment was read before."""
    seg = segment_key(reader)
    if seg is None:
        return raw_postings(reader, fieldname, text)
    side = segment_sidecar(store, reader)
    if side is not None and side.has_field(fieldname):
        return side.postings(fieldname, reader._text_to_bytes(fieldname, text))  # type: ignore[attr-defined]
    key = (*seg, fieldname, text)
    with store.lock:
        found = store.postings.get(key)
        if found is not None:
            store.postings.move_to_end(key)
            return found
    found = raw_postings(reader, fieldname, text)
    with store.lock:
        if key not in store.postings:
            store.postings[key] = found
            store.held += len(found[0])
            while store.held > store.max_postings and len(store.postings) > 1:
                _, (old, _w) = store.postings.popitem(last=False)
                store.held -= len(old)
    return found


def segment_lengths(store: SegmentStore, reader: IndexReader, fieldname: str) -> np.ndarray:
    """Return every document's length in ``fieldname`` in one segment, as Whoosh's scorer reads it."""
    seg = segment_key(reader)
    key = (*seg, fieldname) if seg is not None else None
    if key is not None:
        found = store.lengths.get(key)
        if found is not None:
            return found
    side = segment_sidecar(store, reader)
    codes = side.length_codes(fieldname) if side is not None else None
    if codes is None:
        codes = read_length_codes(reader, fieldname)
    lengths = _LENGTHS[codes] if codes is not None else np.array(
        [reader.doc_field_length(d, fieldname, 1) or 1 for d in range(reader.doc_count_all())], dtype=np.float64)
    if key is not None:
        with store.lock:
            store.lengths[key] = lengths
    return lengths


def segment_points(store: SegmentStore, reader: IndexReader) -> tuple[list[int], list[float], list[float]] | None:
    """Return (start of each document's venues, latitudes, longitudes) of one segment, from its sidecar (else None).

    Python lists: distances are measured one venue at a time with ``math`` (as ``queries.miles_between``), and
    indexing a list is cheaper than a numpy scalar.
    """
    seg = segment_key(reader)
    if seg is None:
        return None
    found = store.points.get(seg)
    if found is None:
        side = segment_sidecar(store, reader)
        if side is None or "points.starts" not in side.arrays:
            return None
        found = (side.arrays["points.starts"].tolist(), side.arrays["points.lat"].tolist(),
                 side.arrays["points.lon"].tolist())
        with store.lock:
            store.points[seg] = found
    return found


def deleted_mask(reader: IndexReader, ids: np.ndarray) -> np.ndarray | None:
    """Return a mask of the ``ids`` still live in this segment (None when nothing is deleted)."""
    if not reader.has_deletions():
        return None
    deleted = getattr(reader, "deleted_docs_set", None)
    if deleted is None:
        return np.array([not reader.is_deleted(int(d)) for d in ids], dtype=bool)
    return ~np.isin(ids, np.fromiter(deleted, dtype=np.int64, count=len(deleted)))


def term_scores(store: SegmentStore, s: Searcher, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (global docnums ascending, BM25F scores at boost 1) of every live posting of a term."""
    idf = s.idf(fieldname, text)
    avgfl = s.avg_field_length(fieldname) or 1
    docs, scores = [], []
    for sub, offset in leaves(s):
        reader = sub.reader()
        ids, tf = segment_postings(store, reader, fieldname, text)
        if not len(ids):
            continue
        keep = deleted_mask(reader, ids)
        if keep is not None:
            ids, tf = ids[keep], tf[keep]
        fl = segment_lengths(store, reader, fieldname)[ids]
        tf64 = tf.astype(np.float64)
        # whoosh.scoring.bm25, operation for operation: idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        score = idf * ((tf64 * (K1 + 1)) / (tf64 + K1 * ((1 - B) + B * fl / avgfl)))
        docs.append(ids.astype(np.int64) + offset)
        scores.append(score)
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(docs), np.concatenate(scores)


def term_bits(store: SegmentStore, s: Searcher, fieldname: str, text: str) -> int:
    """Return the bitmap (bit n = docnum n) of the documents holding a term, deleted ones included."""
    bits = 0
    for sub, offset in leaves(s):
        reader = sub.reader()
        seg = segment_key(reader)
        key = (*seg, "bits", fieldname, text) if seg is not None else None
        local = store.fact(key) if key is not None else None
        if local is None:
            ids, _tf = segment_postings(store, reader, fieldname, text)
            local = ids_to_bits(ids, reader.doc_count_all())
            if key is not None:
                store.remember(key, local)
        bits |= local << offset
    return bits


def live_bits(s: Searcher) -> int:
    """Return the bitmap of the documents not deleted, from each segment's deletion set."""
    bits = 0
    for sub, offset in leaves(s):
        reader = sub.reader()
        count = reader.doc_count_all()
        local = (1 << count) - 1
        if reader.has_deletions():
            deleted = getattr(reader, "deleted_docs_set", None)
            gone = np.fromiter(deleted if deleted is not None else (d for d in range(count) if reader.is_deleted(d)),
                               dtype=np.int64)
            local &= ~ids_to_bits(gone, count)
        bits |= local << offset
    return bits


def ids_to_bits(ids: np.ndarray, size: int) -> int:
    """Return the bitmap of ``ids`` (all < ``size``), built in C."""
    if not len(ids):
        return 0
    flags = np.zeros(size + 8, dtype=np.bool_)
    flags[ids] = True
    return int.from_bytes(np.packbits(flags, bitorder="little").tobytes(), "little")


def vocabulary(store: SegmentStore, reader: IndexReader, fieldname: str) -> frozenset[str]:
    """Return every word indexed in ``fieldname`` in one segment (what ``(field, word) in reader`` tests)."""
    seg = segment_key(reader)
    key = (*seg, fieldname) if seg is not None else None
    found = store.vocabularies.get(key) if key is not None else None
    if found is None:
        fieldobj = reader.schema[fieldname]
        side = segment_sidecar(store, reader)
        words = side.terms(fieldname).tolist() if side is not None and side.has_field(fieldname) else \
            reader.lexicon(fieldname)
        found = frozenset(fieldobj.from_bytes(b) for b in words)
        if key is not None:
            with store.lock:
                store.vocabularies[key] = found
    return found


def words_within_one(vocabularies: list[frozenset[str]], text: str, prefix: int) -> set[str]:
    """Return the indexed words within one Damerau-Levenshtein edit of ``text`` that share its first ``prefix`` letters.

    The same answer as Whoosh's ``IndexReader.terms_within(field, text, 1, prefix)``, which walks every word with
    the prefix and measures its distance: here the ~50 × len(text) one-edit variants are looked up in the
    vocabulary (the letters tried are those the vocabulary uses), then measured by the same function.
    """
    from whoosh.support.levenshtein import distance

    letters = sorted({c for vocab in vocabularies for c in _alphabet(vocab)})
    splits = [(text[:i], text[i:]) for i in range(len(text) + 1)]
    variants = {text}
    variants.update(a + b[1:] for a, b in splits if b)
    variants.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    variants.update(a + c + b[1:] for a, b in splits if b for c in letters)
    variants.update(a + c + b for a, b in splits for c in letters)
    start = text[:prefix]
    return {w for w in variants if w.startswith(start) and any(w in vocab for vocab in vocabularies)
            and distance(w, text, limit=1) <= 1}


_alphabets: dict[int, frozenset[str]] = {}


def _alphabet(vocab: frozenset[str]) -> frozenset[str]:
    key = id(vocab)
    found = _alphabets.get(key)
    if found is None:
        if len(_alphabets) > 64:
            _alphabets.clear()
        found = _alphabets[key] = frozenset("".join(vocab))
    return found
