"""Per-segment arrays written beside a Whoosh segment when it is committed, and memory-mapped by every searcher.

Why: profiled at 100,000 listings, a word's postings read for the first time cost Whoosh's block decoder
(unpickling positions too) ~20-50 ms for a common word, and a search near a place read each candidate's stored
fields (~50 µs each) to measure distances; a new worker, or one meeting a word or a place for the first time,
paid both. A sidecar holds what the searches read, in arrays: every term's docnums and frequencies (the text,
name and topics words, facets, geocells, areas), the field lengths the scores use, and each listing's venue
points and served radii. Reading one is a memory map and an array slice.

The sidecar is derived from its segment and never the other way round: it is named after the segment (so
Whoosh's own clean-up deletes it with the segment), it records the segment's id and document count and is
ignored when they do not match, and a segment without one is read from Whoosh as before. Deleted documents are
still taken from the searcher's deletion set at read time. ``write_missing(directory)`` runs after every commit.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.reading import IndexReader, SegmentReader

from .segment_arrays import block_postings, raw_postings, read_length_codes

log = logging.getLogger(__name__)

FORMAT = 2  # 2: service ids and mode flags per document
MAGIC = b"MDSIDE01"
SUFFIX = ".mdarrays"  # after the segment id, so Whoosh's clean_files removes it with its segment
SCORED_FIELDS = ("text", "name", "topics")
FLAG_COMES_TO_YOU, FLAG_REMOTE = 1, 2  # docs.flags: what the stored ``area`` says about how a listing works  # field lengths kept for BM25F
SKIPPED_FIELDS = frozenset({"id"})  # one posting per term, and never searched through the arrays


def path_for(folder: str, segment_id: str) -> str:
    return os.path.join(folder, f"{segment_id}{SUFFIX}")


def posting_fields(schema: Schema) -> list[str]:
    return [name for name, field in schema.items()
            if isinstance(field, (TEXT, KEYWORD, ID)) and name not in SKIPPED_FIELDS]


class PostingsRecorder:
    """Keeps each term's postings as Whoosh writes a segment, so its sidecar need not read them back.

    ``record`` wraps the writer's sorted postings stream ((field, term, docnum, weight, value), grouped by field and
    term); ``arrays`` gives what ``build`` would read from the finished segment. Reading back was ~80% of a
    sidecar's cost (cProfile of a rebuild worker); recording adds one append a posting.
    """

    def __init__(self, fieldnames: list[str]) -> None:
        self.fieldnames = fieldnames
        self._terms: dict[str, list[bytes]] = {name: [] for name in fieldnames}
        self._starts: dict[str, list[int]] = {name: [] for name in fieldnames}
        self._ids: dict[str, list[int]] = {name: [] for name in fieldnames}
        self._tf: dict[str, list[float]] = {name: [] for name in fieldnames}

    def record(self, postings: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        last: tuple[str, bytes] | None = None
        for posting in postings:
            fieldname, btext, docnum, weight = posting[0], posting[1], posting[2], posting[3]
            ids = self._ids.get(fieldname)
            if ids is not None and docnum >= 0:  # docnum -1: a spelling word, not a posting
                if last is None or last[0] != fieldname or last[1] != btext:
                    last = (fieldname, btext)
                    self._terms[fieldname].append(btext)
                    self._starts[fieldname].append(len(ids))
                ids.append(docnum)
                self._tf[fieldname].append(weight)
            yield posting

    def arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for fieldname in self.fieldnames:
            terms, ids = self._terms[fieldname], self._ids[fieldname]
            width = max((len(t) for t in terms), default=1)
            arrays[f"{fieldname}.terms"] = np.array(terms, dtype=f"S{width}")
            arrays[f"{fieldname}.starts"] = np.array(self._starts[fieldname] + [len(ids)], dtype=np.int64)
            arrays[f"{fieldname}.ids"] = np.array(ids, dtype=np.int32)
            arrays[f"{fieldname}.tf"] = np.array(self._tf[fieldname], dtype=np.float32)
        return arrays


def _postings_read_back(reader: IndexReader) -> dict[str, np.ndarray]:
    """Return every term's postings arrays, read from the finished segment (for a segment nobody recorded)."""
    arrays: dict[str, np.ndarray] = {}
    for fieldname in posting_fields(reader.schema):
        terms = list(reader.lexicon(fieldname))
        starts = np.zeros(len(terms) + 1, dtype=np.int64)
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        for i, btext in enumerate(terms):
            found = block_postings(reader, fieldname, btext)
            if found is None:
                found = raw_postings(reader, fieldname, reader.schema[fieldname].from_bytes(btext))
            ids.append(found[0])
            weights.append(found[1])
            starts[i + 1] = starts[i] + len(found[0])
        width = max((len(t) for t in terms), default=1)
        arrays[f"{fieldname}.terms"] = np.array(terms, dtype=f"S{width}")
        arrays[f"{fieldname}.starts"] = starts
        arrays[f"{fieldname}.ids"] = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
        arrays[f"{fieldname}.tf"] = np.concatenate(weights) if weights else np.zeros(0, dtype=np.float32)
    return arrays


