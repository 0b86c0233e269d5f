"""A node whose index was built by an older release reports it, and `flask index update` rebuilds it."""

from __future__ import annotations

import json
import os
from typing import Any

from microdir.search import indexer
from tests import factories


def test_an_index_from_an_older_schema_is_reported_and_rebuilt_by_update(app: Any, client: Any) -> None:
    with app.app_context():
        service_id = factories.create_service(name="Tuesday Tea and Natter").id
        directory = indexer.current_dir(indexer.get_manager(app).root)
        position_file = os.path.join(directory, indexer.POSITION_FILE)
        with open(position_file, encoding="utf-8") as f:
            stamp = json.load(f)
        stamp["schema"] = 1  # as a node upgraded to a release with a new schema would find it
        with open(position_file, "w", encoding="utf-8") as f:
            json.dump(stamp, f)
        indexer.get_manager(app).close()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "older version" in health.get_json()["checks"]["search_index"]["error"]
    page = client.get("/search?q=natter")
    assert page.status_code == 503
    assert "Search is being updated" in page.get_data(as_text=True)
    with app.app_context():
        indexer.update_index(app)
        assert service_id in indexer.indexed_versions(app)
    assert client.get("/healthz").status_code == 200
    assert "Tuesday Tea and Natter" in client.get("/search?q=natter").get_data(as_text=True)
