"""Names residents use for where they are: councils (English and Welsh), counties, regions, and same-named towns."""

from __future__ import annotations

import csv
import gzip
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from microdir.geo.build import load_gazetteer
from microdir.geo.lookup import Gazetteer
from microdir.geo.places import PlaceAmbiguous, PlaceKind, PlaceNotFound


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
    # Council, county (where the council is in one) and country.
    assert {"Newport, Gwent, Wales", "Isle of Wight, England", "Telford and Wrekin, Shropshire, England"} <= hints
    # Each choice's text picks exactly that place.
    for choice in raised.value.choices:
        place = gazetteer.resolve_place(choice.query)
        assert place.kind is PlaceKind.TOWN and place.council in choice.hint


def test_same_named_places_in_councils_the_directory_serves_come_first(gazetteer: Gazetteer) -> None:
    # Newport (Wales) is the most populous; a directory with listings only on the Isle of Wight offers its own first.
    with pytest.raises(PlaceAmbiguous) as by_population:
        gazetteer.resolve_place("Newport")
    isle_of_wight = gazetteer.resolve_place("Newport, Isle of Wight").lad_code
    with pytest.raises(PlaceAmbiguous) as served_first:
        gazetteer.resolve_place("Newport", prefer=lambda: {isle_of_wight})
    first, *rest = served_first.value.choices
    assert first.hint == "Isle of Wight, England"
    assert sorted(rest, key=lambda c: c.hint) == sorted(  # the same others, in another order
        [c for c in by_population.value.choices if c != first], key=lambda c: c.hint)


def test_of_same_named_places_outside_the_directorys_councils_the_nearest_comes_first(gazetteer: Gazetteer) -> None:
    # A West Midlands directory (listings in Walsall only): its residents mean the Newport in Shropshire, about
    # 25 miles from Walsall, not the more populous one in Gwent (~80 miles) or on the Isle of Wight (~140 miles).
    walsall = gazetteer.resolve_place("Walsall").lad_code
    with pytest.raises(PlaceAmbiguous) as near_walsall:
        gazetteer.resolve_place("Newport", prefer=lambda: {walsall})
    hints = [c.hint for c in near_walsall.value.choices]
    assert hints[0] == "Telford and Wrekin, Shropshire, England"
    assert hints.index("Newport, Gwent, Wales") < hints.index("Isle of Wight, England")


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
    ("Staffordshire", "county", 9),  # the county residents mean, Stoke-on-Trent included
    ("Staffordshire County Council", "county council", 8),  # the county council's eight districts
    ("Kent", "county", 13),
    ("Cumbria", "county", 2),
    ("County Durham", "county", 4),
    ("South West", "region", 27),
    ("East of England", "region", 45),
    ("Yorkshire", "region", 15),
    ("Gwent", "county", 5),
    ("North Wales", "region", 6),
    ("Lanarkshire", "county", 2),
    ("Lothian", "area", 4),
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


def test_a_county_named_like_its_main_council_is_the_county_and_the_council_is_asked_for_by_name(
        gazetteer: Gazetteer) -> None:
    dorset = gazetteer.resolve_place("Dorset")  # not "Which Dorset?": the county holds the council's area
    assert (dorset.area_kind, set(dorset.lad_codes)) == ("county", {"E06000059", "E06000058"})
    council = gazetteer.resolve_place("Dorset Council")
    assert (council.area_kind, council.lad_codes) == ("council", ("E06000059",))


def test_every_english_council_is_in_exactly_one_region() -> None:
    from microdir.geo.lookup import AREAS_CSV, LAD_NAMES_CSV

    with open(LAD_NAMES_CSV, encoding="utf-8") as fh:
        english = {row["lad_name"] for row in csv.DictReader(fh) if row["lad_code"].startswith("E")}
    regions: list[str] = []
    with open(AREAS_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] == "region" and row["name"] not in {"Yorkshire", "North Wales", "Mid Wales",
                                                              "South West Wales", "South East Wales"}:
                regions += row["councils"].split(";")
    london = {name for name in english if name not in regions}
    assert len(london) == 33 and "Westminster" in london  # London is derived from the E09 codes
    assert sorted(regions) == sorted(english - london)