def build(reader: IndexReader, recorded: PostingsRecorder | None = None) -> dict[str, np.ndarray]:
    """Return the arrays of one segment's sidecar (read from the segment through Whoosh, postings from
    ``recorded`` when the segment's writer kept them)."""
    arrays = recorded.arrays() if recorded is not None else _postings_read_back(reader)
    count = reader.doc_count_all()
    for fieldname in SCORED_FIELDS:
        codes = read_length_codes(reader, fieldname) if fieldname in reader.schema else None
        if codes is not None:
            arrays[f"{fieldname}.lengths"] = codes
    service_ids: list[bytes] = []
    flags = np.zeros(count, dtype=np.uint8)
    point_starts = np.zeros(count + 1, dtype=np.int64)
    lats: list[float] = []
    lons: list[float] = []
    radius: list[tuple[int, float, float, float]] = []
    for docnum in range(count):
        fields = reader.stored_fields(docnum)
        service_ids.append(str(fields.get("id", "")).encode())
        area = fields.get("area") or {}
        flags[docnum] = (FLAG_COMES_TO_YOU if area.get("comes_to_you") else 0) | (FLAG_REMOTE if area.get("remote") else 0)
        for lat, lon in fields.get("points") or []:
            lats.append(lat)
            lons.append(lon)
        point_starts[docnum + 1] = len(lats)
        for lat, lon, miles in (fields.get("area") or {}).get("radius", []):
            radius.append((docnum, lat, lon, miles))
    arrays["docs.id"] = np.array(service_ids, dtype=f"S{max((len(i) for i in service_ids), default=1)}")
    arrays["docs.flags"] = flags
    arrays["points.starts"] = point_starts
    arrays["points.lat"] = np.array(lats, dtype=np.float64)
    arrays["points.lon"] = np.array(lons, dtype=np.float64)
    arrays["radius.doc"] = np.array([r[0] for r in radius], dtype=np.int64)
    arrays["radius.lat"] = np.array([r[1] for r in radius], dtype=np.float64)
    arrays["radius.lon"] = np.array([r[2] for r in radius], dtype=np.float64)
    arrays["radius.miles"] = np.array([r[3] for r in radius], dtype=np.float64)
    return arrays


def write(folder: str, segment_id: str, count: int, arrays: dict[str, np.ndarray]) -> str:
    """Write a sidecar atomically (a temporary file renamed over): a header, then each array 8-byte aligned."""
    layout: dict[str, list[Any]] = {}
    offset = 0
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, offset, int(array.size)]
        offset += (array.nbytes + 7) // 8 * 8
    header = json.dumps({"format": FORMAT, "segment": segment_id, "docs": count, "arrays": layout}).encode()
    header += b" " * (-(len(MAGIC) + 8 + len(header)) % 8)
    path = path_for(folder, segment_id)
    tmp = os.path.join(folder, f".{segment_id}{SUFFIX}.{uuid.uuid4().hex}")  # a dot: Whoosh's clean-up skips it
    with open(tmp, "wb") as f:
        f.write(MAGIC + len(header).to_bytes(8, "little") + header)
        for array in arrays.values():
            data = np.ascontiguousarray(array).tobytes()
            f.write(data + b"\0" * (-len(data) % 8))
    os.replace(tmp, path)
    return path


