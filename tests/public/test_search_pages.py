"""Home and results pages: the search form, filters in the query string, place errors, empty results."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from microdir.extensions import db
from microdir.models import CapacityStatus, CostType, ListingStatus, SearchLog
from tests import factories
from tests.pages import ClientRequest

COVENTRY = (52.40533, -1.50005)  # CV1 5FB


def result_names(page: Any) -> list[str]:
    return [a.get_text(strip=True) for a in page.select("#results h2 a")]


def test_home_has_a_search_form_and_categories(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/")
    form = page.select("form[method=get]")[0]
    assert form["action"] == "/search"
    assert page.soup.find("label", attrs={"for": "where"}).get_text(strip=True) == "Postcode or town"
    assert "For example, B66 1AA or Dudley" in page.text()
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Drop-ins and lunch clubs"] == "/search?category=drop-ins-lunch-clubs"


def test_results_show_distance_when_cost_capacity_and_badge(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat every week.",
                             capacity_status=CapacityStatus.WAITING_LIST)
    page = client_request.get("/search?q=lunch&where=B66+1AA")
    assert result_names(page) == ["Smethwick Lunch Club"]
    result = page.select("#results li.app-result")[0].get_text(" ", strip=True)
    assert "less than 0.1 miles away" in result
    assert "Next: Tuesday" in result and "at 10am" in result
    assert "Free" in result
    assert "Waiting list" in result
    assert "Micro-provider" in result
    assert "1 service near B66 1AA" in page.soup.select_one("#result-count").get_text(" ", strip=True)
    # The search was logged with the postcode district only.
    log = db.session.scalars(db.select(SearchLog)).one()
    assert log.outcode == "B66" and log.result_count == 1


def test_no_place_means_no_distance_and_no_error(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch")
    assert result_names(page) == ["Smethwick Lunch Club"]
    assert "miles" not in page.soup.select_one("#results").get_text()
    assert not page.select(".govuk-error-summary")
    assert not page.select("#sort-order")  # "nearest" means nothing without a place


def test_unknown_place_gives_an_error_with_suggestions_not_a_500(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/search?q=lunch&where=Smethwik")
    assert page.title.startswith("Error: ")
    assert page.error_summary(), "the message is in the error summary"
    assert page.soup.select_one(".govuk-error-message")
    suggestions = page.select("#place-suggestions a")
    assert suggestions, "a near miss offers places to choose"
    first = urlsplit(suggestions[0]["href"])
    assert parse_qs(first.query)["q"] == ["lunch"]
    assert "Smethwick" in suggestions[0].get_text()
    page = client_request.get("/search?where=ZZ99+9ZZ")
    assert page.error_summary()
    page = client_request.get("/search?where=" + "x" * 500)  # absurd input: still a page, not a 500
    assert page.title.startswith("Error: ")


def test_filters_live_in_the_query_string_with_counts_and_remove_links(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    factories.create_service(name="Free Friends", description="Befriending.", categories=("friendship",),
                             needs=("loneliness",))
    paid = factories.create_service(name="Paid Friends", description="Befriending.", categories=("friendship",),
                                    needs=("dementia",))
    paid.cost_options[0].cost_type = CostType.FIXED
    paid.cost_options[0].amount = 3
    db.session.commit()

    page = client_request.get("/search?q=befriending")
    assert sorted(result_names(page)) == ["Free Friends", "Paid Friends"]
    form = page.soup.select_one("form#filters")
    assert form["method"] == "get" and form["action"] == "/search"
    need_labels = {lab.get_text(strip=True) for lab in form.select("#filter-need ~ * label, label")}
    assert "Dementia and memory (1)" in need_labels and "Loneliness and isolation (1)" in need_labels
    assert form.select_one("button").get_text(strip=True) == "Apply filters"
    assert form.select_one("input[name=q]")["value"] == "befriending"

    page = client_request.get("/search?q=befriending&cost=free")
    assert result_names(page) == ["Free Friends"]
    tag = page.soup.select_one("#selected-filters a")
    assert "Free" in tag.get_text(" ", strip=True)
    assert tag["href"] == "/search?q=befriending"
    checked = page.soup.select_one("input[type=checkbox][name=cost][value=free]")
    assert checked.has_attr("checked")

    # Two values in one facet are either/or; two facets narrow.
    page = client_request.get("/search?q=befriending&need=dementia&need=loneliness")
    assert len(result_names(page)) == 2
    page = client_request.get("/search?q=befriending&need=dementia&cost=free")
    assert result_names(page) == []


def test_empty_result_gives_next_steps(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Friends", description="Befriending.")
    page = client_request.get("/search?q=underwater+basket+weaving&where=B66+1AA&cost=free")
    help_text = page.soup.select_one("#no-results").get_text(" ", strip=True)
    assert "check your spelling" in help_text
    assert "fewer or different words" in help_text
    links = {a.get_text(strip=True): a["href"] for a in page.select("#no-results a")}
    assert links["remove your filters"] == "/search?q=underwater+basket+weaving&where=B66+1AA"
    assert links["search a wider area"] == "/search?q=underwater+basket+weaving&cost=free"
    assert "Transport" in links


def test_hidden_listings_never_appear_in_results(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Draft Lunch", description="Lunch.", listing_status=ListingStatus.DRAFT)
    factories.create_service(name="Open Lunch", description="Lunch.")
    assert result_names(client_request.get("/search?q=lunch")) == ["Open Lunch"]


def test_widening_is_explained(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Coventry Friends", description="Befriending.", postcode="CV1 5FB",
                             latitude=COVENTRY[0], longitude=COVENTRY[1])
    page = client_request.get("/search?q=befriending&where=B66+1AA")
    assert result_names(page) == ["Coventry Friends"]
    inset = page.soup.select_one(".govuk-inset-text").get_text(" ", strip=True)
    assert inset.startswith("There are few services close to B66 1AA, so we have included services up to")
    assert "miles away" in inset


def test_sort_by_nearest_and_pagination(app_ctx: Any, client_request: ClientRequest) -> None:
    for n in range(22):
        factories.create_service(name=f"Group {n:02d}", description="Befriending group.")
    factories.create_service(name="A Bit Further Group", description="Befriending group.",
                             latitude=52.51, longitude=-1.97264)  # about a mile north
    page = client_request.get("/search?q=befriending&where=B66+1AA")
    assert len(result_names(page)) == 20
    sort_link = page.soup.select_one("#sort-order a")
    assert sort_link["href"] == "/search?q=befriending&where=B66+1AA&order=nearest"
    nav = page.soup.select_one("nav.govuk-pagination")
    next_link = nav.select_one(".govuk-pagination__next a")["href"]
    assert next_link == "/search?q=befriending&where=B66+1AA&page=2"
    page2 = client_request.get(next_link)
    assert len(result_names(page2)) == 3
    assert page.soup.select_one("#result-count").get_text(strip=True).startswith("23 services")
    nearest = client_request.get(sort_link["href"] + "&page=2")
    assert result_names(nearest)[-1] == "A Bit Further Group"
    assert "0.9 miles away" in nearest.select("#results li.app-result")[-1].get_text(" ", strip=True)


def test_did_you_mean(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Memory Cafe", description="A cafe for people living with dementia.")
    page = client_request.get("/search?q=demntia+cafe")
    link = page.soup.select_one("#did-you-mean a")
    assert link.get_text() == "dementia cafe"
    assert link["href"] == "/search?q=dementia+cafe"
    assert result_names(page) == ["Memory Cafe"]


def test_bad_page_and_order_values_are_ignored(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Friends", description="Befriending.")
    page = client_request.get("/search?q=befriending&page=banana&order=sideways&age=abc")
    assert result_names(page) == ["Friends"]
    factories.create_service(name="Teen Club", description="Befriending.", minimum_age=13, maximum_age=19)
    page = client_request.get("/search?q=befriending&age=80")
    assert "Teen Club" not in result_names(page)


def test_a_results_page_reads_its_listings_in_a_fixed_number_of_queries(app_ctx: Any, client: Any) -> None:
    from sqlalchemy import event

    for n in range(12):
        factories.create_service(name=f"Quiet Natter Club {n}")
    db.session.remove()
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/search?q=natter")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.get_data(as_text=True).count("Quiet Natter Club") >= 12
    # Before: one lazy load per result for its organisation, profile, schedules and costs (4 x 12 more).
    assert len(statements) < 25, statements
