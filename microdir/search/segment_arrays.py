"""Reading one Whoosh segment's postings and field lengths into numpy arrays, from its own files.

Shared by the sidecars (which write these arrays beside each segment) and by postings (which reads a segment
through Whoosh when it has no sidecar), so neither imports the other for them.
"""

from __future__ import annotations

import pickle
import zlib

import numpy as np
from whoosh.reading import IndexReader


def block_postings(reader: IndexReader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Return a term's (docnums int32, frequencies float32) decoded a block at a time, or None for another codec.

    The same arrays as stepping Whoosh's matcher (tests/search/test_postings.py): each block's pickled ids are
    delta-decoded with a cumulative sum in C instead of Whoosh's Python generator.
    """
    terms = reader._terms  # type: ignore[attr-defined]
    matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)
    if not all(hasattr(matcher, a) for a in ("_dataoffset", "_nextoffset", "_goto", "_lastblock", "_postfile")):
        return None
    if getattr(matcher, "_byteids", False):
        return None
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    get = matcher._postfile.get
    while not matcher._atend:
        data = get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        if matcher._compression:
            data = zlib.decompress(data)
        block_ids, block_weights, _values = pickle.loads(data)  # noqa: S301 - the index's own files
        count = matcher._blocklength
        ids.append(np.cumsum(np.asarray(block_ids, dtype=np.int64)).astype(np.int32))
        if block_weights is None:
            weights.append(np.ones(count, dtype=np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, dtype=np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    if not ids:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def raw_postings(reader: IndexReader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (docnums, term frequencies) of a term in one segment, deleted documents included."""
    btext = reader._text_to_bytes(fieldname, text)  # type: ignore[attr-defined]
    terms = getattr(reader, "_terms", None)
    if terms is None or (fieldname, btext) not in terms:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    found = block_postings(reader, fieldname, btext)  # the block reader's arrays, decoded in C
    if found is not None:
        return found
    matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format, scorer=None)
    one_ids, one_weights = [], []
    while matcher.is_active():  # another codec: one posting at a time
        one_ids.append(matcher.id())
        one_weights.append(matcher.weight())
        matcher.next()
    return np.asarray(one_ids, dtype=np.int32), np.asarray(one_weights, dtype=np.float32)


def read_length_codes(reader: IndexReader, fieldname: str) -> np.ndarray | None:
    """Return every document's length byte in ``fieldname`` from the segment's lengths column (None: no column)."""
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)
