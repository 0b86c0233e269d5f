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
