"""The gazetteer's public names in one place: ``build`` makes the geo database, ``lookup`` reads it.

Kept so that ``from microdir.geo.gazetteer import …`` goes on working; new code may import from
``microdir.geo`` directly.
"""

from __future__ import annotations

from .build import LoadStats, load_gazetteer
from .lookup import (
    Gazetteer,
    council_name,
    find_places,
    geocode_postcode,
    get_gazetteer,
    is_loaded,
    outcode_centroid,
    resolve_place,
    status,
)
from .places import (
    GazetteerUnavailable,
    OutcodeLocation,
    Place,
    PlaceAmbiguous,
    PlaceChoice,
    PlaceKind,
    PlaceNotFound,
    PostcodeLocation,
    ResolvedPlace,
    normalise_place_name,
)

__all__ = [
    "Gazetteer",
    "GazetteerUnavailable",
    "LoadStats",
    "OutcodeLocation",
    "Place",
    "PlaceAmbiguous",
    "PlaceChoice",
    "PlaceKind",
    "PlaceNotFound",
    "PostcodeLocation",
    "ResolvedPlace",
    "council_name",
    "find_places",
    "get_gazetteer",
    "geocode_postcode",
    "is_loaded",
    "load_gazetteer",
    "normalise_place_name",
    "outcode_centroid",
    "resolve_place",
    "status",
]
