"""The insight pages answer any query string without a 500: bad pickers give an error summary, unknown pages 404."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest


@pytest.mark.parametrize(("query", "message"), [
    ("period=custom&from=yesterday&to=2026-03-01", "Enter the start date as a real date, for example 2026-04-01"),
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
            # A NUL character is refused by the app for every page (400 with a message), never a 500.
            assert response.status_code == (400 if "%00" in query else 200), (path, query)
    assert client_request.client.get("/insights/nothing-here").status_code == 404
    assert client_request.client.get("/insights/funnel/not-a-table.csv").status_code == 404
    assert client_request.client.get("/insights/nothing/weekly.csv").status_code == 404
