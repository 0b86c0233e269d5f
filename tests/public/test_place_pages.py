"""Villages and localities through the pages: found, asked about when the name is shared, suggested when misspelt."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.pages import ClientRequest

HADSTOCK = (52.0803, 0.2741)  # a village in Uttlesford (CB21), not one of GeoNames' towns
CHURCH_END_UTTLESFORD = (52.0306, 0.2643)  # CB10


def result_names(page: Any) -> list[str]:
    return [a.get_text(strip=True) for a in page.select("#results h2 a")]


def lunch_club_near_hadstock() -> None:
    factories.create_service(name="Hadstock Lunch Club", description="A hot lunch.", postcode="CB21 4NU",
                             latitude=HADSTOCK[0] + 0.01, longitude=HADSTOCK[1])


def test_a_village_is_searched_around_it(app_ctx: Any, villages_geo: str, client_request: ClientRequest) -> None:
    lunch_club_near_hadstock()
    page = client_request.get("/search?q=lunch&where=Hadstock")
    assert not page.select(".govuk-error-summary")
    assert result_names(page) == ["Hadstock Lunch Club"]
    assert page.soup.select_one("#result-count").get_text(" ", strip=True) == "1 service near Hadstock"
    assert "0.7 miles away" in page.select("#results li.app-result")[0].get_text(" ", strip=True)


def test_a_village_name_two_councils_share_asks_which_with_council_and_county(
        app_ctx: Any, villages_geo: str, client_request: ClientRequest) -> None:
    lunch_club_near_hadstock()
    page = client_request.get("/search?q=lunch&where=church+end")
    assert page.soup.h1.get_text(strip=True) == "Which Church End did you mean?"
    hints = [h.get_text(strip=True) for h in page.select(".govuk-radios__hint")]
    assert hints == ["Uttlesford, Essex, England", "South Cambridgeshire, Cambridgeshire, England"]
    choice = page.select("input[name=where]")[0]["value"]
    assert choice == "Church End, Uttlesford"
    chosen = client_request.get("/search?q=lunch&where=Church+End%2C+Uttlesford")
    assert result_names(chosen) == ["Hadstock Lunch Club"]
    assert "near Church End" in chosen.soup.select_one("#result-count").get_text(" ", strip=True)


def test_a_misspelt_village_gets_a_suggestion_that_searches_it(app_ctx: Any, villages_geo: str,
                                                               client_request: ClientRequest) -> None:
    lunch_club_near_hadstock()
    page = client_request.get("/search?q=lunch&where=Hadstok")
    assert "We could not find a place called ‘Hadstok’" in page.soup.select_one(".govuk-error-summary").get_text()
    link = {a.get_text(strip=True): a["href"] for a in page.select("#place-suggestions a")}["Hadstock"]
    assert result_names(client_request.get(link)) == ["Hadstock Lunch Club"]


def test_counties_and_regions_are_searched_as_areas(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")  # a venue in Sandwell (B66)
    for where, label in (("West Midlands (region)", "West Midlands"), ("Staffordshire", None)):
        page = client_request.get(f"/search?q=lunch&where={where}")
        assert not page.select(".govuk-error-summary"), where
        count = page.soup.select_one("#result-count").get_text(" ", strip=True)
        if label:
            assert count == f"1 service in or covering {label}"
        else:
            assert "in or covering Staffordshire" in count and result_names(page) == []
