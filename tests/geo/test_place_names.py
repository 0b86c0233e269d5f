"""Names residents use for where they are: councils (English and Welsh), counties, regions, and same-named towns."""

from __future__ import annotations

from pathlib import Path

import pytest

from microdir.geo.gazetteer import Gazetteer, PlaceAmbiguous, PlaceKind, PlaceNotFound, load_gazetteer


@pytest.fixture(scope="module")
def gazetteer(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    # Three Newports: the Welsh city (NP), Newport on the Isle of Wight (PO) and Newport in Shropshire (TF).
    path = Path(tmp_path_factory.mktemp("names")) / "geo.sqlite"
    load_gazetteer(path, areas=["NP", "PO", "TF", "B", "WS"])
    return Gazetteer(path)


def test_a_name_several_towns_share_asks_which_one_with_council_and_country(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceAmbiguous) as raised:
        gazetteer.resolve_place("Newport")
    assert raised.value.message == "Which Newport did you mean?"
    hints = {c.hint for c in raised.value.choices}
    assert {"Newport, Wales", "Isle of Wight, England", "Telford and Wrekin, England"} <= hints
    # Each choice's text picks exactly that place.
    for choice in raised.value.choices:
        place = gazetteer.resolve_place(choice.query)
        assert place.kind is PlaceKind.TOWN and place.council in choice.hint


def test_council_names_english_and_welsh_are_areas(gazetteer: Gazetteer) -> None:
    sandwell = gazetteer.resolve_place("Sandwell Council")
    assert (sandwell.kind, sandwell.lad_codes, sandwell.area_kind) == (PlaceKind.AREA, ("E08000028",), "council")
    casnewydd = gazetteer.resolve_place("Casnewydd")
    assert casnewydd.lad_codes == ("W06000022",) and casnewydd.label == "Newport"
    assert gazetteer.resolve_place("Newport City Council").lad_codes == ("W06000022",)


def test_a_town_named_like_its_council_is_the_town(gazetteer: Gazetteer) -> None:
    walsall = gazetteer.resolve_place("Walsall")
    assert walsall.kind is PlaceKind.TOWN and walsall.lad_code == "E08000030"


@pytest.mark.parametrize("name,kind,councils", [
    ("West Yorkshire", "metropolitan county", 5),
    ("Greater Manchester Combined Authority", "combined authority", 10),
    ("West Midlands (region)", "region", 30),
    ("Staffordshire", "county", 8),
    ("Wales", "country", 22),
])
def test_counties_combined_authorities_and_regions_are_areas(gazetteer: Gazetteer, name: str, kind: str,
                                                            councils: int) -> None:
    place = gazetteer.resolve_place(name)
    assert (place.kind, place.area_kind, len(place.lad_codes)) == (PlaceKind.AREA, kind, councils)


def test_unknown_names_get_suggestions_by_spelling_including_areas(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as raised:
        gazetteer.resolve_place("Staffordshre")
    assert "Staffordshire" in raised.value.suggestions
