"""Fixtures for the search tests: a real index on disk in SEARCH_INDEX_DIR, emptied after every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from microdir.extensions import db
from microdir.search.synonyms import seed_synonyms
from tests.conftest import start_with_empty_index

SMETHWICK = (52.49643, -1.97264)  # B66 1AA
COVENTRY = (52.40533, -1.50005)  # CV1 5FB
STOCKPORT = (53.40599, -2.15849)  # SK1 3XE
HUDDERSFIELD = (53.64393, -1.78264)  # HD1 2TA




@pytest.fixture(autouse=True)
def search_app(app: Flask) -> Iterator[Flask]:
    """Register the index reset hook, start from an empty index and seed the starter synonyms."""
    start_with_empty_index(app)
    with app.app_context():
        seed_synonyms()
        db.session.commit()
    yield app


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


def place(app_or_none: Any, query: str) -> Any:
    from microdir.geo import resolve_place

    return resolve_place(query)


@pytest.fixture
def nojs_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A page with JavaScript switched off, to prove the synonyms journey works without it."""
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    yield page
    context.close()
