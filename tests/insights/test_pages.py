"""The insight pages answer any query string without a 500: bad pickers give an error summary, unknown pages 404."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from microdir.insights.filters import parse_filters
from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


@pytest.mark.parametrize(("query", "message"), [
    ("period=custom&from=yesterday&to=2026-03-01", "Enter the start date as a real date, for example 1 4 2026"),
    ("period=custom&from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026",
     "Enter the start date as a real date, for example 1 4 2026"),
    ("period=custom&from-day=1&from-month=3&from-year=26&to=2026-03-31",
     "Enter the start date as a real date, for example 1 4 2026"),
    ("period=custom&from=2026-03-31&to=2026-03-01", "The end date must be the same as or after the start date"),
    ("period=custom&from=2020-01-01&to=2026-03-01", "Choose dates no more than 3 years apart"),
    ("district=%3Cscript%3E", "Enter a postcode district, like B66 or WS1, or leave it blank"),
    ("council=Sandwell%27--", "Select a council from the list"),
])
def test_bad_pickers_give_an_error_summary(app_ctx: Any, client_request: ClientRequest, query: str,
                                           message: str) -> None:
    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    for path in ("/insights/", "/insights/unmet-need", "/insights/outcomes"):
        page = client_request.get(f"{path}?{query}")
        assert page.error_summary() == [message]
        assert page.title.startswith("Error: ")


def test_odd_input_never_fails(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.ADMIN))
    for query in ("period=forever", "period=custom", "from=%00&to=%ff", "district=b66+", "council=e08000028",
                  "period=4w&period=year", "district=" + "A" * 500):
        for path in ("/insights/", "/insights/coverage", "/insights/funnel", "/insights/timeliness",
                     "/insights/providers", "/insights/summary", "/insights/funnel/by-team.csv"):
            response = client_request.client.get(f"{path}?{query}")
            # A NUL character is refused by the app for every page (400 with a message), never a 500; a download or
            # summary of dates that are not dates goes to the page that says so (below).
            wrong = bool(parse_filters(dict(parse_qsl(query))).errors)
            redirected = wrong and path.endswith(("summary", ".csv")) and "%00" not in query
            assert response.status_code == (400 if "%00" in query else 302 if redirected else 200), (path, query)
    assert client_request.client.get("/insights/nothing-here").status_code == 404
    assert client_request.client.get("/insights/funnel/not-a-table.csv").status_code == 404
    assert client_request.client.get("/insights/nothing/weekly.csv").status_code == 404


def test_a_download_or_summary_of_impossible_dates_goes_to_the_page_that_says_why(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    # A hand-edited link with 31 February used to download the last 4 weeks' figures under the default dates,
    # with nothing to say the dates asked for were not used.
    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    query = "period=custom&from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026"
    for path, page_path in (("/insights/funnel/by-team.csv", "/insights/funnel"), ("/insights/summary", "/insights/")):
        response = client_request.client.get(f"{path}?{query}")
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith(f"{page_path}?"), response.headers["Location"]
        page = client_request.get(response.headers["Location"])
        assert page.error_summary() == ["Enter the start date as a real date, for example 1 4 2026"]
        assert "from-day=31" in response.headers["Location"]  # the boxes keep what was typed


def _boxes(page: Any, name: str) -> dict[str, tuple[str, str, str]]:
    """Return part → (type, inputmode, value) of a custom date's boxes."""
    return {part: (box.get("type", ""), box.get("inputmode", ""), box.get("value", ""))
            for part in ("day", "month", "year") for box in page.select(f"input#{name}-{part}")}


def test_custom_dates_are_typed_as_day_month_and_year(app_ctx: Any, client_request: ClientRequest) -> None:
    """GOV.UK's date pattern, not <input type=date>: Chromium showed that as mm/dd/yyyy under a label that said
    year-month-day. Plain boxes work the same with or without JavaScript."""
    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    page = client_request.get("/insights/timeliness?period=custom&from-day=1&from-month=3&from-year=2026"
                              "&to-day=31&to-month=03&to-year=2026")
    assert "1 March 2026 to 31 March 2026" in page.text()
    assert not page.select("input[type=date]")
    assert _boxes(page, "from") == {"day": ("text", "numeric", "1"), "month": ("text", "numeric", "3"),
                                    "year": ("text", "numeric", "2026")}
    assert _boxes(page, "to")["month"] == ("text", "numeric", "03")  # shown back as typed
    start = page.select("fieldset[aria-describedby='from-hint']")[0]
    assert start.legend.get_text(strip=True) == "Custom start date"
    assert start.select_one("#from-hint").get_text(strip=True) == "For example, 1 4 2026"
    assert [label.get_text(strip=True) for label in start.select("label")] == ["Day", "Month", "Year"]
    # Links and downloads keep the dates short and shareable (from=2026-03-01) ...
    download = page.select("a[href*='by-provider.csv']")[0]["href"]
    assert "from=2026-03-01" in download and "to=2026-03-31" in download
    # ... and such a link fills the boxes.
    again = client_request.get("/insights/timeliness?period=custom&from=2026-03-01&to=2026-03-31")
    assert _boxes(again, "from") == {"day": ("text", "numeric", "1"), "month": ("text", "numeric", "3"),
                                     "year": ("text", "numeric", "2026")}


def test_a_date_that_is_not_real_is_shown_back_with_its_error(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.COMMISSIONER))
    page = client_request.get("/insights/funnel?period=custom&from-day=31&from-month=2&from-year=2026"
                              "&to-day=31&to-month=3&to-year=2026")
    assert page.select(".govuk-error-summary__list a")[0]["href"] == "#from-day"
    assert _boxes(page, "from") == {"day": ("text", "numeric", "31"), "month": ("text", "numeric", "2"),
                                    "year": ("text", "numeric", "2026")}
    assert page.select("#from-error") and "govuk-input--error" in page.select("#from-day")[0]["class"]
    assert not page.select("#to-error")
