"""Staff pages a person stumbled on at phone width (390 × 844), in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from microdir.extensions import db
from microdir.insights.refresh import refresh_all
from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import sign_in
from tests.insights.fixtures import TODAY, add_searches, build_world

pytestmark = pytest.mark.browser

MARCH = "?period=custom&from=2026-03-01&to=2026-03-31"


def test_wide_insight_tables_scroll_in_their_box_not_the_whole_page_on_a_phone(app_ctx: Any, page: Any) -> None:
    # The unmet-need gaps table is about 1,000 px wide: the whole page, header and all, scrolled sideways.
    build_world()
    add_searches()
    with time_machine.travel(TODAY, tick=False):
        refresh_all()
        db.session.commit()
    commissioner = factories.create_user(Role.COMMISSIONER, email="chris.phone@example.com")
    sign_in(page, commissioner)  # at the default width, where "Sign out" shows without opening the menu
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/insights/unmet-need" + MARCH)
    widest = page.evaluate("Math.max(...[...document.querySelectorAll('main table')].map(t => t.scrollWidth))")
    assert widest > 390  # the table is still wide: it scrolls in its box
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    assert_accessible(page)  # the scrolling box holds the table's CSV link, so a keyboard can reach it
