"""Building the gazetteer from the sample CSV and looking things up in it."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from flask import Flask

from microdir import geo
from microdir.geo.build import LoadStats, load_gazetteer
from microdir.geo.lookup import Gazetteer
from microdir.geo.places import GazetteerUnavailable, PlaceKind, PlaceNotFound, normalise_place_name
from microdir.geo.postcodes import PostcodeError, parse_postcode


def test_sample_load_counts(sample_build: tuple[Path, LoadStats]) -> None:
    _path, stats = sample_build
    assert stats.postcodes == 8875
    assert stats.live_postcodes == 4197
    assert stats.outcodes == 8
    assert stats.councils == 350
    assert stats.places > 0


@pytest.mark.parametrize("text", ["B66 1AA", "b661aa", " B66  1AA "])
def test_geocode_postcode(gaz: Gazetteer, text: str) -> None:
    loc = gaz.geocode_postcode(text)
    assert loc is not None
    assert (loc.postcode, loc.lat, loc.lon) == ("B66 1AA", 52.49643, -1.97264)
    assert (loc.lad_code, loc.council, loc.outcode, loc.live) == ("E08000028", "Sandwell", "B66", True)
    assert loc.latlon == (52.49643, -1.97264)


@pytest.mark.parametrize(
    ("postcode", "council", "live"),
    [
        ("SK1 3XE", "Stockport", True),
        ("CV1 5FB", "Coventry", True),
        ("HD1 2TA", "Kirklees", True),
        ("SW1A 1AA", "Westminster", True),
        ("B66 1AD", "Sandwell", False),
    ],
)
def test_geocode_spot_checks(gaz: Gazetteer, postcode: str, council: str, live: bool) -> None:
    loc = gaz.geocode_postcode(parse_postcode(postcode))
    assert loc is not None
    assert (loc.council, loc.live) == (council, live)


def test_unknown_postcode_is_none_and_bad_text_raises(gaz: Gazetteer) -> None:
    assert gaz.geocode_postcode("B66 9ZZ") is None
    assert gaz.geocode_postcode("AB1 0AA") is None  # not in the sample
    with pytest.raises(PostcodeError):
        gaz.geocode_postcode("not a postcode")


@pytest.mark.parametrize(
    ("outcode", "lat", "lon", "place"),
    [
        ("B66", 52.49270, -1.96470, "Smethwick"),
        ("sk1", 53.40765, -2.15186, "Stockport"),
        ("CV1", 52.40936, -1.50642, "Coventry"),
        ("HD1", 53.64687, -1.78890, "Huddersfield"),
    ],
)
def test_outcode_centroid_is_mean_of_live_postcodes(
    gaz: Gazetteer, outcode: str, lat: float, lon: float, place: str
) -> None:
    # Expected centroids are the shared README's (mean of live postcodes, 5 decimals).
    loc = gaz.outcode_centroid(outcode)
    assert loc is not None
    assert loc.lat == pytest.approx(lat, abs=1e-5)
    assert loc.lon == pytest.approx(lon, abs=1e-5)
    assert loc.place_name == place
    assert loc.label == f"{outcode.upper()} ({place})"


def test_outcode_counts_and_council(gaz: Gazetteer) -> None:
    loc = gaz.outcode_centroid("B66")
    assert loc is not None
    assert (loc.lad_code, loc.council) == ("E08000028", "Sandwell")
    assert loc.live_postcodes == 568


@pytest.mark.parametrize("text", ["B99", "ZZ9", "not one", ""])
def test_unknown_outcode_is_none(gaz: Gazetteer, text: str) -> None:
    assert gaz.outcode_centroid(text) is None


@pytest.mark.parametrize(
    ("text", "name", "outcode", "council"),
    [
        ("Smethwick", "Smethwick", "B66", "Sandwell"),
        ("stockport", "Stockport", "SK1", "Stockport"),
        ("STOCKPORT", "Stockport", "SK1", "Stockport"),
        ("  huddersfield. ", "Huddersfield", "HD1", "Kirklees"),
        ("Coventry", "Coventry", "CV1", "Coventry"),
    ],
)
def test_find_places(gaz: Gazetteer, text: str, name: str, outcode: str, council: str) -> None:
    places = gaz.find_places(text)
    assert places
    assert (places[0].name, places[0].outcode, places[0].council) == (name, outcode, council)


def test_find_places_by_prefix_orders_by_population(gaz: Gazetteer) -> None:
    places = gaz.find_places("stock", limit=5)
    assert places[0].name == "Stockport"
    pops = [p.population for p in places]
    assert pops == sorted(pops, reverse=True)
    assert gaz.find_places("stock", limit=0) == []
    assert gaz.find_places("") == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("st albans", "St Albans"),
        ("St. Albans", "Saint Albans"),
        ("stoke on trent", "Stoke-on-Trent"),
        ("Bo'ness", "Bo’ness"),
        ("ystradgynlais", "Ystradgynlais"),
        ("Brynmawr", "BRYNMAWR"),
        ("Llanfair Caereinion", "llanfair  caereinion"),
        ("Pontypŵl", "Pontypwl"),
    ],
)
def test_place_names_normalise_alike(a: str, b: str) -> None:
    assert normalise_place_name(a) == normalise_place_name(b)


def test_places_outside_the_loaded_postcodes_are_left_out(gaz: Gazetteer) -> None:
    # Only SW1A, CF10, EH1, G1, B66, SK1, CV1, HD1 are in the sample: Penzance has no postcode nearby.
    assert gaz.find_places("Penzance") == []


def test_resolve_postcode(gaz: Gazetteer) -> None:
    place = gaz.resolve_place("b66 1aa")
    assert place.kind is PlaceKind.POSTCODE
    assert (place.label, place.postcode, place.outcode, place.lad_code) == ("B66 1AA", "B66 1AA", "B66", "E08000028")
    assert place.latlon == (52.49643, -1.97264)
    assert place.council == "Sandwell"


@pytest.mark.parametrize(("text", "label"), [("B66", "B66 (Smethwick)"), ("sk1", "SK1 (Stockport)")])
def test_resolve_district(gaz: Gazetteer, text: str, label: str) -> None:
    place = gaz.resolve_place(text)
    assert place.kind is PlaceKind.DISTRICT
    assert place.label == label
    assert place.postcode is None
    assert place.outcode == text.upper()


@pytest.mark.parametrize(
    ("text", "label", "lad"), [("Smethwick", "Smethwick", "E08000028"), ("stockport", "Stockport", "E08000007")]
)
def test_resolve_town(gaz: Gazetteer, text: str, label: str, lad: str) -> None:
    place = gaz.resolve_place(text)
    assert place.kind is PlaceKind.TOWN
    assert (place.label, place.lad_code) == (label, lad)


def test_unknown_postcode_in_known_district_suggests_the_district(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as err:
        gaz.resolve_place("B66 9ZZ")
    assert err.value.message == "We could not find the postcode B66 9ZZ. Check it, or search the whole B66 district"
    assert err.value.suggestions == ["B66"]


def test_unknown_postcode_in_unknown_district(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as err:
        gaz.resolve_place("AB1 0AA")
    assert "could not find the postcode AB1 0AA" in err.value.message
    assert err.value.suggestions == []


def test_misspelt_town_suggests_similar_names(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as err:
        gaz.resolve_place("Stockprt")
    assert err.value.message.startswith("We could not find a place called ‘Stockprt’")
    assert "Stockport" in err.value.suggestions


def test_partial_postcode_gives_the_postcode_message(gaz: Gazetteer) -> None:
    with pytest.raises(PlaceNotFound) as err:
        gaz.resolve_place("B66 1")
    assert err.value.message == "Enter a full UK postcode, like B66 1AA"
    assert err.value.suggestions == ["B66"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "xyzzy",
        "!!!",
        "B99",
        "BFPO 123",
        "B66 1AA1",
        "12345",
        "a",
        "Ω" * 5,
        "x" * 5000,
        "'; DROP TABLE postcodes; --",
        "%",
        "_",
        "\x00",
        "GIR 0AA",
        None,
    ],
)
def test_garbage_only_ever_raises_place_not_found(gaz: Gazetteer, text: str) -> None:
    with pytest.raises(PlaceNotFound) as err:
        gaz.resolve_place(text)  # type: ignore[arg-type]
    assert err.value.message
    assert isinstance(err.value.suggestions, list)
    assert len(err.value.suggestions) <= 5


def test_council_name(gaz: Gazetteer) -> None:
    assert gaz.council_name("E08000028") == "Sandwell"
    assert gaz.council_name("W06000015") == "Cardiff"
    assert gaz.council_name("X99999999") is None
    assert gaz.council_name(None) is None


def test_status_and_is_loaded(gaz: Gazetteer) -> None:
    assert gaz.is_loaded()
    info = gaz.status()
    assert info["loaded"] is True
    assert info["status_known"] is True
    assert (info["postcodes"], info["live_postcodes"], info["outcodes"], info["councils"]) == (8875, 4197, 8, 350)


def test_missing_database(tmp_path: Path) -> None:
    gaz = Gazetteer(tmp_path / "nope.sqlite")
    assert not gaz.is_loaded()
    assert gaz.status()["loaded"] is False
    with pytest.raises(GazetteerUnavailable):
        gaz.resolve_place("B66 1AA")


def test_connection_is_read_only(gaz: Gazetteer) -> None:
    gaz.geocode_postcode("B66 1AA")
    conn = gaz._connection()
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM postcodes")


def test_each_thread_gets_its_own_connection(gaz: Gazetteer) -> None:
    results: list[object] = []

    def work() -> None:
        results.append(gaz.resolve_place("SK1 3XE").council)
        gaz.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["Stockport"] * 4


def test_rebuild_is_atomic_and_picked_up_by_a_live_reader(tmp_path: Path, sample_csv: Path) -> None:
    path = tmp_path / "geo.sqlite"
    small = tmp_path / "small.csv"
    lines = sample_csv.read_text(encoding="utf-8").splitlines()
    small.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.startswith("SK1 ")]) + "\n", encoding="utf-8")
    load_gazetteer(path, postcodes_csv=small)
    gaz = Gazetteer(path)
    try:
        assert gaz.geocode_postcode("B66 1AA") is None
        assert gaz.geocode_postcode("SK1 3XE") is not None
        load_gazetteer(path, postcodes_csv=sample_csv)
        assert gaz.geocode_postcode("B66 1AA") is not None
        # No temporary build file is left beside the database.
        assert sorted(p.name for p in tmp_path.iterdir()) == ["geo.sqlite", "small.csv"]
    finally:
        gaz.close()


def test_failed_load_leaves_the_old_file(tmp_path: Path, sample_csv: Path) -> None:
    path = tmp_path / "geo.sqlite"
    load_gazetteer(path, postcodes_csv=sample_csv)
    before = os.stat(path).st_ino
    bad = tmp_path / "bad.csv"
    bad.write_text("wrong,columns\n1,2\n", encoding="utf-8")
    with pytest.raises(KeyError):
        load_gazetteer(path, postcodes_csv=bad)
    assert os.stat(path).st_ino == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "geo.sqlite"]


def test_areas_filter_and_validation(tmp_path: Path, sample_csv: Path) -> None:
    stats = load_gazetteer(tmp_path / "geo.sqlite", postcodes_csv=sample_csv, areas=["b", "SK"])
    gaz = Gazetteer(tmp_path / "geo.sqlite")
    try:
        assert stats.outcodes == 2
        assert gaz.outcode_centroid("CV1") is None
        assert gaz.status()["areas"] == "B,SK"
    finally:
        gaz.close()
    with pytest.raises(ValueError):
        load_gazetteer(tmp_path / "x.sqlite", postcodes_csv=sample_csv, areas=["B1"])


def test_progress_is_reported(tmp_path: Path, sample_csv: Path) -> None:
    seen: list[tuple[str, int]] = []
    load_gazetteer(tmp_path / "geo.sqlite", postcodes_csv=sample_csv, progress=lambda s, n: seen.append((s, n)))
    assert seen[-1] == ("done", 8875)


def test_module_functions_use_the_app_config(geo_app: Flask) -> None:
    assert geo.is_loaded()
    assert geo.status()["postcodes"] == 8875
    assert geo.council_name("E08000007") == "Stockport"
    loc = geo.geocode_postcode("B66 1AA")
    assert loc is not None and loc.council == "Sandwell"
    district = geo.outcode_centroid("CV1")
    assert district is not None and district.place_name == "Coventry"
    assert geo.find_places("Smethwick")[0].outcode == "B66"
    assert geo.resolve_place("HD1").label == "HD1 (Huddersfield)"


def test_init_app_defaults_the_path(empty_geo_app: Flask) -> None:
    assert empty_geo_app.config["GEO_DATABASE"] == os.path.join(empty_geo_app.instance_path, "geo.sqlite")
    with empty_geo_app.app_context():
        assert geo.is_loaded() is False
