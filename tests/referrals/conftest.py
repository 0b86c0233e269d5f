"""Fixtures for the referral tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def nojs_page(browser: Any, base_url: str) -> Any:
    """A page with JavaScript switched off, to prove the referral journeys work without it."""
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    yield page
    context.close()
