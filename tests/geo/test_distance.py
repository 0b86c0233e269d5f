"""Distances between points and how we describe them."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from microdir.geo.distance import distance_km, distance_miles, format_distance

SMETHWICK = (52.49643, -1.97264)  # B66 1AA
STOCKPORT = (53.40599, -2.15849)  # SK1 3XE


def test_distance_matches_the_ellipsoid_closely() -> None:
    # great_circle is within 0.5 % of the WGS84 geodesic across Great Britain.
    assert distance_miles(SMETHWICK, STOCKPORT) == pytest.approx(geodesic(SMETHWICK, STOCKPORT).miles, rel=0.005)
    assert distance_km(SMETHWICK, STOCKPORT) == pytest.approx(distance_miles(SMETHWICK, STOCKPORT) * 1.609344)


def test_distance_to_self_is_zero() -> None:
    assert distance_miles(SMETHWICK, SMETHWICK) == 0.0


@pytest.mark.parametrize(
    ("miles", "text"),
    [
        (0.0, "less than 0.1 miles"),
        (0.04, "less than 0.1 miles"),
        (0.05, "0.1 miles"),
        (0.8, "0.8 miles"),
        (0.96, "1 mile"),
        (1.0, "1 mile"),
        (1.04, "1 mile"),
        (1.06, "1.1 miles"),
        (2.0, "2 miles"),
        (9.94, "9.9 miles"),
        (9.96, "10 miles"),
        (12.3, "12 miles"),
        (63.3, "63 miles"),
    ],
)
def test_format_distance(miles: float, text: str) -> None:
    assert format_distance(miles) == text
