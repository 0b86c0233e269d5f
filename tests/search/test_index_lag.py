"""A node whose index lags the change log says "degraded" in /healthz, and (with several nodes) refuses searches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from microdir.extensions import db
from microdir.models import DirectoryChange, utcnow
from microdir.search import indexer
from tests import factories


@pytest.fixture
def following(app: Flask) -> Iterator[Flask]:
    """A node that runs `flask index follow` (no index update after commit), with its settings put back after."""
    saved = {k: app.config[k] for k in ("SEARCH_SYNC_ON_COMMIT", "SEARCH_INDEX_MAX_BEHIND",
                                        "SEARCH_INDEX_MAX_LAG_SECONDS", "SEARCH_FAILOVER_WHEN_DEGRADED")}
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    indexer._degraded_cache.clear()
    with app.app_context():
        yield app
        db.session.remove()
    app.config.update(saved)
    indexer._degraded_cache.clear()


def _search_check(client: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    response = client.get("/healthz")
    body = response.get_json()
    return response.status_code, body, body["checks"]["search_index"]


def test_an_index_more_changes_behind_than_the_threshold_is_degraded(following: Flask, client: Any) -> None:
    following.config["SEARCH_INDEX_MAX_BEHIND"] = 2
    indexer.update_index(following)
    for n in range(2):
        factories.create_service(name=f"Lag Club {n}")
    status, body, check = _search_check(client)
    assert status == 200 and check["behind"] >= 2 and check["degraded"] is False
    factories.create_service(name="Lag Club 3")
    status, body, check = _search_check(client)
    assert status == 503 and body["status"] == "degraded"
    assert check["ok"] is False and check["degraded"] is True and check["behind"] > 2
    assert "flask index follow" in check["error"]
    assert body["checks"]["database"]["ok"] is True
    indexer.update_index(following)  # the follower catches up
    status, body, check = _search_check(client)
    assert status == 200 and body["status"] == "ok" and check["behind"] == 0 and check["lag_seconds"] == 0


def test_one_change_left_unapplied_too_long_is_degraded(following: Flask, client: Any) -> None:
    following.config["SEARCH_INDEX_MAX_LAG_SECONDS"] = 30
    indexer.update_index(following)
    factories.create_service(name="Slow Club")
    status, _, check = _search_check(client)
    assert status == 200 and check["behind"] >= 1 and check["lag_seconds"] < 30
    db.session.execute(update(DirectoryChange).values(at=utcnow() - timedelta(seconds=45)))
    db.session.commit()
    status, body, check = _search_check(client)
    assert status == 503 and body["status"] == "degraded" and check["lag_seconds"] >= 45


def test_a_degraded_node_refuses_searches_only_when_failover_is_on(following: Flask, client: Any) -> None:
    following.config["SEARCH_INDEX_MAX_BEHIND"] = 0
    indexer.update_index(following)
    factories.create_service(name="Failover Club")
    page = client.get("/search?q=failover")
    assert page.status_code == 200  # one node: stale results beat none
    following.config["SEARCH_FAILOVER_WHEN_DEGRADED"] = True
    indexer._degraded_cache.clear()
    page = client.get("/search?q=failover")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert client.get("/").status_code == 200  # pages that do not read the index are served as usual
    indexer.update_index(following)
    indexer._degraded_cache.clear()
    page = client.get("/search?q=failover")
    assert page.status_code == 200 and "Failover Club" in page.get_data(as_text=True)


def test_update_on_a_node_without_an_index_builds_every_published_listing(following: Flask) -> None:
    service = factories.create_service(name="Bulk Loaded Club")
    # As a bulk load straight into the database would leave it: no change-log row for the listing.
    db.session.execute(DirectoryChange.__table__.delete())
    db.session.commit()
    indexer.reset(following)
    indexer.update_index(following)
    assert service.id in indexer.indexed_versions(following)


def test_a_committed_change_wakes_the_follower_and_a_rolled_back_one_does_not(following: Flask) -> None:
    import time

    from microdir.search import ChangeListener

    listener = ChangeListener(following)
    try:
        if db.engine.dialect.name != "postgresql":
            assert listener.connection is None and listener.wait(0.01) is False  # SQLite: the follower polls
            return
        assert listener.wait(0.05) is False
        service = factories.create_service(name="Notify Club")
        started = time.perf_counter()
        assert listener.wait(5) is True and time.perf_counter() - started < 1
        service.description = "Changed, then thought better of it."
        db.session.flush()
        db.session.rollback()
        assert listener.wait(0.3) is False
    finally:
        listener.close()


def test_a_restarted_node_catches_its_index_up_on_its_first_request(following: Flask, client: Any) -> None:
    # Changes logged but never applied, as when a process is killed in the middle of an index write.
    indexer.update_index(following)
    for n in range(3):
        factories.create_service(name=f"Crashed Club {n}")
    _, _, check = _search_check(client)
    assert check["behind"] >= 3
    # The node restarts (a new process) with the embedded default: its first request applies the log.
    following.config["SEARCH_SYNC_ON_COMMIT"] = True
    following.extensions["microdir_index_started"]["caught_up"] = False
    status, body, check = _search_check(client)
    assert status == 200 and body["status"] == "ok" and check["behind"] == 0
    assert "Crashed Club 2" in client.get("/search?q=crashed+club").get_data(as_text=True)
