"""The index follows the change log: at once after commit, idempotently, equal to a rebuild, checkable."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from microdir.extensions import db
from microdir.models import DirectoryChange, ListingStatus, SearchLog, utcnow
from microdir.search import SearchRequest, indexer, log_search, search_services
from microdir.search.documents import service_document
from tests import factories


def position() -> int:
    return db.session.scalar(select(func.coalesce(func.max(DirectoryChange.id), 0)))


def test_an_edit_is_searchable_straight_after_commit(ctx: Any) -> None:
    service = factories.create_service(name="Tuesday Club")
    assert search_services(SearchRequest(text="knitting")).total == 0
    started = time.perf_counter()
    service.description = "Knitting and natter over tea."
    db.session.commit()
    assert search_services(SearchRequest(text="knitting")).hits[0].service_id == service.id
    assert time.perf_counter() - started < 1.0
    # The index holds the version the database has now.
    assert indexer.indexed_versions()[service.id] == service.version


def test_index_changes_since_is_idempotent_and_returns_the_position(ctx: Any) -> None:
    ctx.config["SEARCH_SYNC_ON_COMMIT"] = False
    try:
        a = factories.create_service(name="Alpha Club")
        b = factories.create_service(name="Beta Club")
        b.listing_status = ListingStatus.SUSPENDED
        db.session.commit()
        assert search_services(SearchRequest(text="club")).total == 0  # nothing applied yet
        end = position()
        assert indexer.index_changes_since(0) == end
        once = indexer.indexed_documents()
        assert indexer.index_changes_since(0) == end  # again from the start: same index
        assert indexer.index_changes_since(end) == end
        assert indexer.indexed_documents() == once
        assert set(once) == {a.id}
        assert indexer.read_position(indexer.current_dir(ctx.config["SEARCH_INDEX_DIR"])) == end
    finally:
        ctx.config["SEARCH_SYNC_ON_COMMIT"] = True


def test_a_young_gap_in_the_log_is_not_skipped(ctx: Any) -> None:
    service = factories.create_service(name="Gap Club")
    start = position()
    # Simulate PostgreSQL committing id start+2 while start+1 is still in flight.
    db.session.add(DirectoryChange(id=start + 2, service_id=service.id, operation="upsert", at=utcnow()))
    db.session.commit()
    assert indexer.pending_changes(db.session, start)[1] == start
    # Once the hole is older than the grace period it is a rollback, and is skipped.
    row = db.session.get(DirectoryChange, start + 2)
    row.at = utcnow() - timedelta(seconds=indexer.GAP_GRACE_SECONDS + 1)
    db.session.commit()
    assert indexer.pending_changes(db.session, start) == ([service.id], start + 2)


def test_incremental_index_equals_a_rebuilt_one(ctx: Any, cli_runner: Any) -> None:
    services = [factories.create_service(name=f"Club {i}", description=f"Group number {i}.") for i in range(6)]
    services[0].description = "Changed words."
    services[1].listing_status = ListingStatus.ARCHIVED
    services[2].schedules[0].byday = "FR"
    services[3].organization.name = "Renamed Organisation"
    db.session.delete(services[4])
    db.session.commit()
    incremental = indexer.indexed_documents()
    assert len(incremental) == 4
    result = cli_runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed 4 listings" in result.output
    rebuilt = indexer.indexed_documents()
    assert rebuilt == incremental
    assert {k: v["version"] for k, v in rebuilt.items()} == {s.id: s.version for s in services if s.id in rebuilt}
    assert rebuilt[services[0].id]["name"] == "Club 0"
    # Searches keep working on the swapped-in index, and only one generation is left on disk.
    assert search_services(SearchRequest(text="changed")).hits[0].service_id == services[0].id
    root = ctx.config["SEARCH_INDEX_DIR"]
    assert len([n for n in os.listdir(root) if n.startswith("gen-")]) == 1


def test_a_rebuild_with_two_writer_processes_equals_the_incremental_index(ctx: Any) -> None:
    # Big directories rebuild with two processes (indexer.rebuild_procs); the result must be the same index.
    services = [factories.create_service(name=f"Walk {i}", description=f"Walking group {i}.") for i in range(5)]
    services[0].description = "Gardening instead."
    db.session.commit()
    incremental = indexer.indexed_documents()
    count, _ = indexer.rebuild(ctx, procs=2)
    assert count == 5
    assert indexer.indexed_documents() == incremental
    assert [h.service_id for h in search_services(SearchRequest(text="gardening")).hits] == [services[0].id]
    assert len(search_services(SearchRequest(text="group")).hits) == 4
    assert indexer.check(ctx) == []


def test_check_passes_then_fails_on_a_tampered_index(ctx: Any, cli_runner: Any) -> None:
    kept = factories.create_service(name="Kept Club")
    gone = factories.create_service(name="Gone Club")
    result = cli_runner.invoke(args=["index", "check"])
    assert result.exit_code == 0, result.output
    ix = indexer.get_manager().open_index()
    with ix.writer() as writer:  # tamper: drop one listing, make another look old
        writer.delete_by_term("id", gone.id)
        writer.update_document(**{**service_document(kept), "version": kept.version - 1})
    result = cli_runner.invoke(args=["index", "check"])
    assert result.exit_code == 1
    assert f"missing from the index: {gone.id}" in result.output
    assert f"out of date: {kept.id}" in result.output
    assert cli_runner.invoke(args=["index", "rebuild"]).exit_code == 0
    assert cli_runner.invoke(args=["index", "check"]).exit_code == 0


def test_follower_catches_up_when_commits_do_not_index(ctx: Any, cli_runner: Any) -> None:
    ctx.config["SEARCH_SYNC_ON_COMMIT"] = False
    try:
        factories.create_service(name="Followed Club")
        assert search_services(SearchRequest(text="followed")).total == 0
        result = cli_runner.invoke(args=["index", "follow", "--once"])
        assert result.exit_code == 0, result.output
        assert search_services(SearchRequest(text="followed")).total == 1
    finally:
        ctx.config["SEARCH_SYNC_ON_COMMIT"] = True


def test_update_removes_listings_that_went_stale_with_time(ctx: Any, cli_runner: Any) -> None:
    service = factories.create_service(name="Ageing Club")
    assert search_services(SearchRequest(text="ageing")).total == 1
    ctx.config["STALE_HIDE_DAYS"] = 5  # verified 10 days ago: now past the hiding point, with no change row
    try:
        result = cli_runner.invoke(args=["index", "update"])
        assert "removed 1 stale" in result.output
        assert search_services(SearchRequest(text="ageing")).total == 0
    finally:
        ctx.config["STALE_HIDE_DAYS"] = 365
    assert service.id not in indexer.indexed_versions()


def test_healthz_shows_the_index(ctx: Any, client: Any) -> None:
    factories.create_service(name="Health Club")
    body = client.get("/healthz").get_json()
    check = body["checks"]["search_index"] if "checks" in body else body["search_index"]
    assert check["ok"] is True
    assert check["documents"] == 1 and check["behind"] == 0 and check["position"] == position()
    indexer.reset(ctx)
    response = client.get("/healthz")
    body = response.get_json()
    check = body["checks"]["search_index"] if "checks" in body else body["search_index"]
    assert check["ok"] is False
    assert response.status_code == 503


def test_log_search_keeps_only_the_postcode_district(ctx: Any) -> None:
    from microdir.geo import resolve_place

    factories.create_service(name="Logged Club")
    request = SearchRequest(text="  Logged   CLUB ", place=resolve_place("B66 1AA"), filters={"day": ["tu"]})
    results = search_services(request)
    log_search(request, results)
    db.session.commit()
    row = db.session.scalars(select(SearchLog)).one()
    assert (row.query, row.outcode, row.filters, row.result_count) == ("logged club", "B66", {"day": ["tu"]}, 1)
    assert "1AA" not in repr(row.__dict__)
    assert row.took_ms > 0


def test_a_swapped_pair_of_letters_is_corrected_however_the_index_is_split(ctx: Any) -> None:
    # Each commit adds a segment; a rebuild writes one. Whoosh's one-segment word automaton did not count a
    # swap ("wlaking") as one edit, so the same listings were corrected on one layout and not on the other.
    walking = [factories.create_service(name=f"Walking Group {i}", description="Walks in the park.") for i in range(3)]
    incremental = search_services(SearchRequest(text="wlaking"))
    indexer.rebuild(ctx, procs=1)
    rebuilt = search_services(SearchRequest(text="wlaking"))
    for results in (incremental, rebuilt):
        assert results.corrected_terms == {"wlaking": "walking"}  # one slip (a swap) of the typed word
        assert {h.service_id for h in results.hits} == {s.id for s in walking}


def test_a_listing_stale_with_time_leaves_the_index_through_a_change_log_row(ctx: Any, cli_runner: Any) -> None:
    service = factories.create_service(name="Ageing Club")
    last_row = db.session.scalar(select(func.max(DirectoryChange.id)))
    ctx.config["STALE_HIDE_DAYS"] = 5  # verified 10 days ago: now past the hiding point
    try:
        result = cli_runner.invoke(args=["index", "update"])
        assert result.exit_code == 0, result.output
    finally:
        ctx.config["STALE_HIDE_DAYS"] = 365
    logged = db.session.scalars(select(DirectoryChange.service_id).where(DirectoryChange.id > last_row)).all()
    assert logged == [service.id]
    assert service.id not in indexer.indexed_versions()
