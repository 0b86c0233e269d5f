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
    assert form.select_one("button").get_text(strip=True) == "Show 2 results"
    assert form.select_one("input[name=q]")["value"] == "befriending"

    page = client_request.get("/search?q=befriending&cost=free")
    assert result_names(page) == ["Free Friends"]
    # On a phone the results come first after filtering: the panel is closed, the ticks are shown as tags above.
    assert not page.soup.select_one("details#filter-panel").has_attr("open")
    assert page.soup.select_one("form#filters button").get_text(strip=True) == "Show 1 result"
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


def test_relaxed_matching_says_which_words_no_service_mentions(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Cherry Tree Kitchen", description="Cooking together every Thursday.")
    page = client_request.get("/search?q=cooking+classes+knitting")
    # "classes" carries no need and is dropped; "knitting" is in no listing: the rest still finds the kitchen.
    assert result_names(page) == ["Cherry Tree Kitchen"]
    message = page.soup.select_one("#relaxed").get_text(" ", strip=True)
    assert message == "No services mention ‘knitting’. Showing services for ‘cooking’."


def test_full_matches_are_said_to_come_first(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Seaside Carers Breaks", description="Short breaks by the sea for carers.")
    factories.create_service(name="Carers Corner", description="A cuppa for carers.")
    page = client_request.get("/search?q=seaside+carers+breaks")
    assert result_names(page)[0] == "Seaside Carers Breaks"
    assert "1 service matches all your words and is shown first" in page.soup.select_one("#relaxed").get_text()


def test_a_council_name_is_searched_as_an_area(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    for where in ("Sandwell", "Sandwell Council", "sandwell metropolitan borough council"):
        page = client_request.get(f"/search?q=lunch&where={where}")
        assert result_names(page) == ["Smethwick Lunch Club"], where
        assert page.soup.select_one("#result-count").get_text(" ", strip=True) == "1 service in or covering Sandwell"
        assert not page.select("#sort-order")  # no point to be near
        assert "miles" not in page.soup.select_one("#results").get_text()


def test_a_welsh_council_name_is_understood(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/search?q=lunch&where=Caerdydd")
    assert not page.select(".govuk-error-summary")
    assert "in or covering Cardiff" in page.soup.select_one("#result-count").get_text(" ", strip=True)


def test_an_ambiguous_name_asks_which_place_was_meant(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=West+Midlands&cost=free")
    assert page.title.startswith("Which West Midlands did you mean?")
    assert page.soup.h1.get_text(strip=True) == "Which West Midlands did you mean?"
    options = {i["value"]: page.soup.find("label", attrs={"for": i["id"]}).get_text(strip=True)
               for i in page.select("input[type=radio][name=where]")}
    assert options == {"West Midlands (metropolitan county)": "West Midlands (metropolitan county)",
                       "West Midlands (region)": "West Midlands (region)"}
    hints = page.text()
    assert "the whole metropolitan county" in hints and "the whole English region" in hints
    # The choice keeps the words and filters, and searches the area chosen.
    form = page.select("main form")[0]
    # (and, after the radios, the name typed with "choosing": sent with none chosen, it asks again with an error)
    assert {(i["name"], i["value"]) for i in form.select("input[type=hidden]")} == {
        ("q", "lunch"), ("cost", "free"), ("where", "West Midlands"), ("choosing", "yes")}
    chosen = client_request.get("/search?q=lunch&where=West+Midlands+%28metropolitan+county%29")
    assert result_names(chosen) == ["Smethwick Lunch Club"]
    assert "in or covering West Midlands" in chosen.soup.select_one("#result-count").get_text(" ", strip=True)


def test_an_unknown_name_gets_spelling_suggestions_including_councils(app_ctx: Any,
                                                                      client_request: ClientRequest) -> None:
    page = client_request.get("/search?q=lunch&where=Kirklee")
    links = [a.get_text(strip=True) for a in page.select("#place-suggestions a")]
    assert "Kirklees" in links


def test_nothing_within_the_cap_says_so_and_offers_the_whole_directory(app_ctx: Any,
                                                                       client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=SW1A+1AA")
    assert result_names(page) == []
    box = page.soup.select_one("#nothing-within")
    assert box.h2.get_text(strip=True) == "Nothing within 25 miles of SW1A 1AA matches"
    link = box.find("a")
    assert link.get_text(strip=True) == "Search the whole directory, at any distance" and link["href"] == "/search?q=lunch"


def test_the_distance_filter_is_offered_and_kept_in_links(app_ctx: Any, client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=B66+1AA&within=3")
    checked = page.soup.select_one("input[type=radio][name=within][checked]")
    assert checked["value"] == "3"
    labels = [page.soup.find("label", attrs={"for": i["id"]}).get_text(strip=True)
              for i in page.select("input[type=radio][name=within]")]
    assert labels == ["Up to 25 miles, nearest first", "Within 1 mile", "Within 3 miles", "Within 5 miles",
                      "Within 10 miles", "Within 25 miles"]
    assert "within=3" in page.soup.select_one("#sort-order a")["href"]
    assert result_names(client_request.get("/search?q=lunch&where=B66+1AA&within=bogus")) == ["Smethwick Lunch Club"]


def test_coordinates_from_use_my_location_are_searched_around_that_point(app_ctx: Any,
                                                                         client_request: ClientRequest) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get("/search?q=lunch&where=52.496,-1.973")
    assert result_names(page) == ["Smethwick Lunch Club"]
    assert page.soup.select_one("#result-count").get_text(" ", strip=True) == "1 service near your location"
    abroad = client_request.get("/search?q=lunch&where=48.857,2.352")
    assert "outside Great Britain" in abroad.soup.select_one(".govuk-error-summary").get_text()


def test_use_my_location_is_only_a_javascript_enhancement(app_ctx: Any, client_request: ClientRequest) -> None:
    for url in ("/", "/search?q=lunch"):
        page = client_request.get(url)
        holder = page.soup.select_one('[data-module="app-use-location"]')
        assert holder is not None and holder["data-target"] == "where"
        assert not holder.find("button"), "the button is made by static/js/location.js, so without JS there is none"
        assert page.soup.find("script", src="/static/js/location.js")


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


def test_a_search_with_no_results_still_offers_the_categories(app_ctx: Any, client_request: ClientRequest) -> None:
    # The categories are read only for this page now, not for every results page.
    page = client_request.get("/search?q=zzqxv")
    links = {a.get_text(strip=True): a["href"] for a in page.select("main a")}
    assert links["Drop-ins and lunch clubs"] == "/search?category=drop-ins-lunch-clubs"
