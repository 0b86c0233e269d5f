"""What the gazetteer hands out: kinds of place, the errors a resident sees, and the one name normaliser.

Shared by ``build`` (which stores name keys) and ``lookup`` (which matches a resident's text against them).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class PlaceKind(StrEnum):
    """What a piece of search text turned out to be."""

    POSTCODE = "postcode"
    DISTRICT = "district"
    TOWN = "town"
    LOCALITY = "locality"  # a village or locality from the GeoNames postal list that is not a town: a point too
    AREA = "area"  # a council, county, combined authority or region: searched as an area, not a point


class GazetteerUnavailable(RuntimeError):
    """Raised when the geo database file is missing or unreadable (an operator problem, not user input)."""


class PlaceNotFound(LookupError):
    """Report that search text could not be placed, with a message for the user and suggestions."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)[:5]


@dataclass(frozen=True, slots=True)
class PlaceChoice:
    """One of the places a name could mean: what to call it, where it is, and the text that picks it."""

    label: str
    hint: str
    query: str


class PlaceAmbiguous(PlaceNotFound):
    """Report that a name means several places ("Newport"), with one choice for each."""

    def __init__(self, name: str, choices: Sequence[PlaceChoice]) -> None:
        super().__init__(f"Which {name} did you mean?")
        self.name = name
        self.choices = list(choices)


@dataclass(frozen=True, slots=True)
class PostcodeLocation:
    """Where a unit postcode is, and which council it belongs to."""

    postcode: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    live: bool
    outcode: str

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class OutcodeLocation:
    """A postcode district's centroid, main council and best-known place name."""

    outcode: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    place_name: str | None
    live_postcodes: int

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)

    @property
    def label(self) -> str:
        """Return a label such as "B66 (Smethwick)"."""
        return f"{self.outcode} ({self.place_name})" if self.place_name else self.outcode


@dataclass(frozen=True, slots=True)
class Place:
    """A town or village from GeoNames, with the council and district it lies in."""

    name: str
    lat: float
    lon: float
    population: int
    lad_code: str | None
    council: str | None
    outcode: str | None

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    """What search text means on the map: the point to measure from and how to describe it."""

    query: str
    kind: PlaceKind
    label: str
    lat: float
    lon: float
    lad_code: str | None
    council: str | None
    outcode: str | None
    postcode: str | None = None
    # For an area (a council, county, combined authority or region): its councils, and what kind of area it is.
    lad_codes: tuple[str, ...] = ()
    area_kind: str | None = None

    @property
    def latlon(self) -> tuple[float, float]:
        """Return (latitude, longitude)."""
        return (self.lat, self.lon)

    @property
    def is_area(self) -> bool:
        """Return True when the place is an area searched as "in or covering", without distances."""
        return bool(self.lad_codes)



# --------------------------------------------------------------------------------------------------
# Names


_NAME_TOKEN_MAP = {"saint": "st"}


def normalise_place_name(name: str) -> str:
    """Reduce a place name to a lookup key: "St. Albans" and "saint albans" both become "st albans"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    # Apostrophes join ("Bo’ness" → "boness"); other punctuation separates ("Stoke-on-Trent").
    text = text.replace("'", "").replace("’", "").replace("&", " and ")
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return " ".join(_NAME_TOKEN_MAP.get(tok, tok) for tok in text.split())


COUNCIL_WORDS = ("metropolitan borough council", "royal borough council", "borough council", "city council",
                  "county borough council", "county council", "district council", "council", "city of", "cyngor",
                  "borough of", "royal borough of", "london borough of", "metropolitan borough of", "cyngor sir",
                  "county of")


def strip_council_words(key: str) -> tuple[str, bool]:
    """Return the name without "council" words ("sandwell council" → "sandwell"), and whether any were there."""
    said = False
    changed = True
    while changed:
        changed = False
        for words in sorted(COUNCIL_WORDS, key=len, reverse=True):
            if key.endswith(" " + words):
                key, said, changed = key[: -len(words) - 1], True, True
            elif key.startswith(words + " "):
                key, said, changed = key[len(words) + 1 :], True, True
    return key.strip(), said

