"""Which place did you mean? No place is chosen for the resident; sending none chosen asks again, with an error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from microdir.extensions import db
from microdir.geo import get_gazetteer
from microdir.models import AreaType
from tests import factories
from tests.pages import ClientRequest


def _form_get(page: Any, chosen: str | None) -> str:
    """The address the browser would GET: the form's fields in page order, with one radio ticked or none."""
    pairs = []
    for field in page.select("form[action='/search'] input"):
        if field.get("type") == "radio":
            if field["value"] == chosen:
                pairs.append((field["name"], field["value"]))
        else:
            pairs.append((field["name"], field.get("value", "")))
    return "/search?" + urlencode(pairs)


def test_no_place_is_preselected_and_sending_none_says_select_one(
        app_ctx: Any, villages_geo: str, client_request: ClientRequest) -> None:
    # The first place was ticked already: the resident could press Search without noticing which one it was.
    page = client_request.get("/search?q=lunch&where=church+end")
    assert page.soup.h1.get_text(strip=True) == "Which Church End did you mean?"
    assert page.select("input[type=radio][name=where]")
    assert not page.select("input[type=radio][checked]")

    again = client_request.get(_form_get(page, None))
    assert again.soup.h1.get_text(strip=True) == "Which Church End did you mean?"
    assert again.error_summary() == ["Select which Church End you mean"]
    assert again.title.startswith("Error: ")
    assert not again.select("input[type=radio][checked]")

    chosen = client_request.get(_form_get(again, "Church End, Uttlesford"))
    assert "near Church End" in chosen.soup.select_one("#result-count").get_text(" ", strip=True)
    assert not chosen.select(".govuk-error-summary")


def test_a_place_in_a_council_with_listings_is_offered_first(
        app_ctx: Any, villages_geo: str, client_request: ClientRequest) -> None:
    # Most populous first put a Church End the directory has nothing near above the one whose council it serves.
    offered = [radio["value"] for radio in client_request.get("/search?where=church+end").select(
        "input[type=radio][name=where]")]
    assert len(offered) >= 2
    served = get_gazetteer(villages_geo).resolve_place(offered[-1])
    service = factories.build_service(name="Church End Lunch Club", postcode=None, area=AreaType.COUNCILS)
    service.service_areas[0].lad_codes = [served.lad_code]
    db.session.commit()

    again = [radio["value"] for radio in client_request.get("/search?where=church+end").select(
        "input[type=radio][name=where]")]
    assert again[0] == offered[-1]
    assert sorted(again) == sorted(offered)  # the same choices, only in another order
