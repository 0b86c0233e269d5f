"""Cross-check the real package load (the `flask geo load` path) against the shared reference file.

Only postcode areas B, CV, HD and SK are loaded so the suite stays fast; the code path is the full one.
"""

from __future__ import annotations

import csv
import gzip
import random
from pathlib import Path

from geopy.distance import great_circle

from microdir.geo.lookup import Gazetteer

from .conftest import CROSS_CHECK_AREAS


def _area(postcode: str) -> str:
    return postcode[:2] if postcode[1].isalpha() else postcode[:1]


def _reference_rows(geo_data_dir: Path) -> list[list[str]]:
    wanted = set(CROSS_CHECK_AREAS)
    prefixes = tuple(wanted)
    rows = []
    with gzip.open(geo_data_dir / "uk_postcodes.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            if row[0].startswith(prefixes) and _area(row[0]) in wanted:
                rows.append(row)
    return rows


def test_package_positions_and_councils_match_the_reference(package_db: Path, geo_data_dir: Path) -> None:
    reference = _reference_rows(geo_data_dir)
    assert len(reference) > 100_000
    sample = random.Random(20251124).sample(reference, 500)
    gaz = Gazetteer(package_db)
    try:
        far, lad_same = [], 0
        for postcode, lat, lon, lad_code, _status in sample:
            loc = gaz.geocode_postcode(postcode)
            assert loc is not None, postcode
            metres = great_circle((float(lat), float(lon)), loc.latlon).meters
            if metres > 50:
                far.append((postcode, round(metres)))
            lad_same += loc.lad_code == lad_code
        assert far == []
        assert lad_same / len(sample) >= 0.99
    finally:
        gaz.close()


def test_package_load_has_districts_towns_and_no_northern_ireland(package_db: Path) -> None:
    gaz = Gazetteer(package_db)
    try:
        info = gaz.status()
        assert info["status_known"] is False  # the package cannot tell terminated postcodes apart
        assert info["areas"] == "B,CV,HD,SK"
        district = gaz.outcode_centroid("B66")
        assert district is not None and district.place_name == "Smethwick"
        assert gaz.resolve_place("Huddersfield").council == "Kirklees"
        assert gaz.resolve_place("stockport").outcode is not None
        assert gaz.geocode_postcode("BT1 1AA") is None
    finally:
        gaz.close()
