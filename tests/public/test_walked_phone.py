"""Layout a resident stumbled on at phone width (390 × 844), in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_results_tags_line_up_and_the_shortlist_button_does_not_touch_them(app_ctx: Any, page: Any) -> None:
    # "Taking new people" wraps onto two lines on a phone; the tag beside it was pushed down to its last line.
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat.")
    page.set_viewport_size(PHONE)
    page.goto("/search?q=lunch")
    result = page.locator("#results li.app-result").first
    tags = result.locator(".app-tag-list__item")
    assert tags.count() == 2, result.inner_text()
    first, second = tags.nth(0).bounding_box(), tags.nth(1).bounding_box()
    assert first["y"] == second["y"]
    button = result.get_by_role("button", name="Add to shortlist").bounding_box()
    assert button["y"] - (first["y"] + first["height"]) >= 10
