"""A new node can start from a copy of a peer's index and catch up from its position in the change log."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from microdir.extensions import db
from microdir.search import indexer
from tests import factories


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


def test_a_snapshot_restored_on_a_new_node_catches_up_and_matches_the_database(ctx: Flask, tmp_path: Path,
                                                                               cli_runner: Any) -> None:
    kept = factories.create_service(name="Snapshot Choir")
    result = cli_runner.invoke(args=["index", "snapshot", str(tmp_path / "snap")])
    assert result.exit_code == 0, result.output
    assert "Copied the index at change log position" in result.output
    later = factories.create_service(name="After The Snapshot Club")  # only in the change log, not the snapshot
    peer_root = ctx.config["SEARCH_INDEX_DIR"]
    ctx.config["SEARCH_INDEX_DIR"] = str(tmp_path / "new-node")
    try:
        result = cli_runner.invoke(args=["index", "restore", str(tmp_path / "snap")])
        assert result.exit_code == 0, result.output
        versions = indexer.indexed_versions(ctx)
        assert kept.id in versions and later.id in versions
        assert indexer.check(ctx) == []
        assert os.path.realpath(indexer.current_dir(ctx.config["SEARCH_INDEX_DIR"])).startswith(str(tmp_path))
    finally:
        indexer.get_manager(ctx).close()
        ctx.config["SEARCH_INDEX_DIR"] = peer_root


def test_a_snapshot_from_another_schema_is_refused(ctx: Flask, tmp_path: Path, cli_runner: Any) -> None:
    factories.create_service(name="Old Schema Club")
    indexer.snapshot(str(tmp_path / "snap"), ctx)
    stamp_file = tmp_path / "snap" / indexer.POSITION_FILE
    stamp = json.loads(stamp_file.read_text())
    stamp["schema"] = 1
    stamp_file.write_text(json.dumps(stamp))
    peer_root = ctx.config["SEARCH_INDEX_DIR"]
    ctx.config["SEARCH_INDEX_DIR"] = str(tmp_path / "new-node")
    try:
        result = cli_runner.invoke(args=["index", "restore", str(tmp_path / "snap")])
        assert result.exit_code != 0 and "another search schema" in result.output
        assert not (tmp_path / "new-node" / "current").exists()
    finally:
        ctx.config["SEARCH_INDEX_DIR"] = peer_root
