"""What a resident stumbled on when the demo was walked on a phone: the results page says what narrows it."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.pages import ClientRequest


def test_a_distance_filter_is_shown_above_the_results_with_a_way_to_remove_it(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # After "Within 3 miles" the filter panel closes (results first on a phone): without a tag the resident
    # saw fewer results and nothing saying why, nor how to go back.
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=B66+1AA&within=3")

    tags = [(a.get_text(" ", strip=True), a["href"]) for a in page.select("#selected-filters a")]
    assert tags == [("Remove filter Distance from B66 1AA: Within 3 miles", "/search?q=lunch&where=B66+1AA")]
    clear = [a["href"] for a in page.select("a") if a.get_text(strip=True) == "Clear all filters"]
    assert clear == ["/search?q=lunch&where=B66+1AA"]


def test_no_distance_tag_without_a_distance_filter(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=B66+1AA")
    assert page.soup.select_one("#selected-filters") is None
