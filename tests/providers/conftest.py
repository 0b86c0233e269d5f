"""Fixtures for the providers' tests: a search index that starts empty."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from microdir.search import indexer


@pytest.fixture
def search_index(app: Flask) -> Iterator[Flask]:
    """Start from an empty index on disk, removed again after the test (the shared reset hook does it)."""
    if not app.extensions.get("microdir.search_test_hook"):
        app.extensions.setdefault("microdir.test_reset_hooks", []).append(lambda: indexer.reset(app))
        app.extensions["microdir.search_test_hook"] = True
    indexer.reset(app)
    yield app