def write_for_segment(folder: str, storage: Any, schema: Any, segment: Any,
                      recorded: PostingsRecorder | None = None) -> str:
    """Write one segment's sidecar (a finished segment, in the TOC or about to be); return its path."""
    reader = SegmentReader(storage, schema, segment)
    try:
        return write(folder, segment.segment_id(), reader.doc_count_all(), build(reader, recorded))
    finally:
        reader.close()


def write_missing(folder: str) -> list[str]:
    """Write the sidecar of every segment of the index in ``folder`` that has none; return the segment ids written.

    Called after each commit (by the indexer and the benchmark). Only segments without a sidecar are opened, so
    after an edit this reads the one small new segment. A failure (a full disk) leaves searches on Whoosh's reader.
    """
    written = []
    try:
        ix = whoosh_index.open_dir(folder)
        toc = ix._read_toc()
        for segment in toc.segments:
            segment_id = segment.segment_id()
            if _current(path_for(folder, segment_id), segment_id, segment.doc_count_all()):
                continue
            write_for_segment(folder, ix.storage, toc.schema, segment)
            written.append(segment_id)
    except OSError:
        log.exception("could not write search sidecars in %s: searches read the segments through Whoosh", folder)
    return written


def _current(path: str, segment_id: str, count: int) -> bool:
    """Return True when ``path`` holds this segment's sidecar in this format (an older format is written again)."""
    if not os.path.exists(path):
        return False
    try:
        return Sidecar(path).matches(segment_id, count)
    except (OSError, ValueError, KeyError, TypeError):
        return False


class Sidecar:
    """One segment's sidecar, memory-mapped: array views, no copies."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:len(MAGIC)] != MAGIC:
            raise ValueError("not a sidecar")
        size = int.from_bytes(self._map[len(MAGIC):len(MAGIC) + 8], "little")
        start = len(MAGIC) + 8
        self.header = json.loads(self._map[start:start + size])
        base = start + size
        self.arrays: dict[str, np.ndarray] = {}
        for name, (dtype, offset, count) in self.header["arrays"].items():
            self.arrays[name] = np.frombuffer(self._map, dtype=np.dtype(dtype), count=count, offset=base + offset)

    def matches(self, segment_id: str, count: int) -> bool:
        return (self.header.get("format") == FORMAT and self.header.get("segment") == segment_id
                and self.header.get("docs") == count)

    def has_field(self, fieldname: str) -> bool:
        return f"{fieldname}.terms" in self.arrays

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Return a term's (docnums, frequencies): views into the map."""
        terms = self.arrays[f"{fieldname}.terms"]
        at = int(np.searchsorted(terms, btext))
        if at >= len(terms) or terms[at] != btext:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        starts = self.arrays[f"{fieldname}.starts"]
        begin, end = int(starts[at]), int(starts[at + 1])
        return self.arrays[f"{fieldname}.ids"][begin:end], self.arrays[f"{fieldname}.tf"][begin:end]

    def terms(self, fieldname: str) -> np.ndarray:
        return self.arrays[f"{fieldname}.terms"]

    def length_codes(self, fieldname: str) -> np.ndarray | None:
        return self.arrays.get(f"{fieldname}.lengths")


def open_for(reader: IndexReader) -> Sidecar | None:
    """Return the sidecar of a one-segment reader, or None when it has none or it does not match the segment."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    folder = _folder(reader)
    if segment is None or folder is None:
        return None
    path = path_for(folder, segment.segment_id())
    try:
        sidecar = Sidecar(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, or unreadable: the segment is read through Whoosh
    return sidecar if sidecar.matches(segment.segment_id(), reader.doc_count_all()) else None


def _folder(reader: IndexReader) -> str | None:
    storage = getattr(reader, "_storage", None)
    for candidate in (storage, getattr(storage, "b", None), getattr(storage, "a", None)):
        folder = getattr(candidate, "folder", None)
        if isinstance(folder, str):
            return folder
    return None
