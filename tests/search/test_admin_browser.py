"""The synonyms pages in Chromium: accessible, and usable without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.journeys import enter_code_if_asked

pytestmark = pytest.mark.browser


def sign_in(page: Any, app: Any) -> None:
    with app.app_context():
        user = factories.create_user(Role.MODERATOR)
        email = user.email
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button:has-text('Sign in'), input[type=submit]")
    with app.app_context():
        enter_code_if_asked(page, user)


def test_synonyms_pages_are_accessible(page: Any, app: Any) -> None:
    sign_in(page, app)
    page.goto("/moderation/synonyms")
    assert_accessible(page)
    page.click("text=Add a synonym")
    assert_accessible(page)
    page.click("button:has-text('Save synonym')")  # empty: the error summary must be accessible too
    assert page.title().startswith("Error: ")
    assert_accessible(page)
    page.goto("/moderation/synonyms")
    page.click("a:has-text('Delete') >> nth=0")
    assert_accessible(page)


def test_add_a_synonym_without_javascript(nojs_page: Any, app: Any) -> None:
    page = nojs_page
    sign_in(page, app)
    page.goto("/moderation/synonyms/new")
    page.fill("input[name=term]", "cuppa and chat")
    page.fill("textarea[name=expansions]", "coffee morning")
    page.click("button:has-text('Save synonym')")
    assert page.url.endswith("/moderation/synonyms")
    assert "Synonym for ‘cuppa and chat’ added" in page.inner_text("main")
