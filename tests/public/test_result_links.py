"""Links the results page makes carry only the search's real parameters: no empty "&age=" after filtering."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests import factories
from tests.pages import ClientRequest

# What the filter form sends when the resident ticks nothing but "Apply filters".
FORM_GET = "/search?q=lunch&where=&age=&within=&order=relevance"


def _search_urls(page: Any) -> list[str]:
    """Every results-page address in a link or hidden field, including those carried in a listing's ?back=."""
    found = []
    values = [a["href"] for a in page.select("a[href]")] + [i.get("value", "") for i in page.select("input")]
    for value in values:
        query = dict(parse_qsl(urlsplit(value).query, keep_blank_values=True))
        for candidate in [value, unquote(query.get("back", "")), unquote(query.get("next", ""))]:
            if urlsplit(candidate).path == "/search":
                found.append(candidate)
    return found


def test_result_links_carry_no_empty_parameters(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Smethwick Lunch Club", description="A hot lunch.")
    page = client_request.get(FORM_GET)
    assert page.soup.select_one(f"#result-{service.id}") is not None

    urls = _search_urls(page)
    listing = page.soup.select_one(f"#result-{service.id} h2 a")["href"]
    assert dict(parse_qsl(urlsplit(listing).query))["back"] == f"/search?q=lunch#result-{service.id}"
    for url in urls:
        empty = [key for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True) if value == ""]
        assert not empty, f"{url} carries empty {empty}"
