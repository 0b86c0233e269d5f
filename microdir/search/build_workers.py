"""A rebuild's worker processes: each reads a share of the listings, converts them, writes one segment and its sidecar.

Why not Whoosh's own MpWriter: it has the parent read every listing and build every document, then pickle them to
its workers, so the parent was a third process on a 2-core machine, and the sidecars were built one after the other
at the end. Measured at 10,000 listings (bench/search.py): 782 listings/s with MpWriter, the parent's share then
the slowest part. Here the parent only hands out batches of ids; everything else runs twice over.

Whoosh's parts used are the ones MpWriter itself uses (a lock-free SegmentWriter per worker, the parent writing the
table of contents with every worker's segment); whoosh3 is pinned. A worker that fails, or dies, fails the rebuild:
a partial index is never swapped in.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import traceback
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.writing import SegmentWriter

from ..extensions import db
from . import sidecars
from .documents import is_indexable, service_document
from .listing_rows import read_listings

RESULT_WAIT_SECONDS = 1.0  # how often the parent checks that its workers are alive while waiting


class _RecordingWriter(SegmentWriter):  # type: ignore[misc]
    """A worker's writer: keeps the postings as it writes them, for the segment's sidecar."""

    def _flush_segment(self) -> None:
        self.recorded = sidecars.PostingsRecorder(sidecars.posting_fields(self.schema))
        sorted_postings = self.pool.iter_postings
        self.pool.iter_postings = lambda: self.recorded.record(sorted_postings())
        super()._flush_segment()


def add_visible(writer: Any, session: Session, ids: Sequence[str], now: datetime, hide_days: int) -> int:
    """Add the listings among ``ids`` that residents may see to ``writer``; return how many were added.

    The one loop of a rebuild, in a worker or (for a small directory) in the rebuilding process itself.
    """
    added = 0
    for listing in read_listings(session, ids).values():
        if is_indexable(listing, now, hide_days):
            writer.add_document(**service_document(listing))
            added += 1
    return added


class BuildFailed(RuntimeError):
    """A worker could not build its share: the new index is abandoned."""


def _build_share(app: Flask, directory: str, jobs: Any, results: Any, now: datetime, hide_days: int) -> None:
    """In a worker: index every batch of ids from ``jobs`` into one new segment; report (segment, count)."""
    try:
        with app.app_context():
            # The parent's pooled connections were copied by the fork: never touch them, open our own.
            db.engine.dispose(close=False)
            ix = whoosh_index.open_dir(directory)
            writer = _RecordingWriter(ix, _lk=False)
            count = 0
            session = Session(bind=db.engine, autoflush=False)
            try:
                while (batch := jobs.get()) is not None:
                    count += add_visible(writer, session, batch, now, hide_days)
            finally:
                session.close()
            # Never writer.cancel() or _finish() here: every writer of the index shares one temporary folder, and
            # those delete it under the parent's feet. The parent's _finish() removes it.
            if not count:
                writer._close_segment()
                results.put(("ok", None, 0))
                return
            segment = writer._finalize_segment()
            sidecars.write_for_segment(directory, ix.storage, ix.schema, segment, writer.recorded)
            results.put(("ok", segment, count))
    except BaseException:
        results.put(("error", traceback.format_exc(), 0))


def _next_result(results: Any, workers: list[Any]) -> tuple[str, Any, int]:
    while True:
        try:
            outcome: tuple[str, Any, int] = results.get(timeout=RESULT_WAIT_SECONDS)
            return outcome
        except queue.Empty:
            # A worker that ends normally has put its result first (a Queue is flushed before its process exits).
            dead = [worker for worker in workers if worker.exitcode not in (None, 0)]
            if dead:
                raise BuildFailed(f"a rebuild worker stopped with exit code {dead[0].exitcode}") from None


def build(ix: FileIndex, app: Flask, ids: Sequence[str], procs: int, now: datetime, hide_days: int,
          batch: int) -> int:
    """Index the visible listings among ``ids`` into the empty index ``ix`` with ``procs`` workers; return the count.

    The parent holds the index's write lock throughout and commits the workers' segments together, or none.
    """
    context = multiprocessing.get_context("fork")  # the workers inherit the app, its config and the gazetteer
    jobs, results = context.Queue(), context.Queue()
    writer: Any = ix.writer()  # a SegmentWriter: its private parts below are the ones MpWriter uses
    workers = [context.Process(target=_build_share, args=(app, ix.storage.folder, jobs, results, now, hide_days),
                               daemon=True) for _ in range(procs)]
    try:
        # Objects the workers inherit are left out of their garbage collections (gc.freeze's purpose): walking
        # them touched every page of the parent's heap, copying it, in each worker.
        gc.freeze()
        try:
            for worker in workers:
                worker.start()
        finally:
            gc.unfreeze()
        for start in range(0, len(ids), batch):
            jobs.put(list(ids[start:start + batch]))
        for _ in workers:
            jobs.put(None)
        outcomes = [_next_result(results, workers) for _ in workers]
        for worker in workers:
            worker.join()
        errors = [detail for status, detail, _ in outcomes if status == "error"]
        if errors:
            raise BuildFailed(f"a rebuild worker failed:\n{errors[0]}")
        writer._close_segment()
        writer._commit_toc(writer.segments + [segment for _, segment, _ in outcomes if segment is not None])
        writer._finish()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        # Batches nobody will read: without this, this process would hang at exit flushing them into the pipe.
        jobs.cancel_join_thread()
        writer.cancel()
        raise
    finally:
        jobs.close()
        results.close()
    return sum(count for _, _, count in outcomes)
