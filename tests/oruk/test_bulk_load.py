"""The bulk loader for a big directory: the importer's checks and mapping, one change-log mark, a whole index build."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import current_app

from microdir.extensions import db
from microdir.models import EVERY_SERVICE, REINDEX, DirectoryChange, Organization, Service
from microdir.oruk import importer
from microdir.search import find_service_ids, indexer
from tests import factories
from tests.oruk.test_import import NOT_MODELLED, _copies, _export, _without_ids, differences


def _log_after(position: int) -> list[tuple[str, str]]:
    return [(c.service_id, c.operation) for c in db.session.scalars(
        db.select(DirectoryChange).where(DirectoryChange.id > position).order_by(DirectoryChange.id))]


def _position() -> int:
    return db.session.scalar(db.select(db.func.max(DirectoryChange.id))) or 0


def test_bulk_load_stores_what_the_importer_stores(app_ctx: Any) -> None:
    bulk, imported = _copies(2)
    report = importer.bulk_load([bulk], publish=True)
    importer.import_services([imported], publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (1, 0)
    assert differences(bulk, _export(bulk["id"]), set(NOT_MODELLED)) == []
    assert _without_ids(_export(bulk["id"])) == _without_ids(_export(imported["id"]))
    again = importer.import_services([bulk], publish=True)  # what the loader wrote reads back as unchanged
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_bulk_load_writes_one_change_log_mark_and_every_node_rebuilds_its_index(app_ctx: Any) -> None:
    factories.create_service(name="Already Listed Lunch Club")
    start = _position()
    records = _copies(5)
    for record in records:
        record["name"] = f"Bulkloaded Tea Dance {record['id'][:4]}"
    shared, other = records[3], records[4]  # two services at one venue (a venue the batch describes twice)
    other["service_at_locations"][0]["location"] = copy.deepcopy(shared["service_at_locations"][0]["location"])
    report = importer.bulk_load(records, publish=True, batch_size=5)
    db.session.commit()  # this app indexes on commit: it meets the mark and builds its index whole
    assert (report.created, report.rejected) == (5, 0), report.rejections
    assert _log_after(start) == [(EVERY_SERVICE, REINDEX)]
    found = {service_id for service_id, _ in find_service_ids("Bulkloaded Tea Dance")}
    assert found == {r["id"] for r in records}
    assert indexer.check() == []
    venue = lambda record: _export(record["id"])["service_at_locations"][0]["location"]["id"]  # noqa: E731
    assert venue(shared) == venue(other)


def test_a_venue_described_two_ways_in_one_batch_goes_the_importers_careful_way(app_ctx: Any) -> None:
    first, second = _copies(2)
    second["service_at_locations"][0]["location"] = copy.deepcopy(first["service_at_locations"][0]["location"])
    second["service_at_locations"][0]["location"]["name"] = "The hall, as the second record names it"
    report = importer.bulk_load([first, second], publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (2, 0), report.rejections
    place = _export(first["id"])["service_at_locations"][0]["location"]
    assert place["name"] == "The hall, as the second record names it"  # as import_services: the last one wins


def test_an_index_behind_a_bulk_load_mark_is_rebuilt_not_patched(app_ctx: Any) -> None:
    app_ctx_app = current_app
    before = indexer.read_position(indexer.current_dir(app_ctx_app.config["SEARCH_INDEX_DIR"]))
    records = _copies(2)
    app_ctx_app.config["SEARCH_SYNC_ON_COMMIT"] = False  # a node with a follower: nothing happens at commit
    try:
        importer.bulk_load(records, publish=True)
        db.session.commit()
        assert indexer.check()  # the index does not know the new listings yet
        position = indexer.update_index()  # what `flask index follow` runs
    finally:
        app_ctx_app.config["SEARCH_SYNC_ON_COMMIT"] = True
    assert position > before and indexer.check() == []


def test_a_record_the_fast_path_cannot_write_leaves_the_rest_of_its_batch_in(app_ctx: Any) -> None:
    records = _copies(4)
    records[1]["schedules"][0]["valid_from"] = "next Tuesday"  # passes the schema, fails when written
    records[2].pop("status")  # fails the schema
    report = importer.bulk_load(records, publish=True)
    db.session.commit()
    assert (report.created, report.rejected) == (2, 2)
    assert sorted(r.record_id or "" for r in report.rejections) == sorted([records[1]["id"], records[2]["id"]])
    assert db.session.get(Service, records[1]["id"]) is None
    assert db.session.get(Organization, records[1]["organization"]["id"]) is None  # nothing half-written
    for record in (records[0], records[3]):
        assert differences(record, _export(record["id"]), set(NOT_MODELLED)) == []


def test_services_of_one_organisation_share_it_across_batches(app_ctx: Any) -> None:
    records = _copies(3)
    organisation = records[0]["organization"]
    for record in records[1:]:
        record["organization"] = copy.deepcopy(organisation)
        record["organization_id"] = organisation["id"]
    report = importer.bulk_load(records, publish=True, batch_size=2)
    db.session.commit()
    assert report.created == 3
    owners = {db.session.get(Service, r["id"]).organization_id for r in records}  # type: ignore[union-attr]
    assert owners == {organisation["id"]}


def test_the_cli_loads_a_big_file_in_bulk_and_reports_rejections(app_ctx: Any, cli_runner: Any, tmp_path: Any) -> None:
    import json

    records = _copies(3)
    feed = tmp_path / "national.ndjson"
    feed.write_text("\n".join(json.dumps(r) for r in [*records, {"id": "bad", "name": "x"}]))
    start = _position()
    result = cli_runner.invoke(args=["oruk", "import", str(feed), "--publish", "--bulk"])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 1 rejected" in result.output and "Rejected bad:" in result.output
    assert _log_after(start) == [(EVERY_SERVICE, REINDEX)]
    assert all(db.session.get(Service, r["id"]) is not None for r in records)


def test_a_big_load_keeps_the_postgresql_planner_told_how_big_the_tables_are(app_ctx: Any) -> None:
    # The load is one transaction, so autovacuum never analyses its rows: with the empty tables' statistics the
    # planner scanned whole tables to find each batch's ids and a national load slowed to ~36 records/s.
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    records = _copies(12)
    report = importer.bulk_load(records, publish=True, batch_size=3)
    assert (report.created, report.rejected) == (12, 0), report.rejections
    estimated = db.session.scalar(db.text("SELECT reltuples FROM pg_class WHERE relname = 'service'"))
    assert estimated >= 6  # analysed after the third batch, inside the load's transaction


def test_a_big_load_analyses_only_the_tables_it_writes(app_ctx: Any) -> None:
    # ANALYZE of the whole database read every table (insights, referrals, search logs) each time the load doubled.
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    estimate = "SELECT reltuples FROM pg_class WHERE relname = :name"
    for n in range(8):
        factories.create_team(name=f"Unrelated team {n}")  # rows in a table the load never writes
    teams_before = db.session.scalar(db.text(estimate), {"name": "team"})
    report = importer.bulk_load(_copies(12), publish=True, batch_size=3)
    assert (report.created, report.rejected) == (12, 0), report.rejections
    assert db.session.scalar(db.text(estimate), {"name": "service"}) >= 6
    assert db.session.scalar(db.text(estimate), {"name": "team"}) == teams_before