def test_english_counties_agree_with_geonames_postal_counties(geo_data_dir: Path) -> None:
    """Cross-check the hand-made county lists against GeoNames' county for each district's localities."""
    geo_dir = geo_data_dir
    with open(geo_dir / "uk_outcodes.csv", encoding="utf-8") as fh:
        council_of = {row["outcode"]: row["lad_name"] for row in csv.DictReader(fh) if row["lad_code"][:1] == "E"}
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    with gzip.open(geo_dir / "outcode_places.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["country"] == "England" and row["county"] and council_of.get(row["outcode"]):
                votes[council_of[row["outcode"]]][row["county"]] += 1
    ours: dict[str, str] = {}
    from microdir.geo.lookup import AREAS_CSV

    with open(AREAS_CSV, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] in ("county", "metropolitan county"):
                for council in row["councils"].split(";"):
                    ours[council] = row["name"]
    same = {"County of Bristol": "Bristol", "Durham": "County Durham"}
    disagree = {council for council, counted in votes.items() if council in ours
                and ours[council] != same.get(counted.most_common(1)[0][0], counted.most_common(1)[0][0])}
    # Tewkesbury's GL20 localities straddle Worcestershire; Stockton-on-Tees straddles the Tees (a tie).
    assert disagree <= {"Tewkesbury", "Stockton-on-Tees"}
    assert len([c for c in votes if c in ours]) > 250


def test_a_village_that_is_not_a_town_is_found_with_its_district_and_council(gazetteer: Gazetteer) -> None:
    shelfield = gazetteer.resolve_place("Shelfield")  # a village in Walsall, not in GeoNames' towns
    assert (shelfield.kind, shelfield.council, shelfield.outcode) == (PlaceKind.LOCALITY, "Walsall", "WS4")
    assert abs(shelfield.lat - 52.61) < 0.05 and abs(shelfield.lon + 1.95) < 0.05
    assert gazetteer.status()["localities"] > 100


def test_a_village_name_in_two_councils_asks_which_one(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceAmbiguous) as raised:
        gazetteer.resolve_place("Stirchley")
    hints = {c.hint for c in raised.value.choices}
    assert hints == {"Birmingham, West Midlands, England", "Telford and Wrekin, Shropshire, England"}
    for choice in raised.value.choices:
        place = gazetteer.resolve_place(choice.query)
        assert place.kind is PlaceKind.LOCALITY and place.council in choice.hint


def test_a_big_towns_name_listed_as_a_locality_nearby_is_still_just_the_town(gazetteer: Gazetteer) -> None:
    # GeoNames lists "Birmingham" under districts in Sandwell and Solihull too; that must not ask "which one?".
    for name in ("Birmingham", "Walsall", "Telford"):
        assert gazetteer.resolve_place(name).kind is PlaceKind.TOWN


def test_a_misspelt_village_gets_a_suggestion(gazetteer: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as raised:
        gazetteer.resolve_place("Shelfeild")
    assert "Shelfield" in raised.value.suggestions


def test_a_geo_database_built_before_localities_still_finds_towns(tmp_path: Path, gazetteer: Gazetteer) -> None:
    import shutil
    import sqlite3

    old = tmp_path / "geo.sqlite"
    shutil.copy(gazetteer.path, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE localities")
    conn.execute("DROP TABLE locality_names")
    conn.close()
    before = Gazetteer(old)
    assert before.resolve_place("Walsall").kind is PlaceKind.TOWN
    with pytest.raises(PlaceNotFound):
        before.resolve_place("Shelfield")
    before.close()


def test_a_village_name_that_starts_a_big_towns_name_offers_the_town_too(gazetteer: Gazetteer) -> None:
    # "Sutton" here is a London council and a village near Telford, but many who type it mean Sutton Coldfield.
    with pytest.raises(PlaceAmbiguous) as raised:
        gazetteer.resolve_place("Sutton")
    choices = {c.hint: c for c in raised.value.choices}
    assert set(choices) == {"the whole council area", "Birmingham, West Midlands, England",
                            "Telford and Wrekin, Shropshire, England"}
    coldfield = choices["Birmingham, West Midlands, England"]
    assert coldfield.label == "Sutton Coldfield"
    assert gazetteer.resolve_place(coldfield.query).label == "Sutton Coldfield"
