"""The index on this app node: open, search safely, follow the change log, rebuild, check.

Layout of ``SEARCH_INDEX_DIR``::

    current -> gen-<stamp>/     a symlink, swapped atomically by ``rebuild``
    gen-<stamp>/                a Whoosh index plus position.json (last applied change-log id)

The index is a derived, disposable copy of the database: it can always be rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from ..extensions import db
from ..models import EVERY_SERVICE, DirectoryChange, ListingStatus, Service, utcnow
from . import build_workers, sidecars
from .documents import is_indexable, service_document
from .listing_rows import ListingRow, read_listings
from .postings import SegmentStore, leaves, segment_key
from .schema import SCHEMA, SCHEMA_VERSION

POSITION_FILE = "position.json"
CURRENT = "current"
# A hole in the change-log ids younger than this may be a transaction still committing (PostgreSQL hands
# out ids at INSERT, so id 41 can commit after id 42). We stop before such a hole and look again next
# time; an older hole is a rolled-back insert and is skipped.
GAP_GRACE_SECONDS = 5.0
WRITER_TIMEOUT_SECONDS = 10.0
BATCH = 500
PARALLEL_REBUILD_MIN = 2000  # listings from which `rebuild` writes with two processes (see rebuild_procs)


class IndexMissing(RuntimeError):
    """Raised when this node has no search index yet (run `flask index rebuild`)."""


class RebuildNeeded(RuntimeError):
    """Raised when the change log holds a bulk load's "reindex" mark: this index must be built again whole."""


class IndexOutdated(IndexMissing):
    """Raised when this node's index was built with another schema version (run `flask index rebuild`)."""


def read_schema_version(directory: str) -> int | None:
    """Return the schema version an index directory was built with (None for indexes older than the stamp)."""
    try:
        with open(os.path.join(directory, POSITION_FILE), encoding="utf-8") as f:
            return json.load(f).get("schema")
    except (OSError, ValueError):
        return None


def is_outdated(directory: str) -> bool:
    """Return True when an existing index was built with another schema version."""
    return os.path.exists(os.path.join(directory, POSITION_FILE)) and read_schema_version(directory) != SCHEMA_VERSION


def _index_root(app: Flask | None = None) -> str:
    return (app or current_app).config["SEARCH_INDEX_DIR"]


def current_dir(root: str) -> str:
    """Return the directory of the index in use (following the ``current`` symlink)."""
    return os.path.realpath(os.path.join(root, CURRENT))


def read_position(directory: str) -> int:
    """Return the last change-log id applied to the index in ``directory`` (0 when none)."""
    try:
        with open(os.path.join(directory, POSITION_FILE), encoding="utf-8") as f:
            return int(json.load(f)["position"])
    except (OSError, ValueError, KeyError):
        return 0


