"""On a node whose index another process writes (`flask index follow`), web processes reopen the searcher ahead."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from microdir.extensions import db
from microdir.search import find_service_ids, indexer, warm_searcher
from tests import factories


@pytest.fixture
def following(app: Flask) -> Iterator[Flask]:
    saved = {k: app.config[k] for k in ("SEARCH_SYNC_ON_COMMIT", "SEARCH_REOPEN_AHEAD_SECONDS")}
    app.config["SEARCH_SYNC_ON_COMMIT"] = False
    with app.app_context():
        yield app
        db.session.remove()
    indexer.get_manager(app).stop_reopening_ahead()
    indexer.get_manager(app).close()
    app.config.update(saved)


def test_the_searcher_is_reopened_and_warmed_before_a_search_asks(following: Flask) -> None:
    manager = indexer.get_manager(following)
    factories.create_service(name="Already Indexed Walk")
    indexer.update_index(following)  # (a searcher on an empty index never counts as up to date)
    with manager.use() as before:
        pass
    assert manager.reopen_ahead(warm_searcher) is False  # in step: nothing to open
    service = factories.create_service(name="Reopened Ahead Choir")
    indexer.update_index(following)  # the follower, in another process on a real node
    assert manager.reopen_ahead(warm_searcher) is True
    with manager.use() as after:
        assert after is not before and "live" in after.cache  # the next search pays for neither
    assert service.id in {service_id for service_id, _ in find_service_ids("Reopened Ahead Choir")}


def test_a_web_process_of_a_following_node_watches_the_index_from_its_first_request(following: Flask,
                                                                                    client: object) -> None:
    following.config["SEARCH_REOPEN_AHEAD_SECONDS"] = 0.02
    client.get("/healthz")  # type: ignore[attr-defined]
    factories.create_service(name="Watched Index Lunch Club")
    indexer.update_index(following)
    manager = indexer.get_manager(following)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        state = manager.opened
        if state is not None and state.searcher.up_to_date():
            break
        time.sleep(0.02)
    else:
        pytest.fail("the web process did not reopen its searcher after the index changed")


def test_the_embedded_setup_starts_no_watching_thread(app: Flask) -> None:
    assert app.config["SEARCH_SYNC_ON_COMMIT"] is True
    assert app.config["SEARCH_REOPEN_AHEAD_SECONDS"] == 0


def test_the_live_documents_of_a_new_searcher_leave_out_every_replaced_version(following: Flask) -> None:
    from microdir.search.postings import live_bits
    from microdir.search.queries import to_bits

    services = [factories.create_service(name=f"Segment Walk {n}") for n in range(4)]
    indexer.update_index(following)
    for service in services[:2]:  # each edit deletes the old document and adds a new one
        service.description = "Changed, so the old document is deleted"
        db.session.commit()
        indexer.update_index(following)
    with indexer.get_manager(following).use() as state:
        size = state.searcher.doc_count_all()
        assert size > state.searcher.doc_count()  # there are deleted documents to leave out
        assert live_bits(state.searcher) == to_bits(state.searcher.reader().all_doc_ids(), size)
