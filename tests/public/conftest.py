"""Resident pages run against the real search index; start every test from an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.conftest import start_with_empty_index


@pytest.fixture(autouse=True)
def empty_index(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames and not any(
        name in request.fixturenames for name in ("app_ctx", "client_request", "client", "page", "nojs_page")
    ):
        yield  # a pure unit test: no app, no index
        return
    app: Flask = request.getfixturevalue("app")
    start_with_empty_index(app)
    yield


def one(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]


@pytest.fixture
def nojs_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page with JavaScript switched off, to prove the resident's journey works without it."""
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def villages_geo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A gazetteer of the CB (Cambridge) postcode area from the pinned packages: villages, and two Church Ends."""
    from microdir.geo import load_gazetteer

    path = tmp_path_factory.mktemp("villages-geo") / "geo.sqlite"
    load_gazetteer(str(path), areas=["CB"])
    return str(path)


@pytest.fixture
def villages_geo(app: Flask, villages_geo_db: str) -> Iterator[str]:
    """Search places against the CB gazetteer for one test, then go back to the suite's sample gazetteer."""
    sample = app.config["GEO_DATABASE"]
    app.config["GEO_DATABASE"] = villages_geo_db
    try:
        yield villages_geo_db
    finally:
        app.config["GEO_DATABASE"] = sample