def write_position(directory: str, position: int) -> None:
    """Store the applied position atomically; called only after the Whoosh commit succeeded."""
    tmp = os.path.join(directory, f".{POSITION_FILE}.{uuid.uuid4().hex}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"position": position, "schema": SCHEMA_VERSION, "at": utcnow().isoformat()}, f)
    os.replace(tmp, os.path.join(directory, POSITION_FILE))


def _new_generation(root: str) -> str:
    os.makedirs(root, exist_ok=True)
    path = os.path.join(root, f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}")
    os.makedirs(path)
    whoosh_index.create_in(path, SCHEMA)
    return path


def _point_current_at(root: str, directory: str) -> None:
    """Swap the ``current`` symlink to ``directory`` atomically (rename over the old link)."""
    tmp = os.path.join(root, f".current-{uuid.uuid4().hex}")
    os.symlink(os.path.basename(directory), tmp)
    os.replace(tmp, os.path.join(root, CURRENT))


def ensure_index(root: str) -> str:
    """Create an empty index when this node has none; return its directory."""
    link = os.path.join(root, CURRENT)
    if not os.path.exists(link):
        _point_current_at(root, _new_generation(root))
    return current_dir(root)


def _remove_old_generations(root: str, keep: str) -> None:
    # Open searchers keep their files: on POSIX an unlinked file stays readable until closed.
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name.startswith("gen-") and os.path.realpath(path) != os.path.realpath(keep):
            shutil.rmtree(path, ignore_errors=True)


@dataclass
class SearcherState:
    """A searcher and the per-searcher caches built from it (docnum sets for facets, geocells, areas)."""

    directory: str
    ix: FileIndex
    searcher: Searcher
    cache: dict[str | tuple[Any, ...], Any] = field(default_factory=dict)  # keys: a name, or (kind, *parts)
    # Per-segment arrays that outlive this searcher: an update adds a segment, the others keep what was read.
    store: SegmentStore = field(default_factory=SegmentStore)


class IndexManager:
    """One per app and process: hands out a long-lived searcher, reopened when the index changed.

    Whoosh readers share file handles, so one searcher is not safe for two threads at once; ``use()``
    holds a lock for the length of one search. With the GIL and ~10 ms searches this costs little, and it
    keeps the docnum caches (rebuilt only on reopen) shared by every thread.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._state: SearcherState | None = None
        self.write_lock = threading.Lock()
        self.store = SegmentStore()
        self._reopener: threading.Thread | None = None
        self._halt_reopening = threading.Event()
        self._opening = threading.Lock()  # held by the watching thread while it opens and warms a searcher

    def exists(self) -> bool:
        return os.path.exists(os.path.join(self.root, CURRENT))

    def open_index(self, create: bool = True) -> FileIndex:
        """Return the current index, creating an empty one when allowed."""
        if not self.exists():
            if not create:
                raise IndexMissing("No search index yet: run `flask index rebuild`.")
            ensure_index(self.root)
        directory = current_dir(self.root)
        if is_outdated(directory):
            raise IndexOutdated("The search index was built by an older version: run `flask index rebuild`.")
        return whoosh_index.open_dir(directory)

    def _in_step(self) -> bool:
        with self._lock:
            state = self._state
            return (state is not None and self.exists() and state.directory == current_dir(self.root)
                    and state.searcher.up_to_date())

    @contextmanager
    def use(self) -> Iterator[SearcherState]:
        """Yield an up-to-date searcher state, holding the lock so no other thread uses it meanwhile."""
        if self._reopener is not None and not self._in_step():
            # The watching thread may be opening the new searcher right now: wait for it rather than open a second
            # one beside it (at 100,000 listings both took seconds of CPU, and the search waited for both).
            with self._opening:
                pass
        with self._lock:
            state = self._state
            directory = current_dir(self.root) if self.exists() else None
            # Never Searcher.refresh(): in whoosh3/reloaded it keeps stale deletion sets (SEARCH-NOTES.md).
            if state is None or directory is None or state.directory != directory or not state.searcher.up_to_date():
                if state is not None:
                    state.searcher.close()
                ix = self.open_index(create=True)
                searcher = ix.searcher()
                self.store.keep_only({key for sub, _ in leaves(searcher) if (key := segment_key(sub.reader()))})
                state = self._state = SearcherState(current_dir(self.root), ix, searcher, store=self.store)
            yield state

    def close(self) -> None:
        with self._lock:
            if self._state is not None:
                self._state.searcher.close()
                self._state = None

    def reopen_ahead(self, warm: Callable[[SearcherState], object]) -> bool:
        """Open the new searcher (and ``warm`` its caches) as soon as the index changed, before a search asks.

        Run by the warming thread (``start_reopening_ahead``): the first search after a change otherwise pays for
        opening the searcher and building its caches (measured by scale-check, check 1). The searcher in use
        stays in use until the new one is ready; the swap happens under the lock, between searches.
        Return True when it opened a new one.
        """
        if not self.exists() or self._in_step():
            return False
        with self._opening:
            if self._in_step():
                return False
            directory = current_dir(self.root)
            ix = self.open_index(create=False)
            # unchanged segments' arrays carry over
            fresh = SearcherState(directory, ix, ix.searcher(), store=self.store)
            warm(fresh)
            with self._lock:
                old, self._state = self._state, fresh
                self.store.keep_only({key for sub, _ in leaves(fresh.searcher) if (key := segment_key(sub.reader()))})
        if old is not None:
            old.searcher.close()
        return True

    def start_reopening_ahead(self, warm: Callable[[SearcherState], object], every: float) -> None:
        """Start (once per process) a daemon thread that calls ``reopen_ahead`` every ``every`` seconds."""
        with self._lock:
            if self._reopener is not None and self._reopener.is_alive():
                return
            halt = self._halt_reopening = threading.Event()

            def loop() -> None:
                while not halt.wait(every):
                    try:
                        self.reopen_ahead(warm)
                    except Exception:  # noqa: BLE001 - a search will open the searcher itself; keep watching
                        halt.wait(1.0)

            self._reopener = threading.Thread(target=loop, name="search-reopen-ahead", daemon=True)
            self._reopener.start()

    def stop_reopening_ahead(self) -> None:
        self._halt_reopening.set()
        if self._reopener is not None:
            self._reopener.join(5)
            self._reopener = None

    @property
    def opened(self) -> SearcherState | None:
        """The searcher state as it stands, without opening one (None before the first search)."""
        return self._state


def get_manager(app: Flask | None = None) -> IndexManager:
    """Return this app's index manager."""
    app = app or current_app
    manager = app.extensions.get("microdir.search")
    if manager is None or manager.root != _index_root(app):
        manager = app.extensions["microdir.search"] = IndexManager(_index_root(app))
    return manager


# ---- reading listings --------------------------------------------------------------------------------------------

def _stale_days(app: Flask | None = None) -> int:
    return int((app or current_app).config["STALE_HIDE_DAYS"])


def _read_services(session: Session, ids: Iterable[str]) -> dict[str, ListingRow]:
    ids = list(ids)
    found: dict[str, ListingRow] = {}
    for start in range(0, len(ids), BATCH):
        found.update(read_listings(session, ids[start:start + BATCH]))
    return found


def _indexer_session() -> Session:
    # A session of its own: it runs inside the request session's after_commit hook, where that session
    # may not emit SQL, and it must never flush anything of the request's.
    return Session(bind=db.engine, autoflush=False, expire_on_commit=False)


def _apply(writer: IndexWriter, session: Session, service_ids: list[str], now: datetime, hide_days: int) -> int:
    services = _read_services(session, service_ids)
    for service_id in service_ids:
        service = services.get(service_id)
        if is_indexable(service, now, hide_days):
            assert service is not None
            writer.update_document(**service_document(service))
        else:
            writer.delete_by_term("id", service_id)
    return len(service_ids)


def pending_changes(session: Session, position: int) -> tuple[list[str], int]:
    """Return the service ids changed after ``position`` (in log order) and the position they reach.

    Stops before a hole in the ids younger than GAP_GRACE_SECONDS (see above): that change may still be
    committing, so we must not move past it.
    """
    rows = session.execute(
        select(DirectoryChange.id, DirectoryChange.service_id, DirectoryChange.at)
        .where(DirectoryChange.id > position)
        .order_by(DirectoryChange.id)
    ).all()
    ids: list[str] = []
    reached = position
    grace = utcnow() - timedelta(seconds=GAP_GRACE_SECONDS)
    for row_id, service_id, at in rows:
        if row_id != reached + 1 and at is not None and at > grace:
            break
        if service_id not in ids:
            ids.append(service_id)
        reached = row_id
    return ids, reached


def index_changes_since(position: int, app: Flask | None = None) -> int:
    """Apply change-log rows after ``position`` to this node's index, in order; return the new position.

    Idempotent: each change re-reads the service, so applying a row twice gives the same index.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    manager = get_manager(app)
    with manager.write_lock:
        return _apply_changes_to(manager.open_index(create=True), position, app)


def update_index(app: Flask | None = None) -> int:
    """Apply every pending change to this node's index; return the new position."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    manager = get_manager(app)
    if not manager.exists() or is_outdated(current_dir(manager.root)):
        # A new node (no index yet) builds with `rebuild`: two writer processes, and it does not depend on the
        # change log reaching back to the first listing. A schema change can only be brought in step this way.
        return _rebuild_until_in_step(app)
    manager.open_index(create=True)
    try:
        return index_changes_since(read_position(current_dir(manager.root)), app)
    except RebuildNeeded:  # a bulk load since our position: its one mark stands for every listing it wrote
        return _rebuild_until_in_step(app)


def _rebuild_until_in_step(app: Flask) -> int:
    # A rebuild starts from the log's newest position, so it passes any mark older than that; a second bulk load
    # while it was building leaves a newer mark, and only then does it build again.
    while True:
        try:
            return rebuild(app)[1]
        except RebuildNeeded:
            continue


def rebuild_procs(listings: int) -> int:
    """Return how many worker processes suit a rebuild of ``listings``: 2 for a big directory on 2+ cores.

    Each worker reads, converts and writes its share (build_workers.py). Measured on the shared 2-core machine at
    10,000 listings (bench/search.py --rebuild-listings): one process ~600/s, two ~1,050/s. A small directory is
    not worth starting processes for.
    """
    return 2 if listings >= PARALLEL_REBUILD_MIN and (os.cpu_count() or 1) >= 2 else 1


def _in_memory_database() -> bool:
    # Worker processes open their own connections, and a new connection to an in-memory SQLite sees nothing.
    return db.engine.url.get_backend_name() == "sqlite" and db.engine.url.database in (None, "", ":memory:")


def rebuild(app: Flask | None = None, procs: int | None = None) -> tuple[int, int]:
    """Build a fresh index beside the current one, catch up with the log, swap it in; return (documents, position).

    ``procs`` None picks the writer processes from the directory's size (``rebuild_procs``).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    manager = get_manager(app)
    root = manager.root
    directory = _new_generation(root)
    ix = whoosh_index.open_dir(directory)
    session = _indexer_session()
    try:
        # Note the log position BEFORE reading listings: anything changed while we read is replayed below.
        start = session.scalar(select(func.coalesce(func.max(DirectoryChange.id), 0))) or 0
        ids = list(session.scalars(select(Service.id).where(Service.listing_status == ListingStatus.PUBLISHED)))
        now, days = utcnow(), _stale_days(app)
        count = 0
        procs = rebuild_procs(len(ids)) if procs is None else procs
        if procs > 1 and not _in_memory_database():
            count = build_workers.build(ix, app, ids, procs, now, days, BATCH)
        else:
            writer = ix.writer()
            try:
                for begin in range(0, len(ids), BATCH):
                    count += build_workers.add_visible(writer, session, ids[begin:begin + BATCH], now, days)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # never swapped in: the current index carries on
        raise
    finally:
        session.close()
    sidecars.write_missing(directory)
    write_position(directory, start)
    position = index_changes_since_in(directory, start, app)
    with manager.write_lock:
        _point_current_at(root, directory)
    # Changes applied to the old index after our catch-up are in the log too: catch up once more.
    position = index_changes_since(position, app)
    _remove_old_generations(root, directory)
    return count, position


def index_changes_since_in(directory: str, position: int, app: Flask) -> int:
    """Apply pending changes to the index in ``directory`` (not necessarily the current one)."""
    return _apply_changes_to(whoosh_index.open_dir(directory), position, app)


def _apply_changes_to(ix: FileIndex, position: int, app: Flask) -> int:
    """Apply change-log rows after ``position`` to ``ix``, then record the position reached; return it."""
    session = _indexer_session()
    try:
        service_ids, reached = pending_changes(session, position)
        if reached == position:
            return position
        if EVERY_SERVICE in service_ids:
            raise RebuildNeeded(f"a bulk load after change-log position {position}: build the index whole")
        with ix.writer(timeout=WRITER_TIMEOUT_SECONDS) as writer:  # commits, or cancels on an exception
            _apply(writer, session, service_ids, utcnow(), _stale_days(app))
    finally:
        session.close()
    sidecars.write_missing(ix.storage.folder)  # the new segment's arrays (and a merged one's), for every searcher
    write_position(ix.storage.folder, reached)
    return reached


def indexed_versions(app: Flask | None = None) -> dict[str, int]:
    """Return {service id: version} as stored in this node's index."""
    with get_manager(app).use() as state:
        return {f["id"]: int(f["version"]) for f in state.searcher.reader().all_stored_fields()}


def indexed_documents(app: Flask | None = None) -> dict[str, dict[str, Any]]:
    """Return every stored document by id (for tests and `flask index check`)."""
    with get_manager(app).use() as state:
        return {f["id"]: dict(f) for f in state.searcher.reader().all_stored_fields()}


def database_versions(app: Flask | None = None) -> dict[str, int]:
    """Return {service id: version} of the listings that should be in the index."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    session = _indexer_session()
    try:
        ids = list(session.scalars(select(Service.id).where(Service.listing_status == ListingStatus.PUBLISHED)))
        services = _read_services(session, ids)
        now, days = utcnow(), _stale_days(app)
        return {s.id: s.version for s in services.values() if is_indexable(s, now, days)}
    finally:
        session.close()


def check(app: Flask | None = None) -> list[str]:
    """Compare ids and versions in the database with the index; return the differences in words."""
    wanted, have = database_versions(app), indexed_versions(app)
    problems = [f"missing from the index: {i} (version {wanted[i]})" for i in sorted(wanted.keys() - have.keys())]
    problems += [f"in the index but should not be: {i}" for i in sorted(have.keys() - wanted.keys())]
    problems += [
        f"out of date: {i} (index version {have[i]}, database version {wanted[i]})"
        for i in sorted(wanted.keys() & have.keys())
        if wanted[i] != have[i]
    ]
    return problems


def status(app: Flask | None = None) -> tuple[bool, dict[str, Any]]:
    """Return (ok, details) for /healthz: documents, position, changes behind."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    manager = get_manager(app)
    if not manager.exists():
        return False, {"error": "no search index: run `flask index rebuild`"}
    try:
        directory = current_dir(manager.root)
        if is_outdated(directory):
            return False, {"error": "search index built by an older version: run `flask index rebuild`"}
        ix = whoosh_index.open_dir(directory)
        documents = ix.doc_count()
        position = read_position(directory)
    except Exception as exc:  # an unreadable index is exactly what the health check reports
        return False, {"error": f"search index unreadable: {type(exc).__name__}"}
    behind, lag_seconds = lag_behind(position)
    degraded = behind > int(app.config["SEARCH_INDEX_MAX_BEHIND"]) or lag_seconds > float(
        app.config["SEARCH_INDEX_MAX_LAG_SECONDS"])
    details: dict[str, Any] = {"documents": documents, "position": position, "behind": behind,
                               "lag_seconds": lag_seconds, "degraded": degraded}
    if degraded:
        details["error"] = (f"search index {behind} change(s) behind, the oldest {lag_seconds:.0f} s ago: "
                            "is `flask index follow` running on this node?")
    return not degraded, details


def lag_behind(position: int) -> tuple[int, float]:
    """Return (change-log rows after ``position``, age in seconds of the oldest of them; 0 when none)."""
    behind, oldest = db.session.execute(
        select(func.count(), func.min(DirectoryChange.at)).where(DirectoryChange.id > position)
    ).one()
    lag_seconds = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    return int(behind or 0), round(lag_seconds, 1)


class IndexDegraded(IndexMissing):
    """Raised for a search on a node whose index is too far behind, so the load balancer retries another node."""


_degraded_cache: dict[str, tuple[float, bool]] = {}
DEGRADED_CHECK_SECONDS = 1.0  # one small query per process per second, not one per search


def is_degraded(app: Flask | None = None) -> bool:
    """Return True when this node's index is further behind than SEARCH_INDEX_MAX_BEHIND / _MAX_LAG_SECONDS."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    root = _index_root(app)
    now = time.monotonic()
    cached = _degraded_cache.get(root)
    if cached is not None and now - cached[0] < DEGRADED_CHECK_SECONDS:
        return cached[1]
    position = read_position(current_dir(root)) if os.path.exists(os.path.join(root, CURRENT)) else 0
    behind, lag_seconds = lag_behind(position)
    degraded = behind > int(app.config["SEARCH_INDEX_MAX_BEHIND"]) or lag_seconds > float(
        app.config["SEARCH_INDEX_MAX_LAG_SECONDS"])
    _degraded_cache[root] = (now, degraded)
    return degraded


def reset(app: Flask) -> None:
    """Delete this node's index entirely (tests)."""
    manager = get_manager(app)
    manager.close()
    shutil.rmtree(manager.root, ignore_errors=True)


def snapshot(destination: str, app: Flask | None = None, timeout: float = WRITER_TIMEOUT_SECONDS) -> int:
    """Copy this node's index, with its change-log position, to ``destination`` (a new folder); return the position.

    Holds the index's write lock while copying, so the follower's next commit (or a merge deleting segment files)
    waits instead of changing files under the copy; a 10,000-listing index copies in well under a second.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    manager = get_manager(app)
    ix = manager.open_index(create=False)
    lock = ix.lock("WRITELOCK")
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise TimeoutError("the index stayed locked for writing: try again")
        time.sleep(0.05)
    try:
        source = current_dir(manager.root)
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns("*.lock", f".{POSITION_FILE}.*"))
    finally:
        lock.release()
    return read_position(destination)


def restore(source: str, app: Flask | None = None) -> tuple[int, int]:
    """Make a copy of snapshot ``source`` this node's index, then catch up with the change log from its position.

    Return (position of the snapshot, position reached). The snapshot must come from this release's schema.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if read_schema_version(source) != SCHEMA_VERSION:
        raise IndexOutdated("The snapshot was built with another search schema: run `flask index update` instead.")
    whoosh_index.open_dir(source).doc_count()  # refuse a folder that is not a readable index
    manager = get_manager(app)
    root = manager.root
    os.makedirs(root, exist_ok=True)
    directory = os.path.join(root, f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}")
    shutil.copytree(source, directory)
    start = read_position(directory)
    try:
        position = index_changes_since_in(directory, start, app)
    except RebuildNeeded:  # the snapshot is older than a bulk load: of no use here
        shutil.rmtree(directory, ignore_errors=True)
        return start, _rebuild_until_in_step(app)
    with manager.write_lock:
        _point_current_at(root, directory)
    position = index_changes_since(position, app)
    _remove_old_generations(root, directory)
    return start, position
