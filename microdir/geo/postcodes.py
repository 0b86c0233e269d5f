"""Parse and normalise UK postcodes: the one place in microdir that knows their shape."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Postcode",
    "PostcodeError",
    "looks_like_outcode",
    "looks_like_postcode",
    "normalise_postcode",
    "parse_outcode",
    "parse_postcode",
    "split_outward",
]

# GOV.UK-style messages, kept together so forms, search and tests share the exact wording.
MSG_EMPTY = "Enter a postcode"
MSG_INCOMPLETE = "Enter a full UK postcode, like B66 1AA"
MSG_INVALID = "Enter a real postcode, like B66 1AA"
MSG_BFPO = "Enter a UK postcode, not a BFPO number"
MSG_OUTCODE_EMPTY = "Enter a postcode district, like B66"
MSG_OUTCODE_INVALID = "Enter a real postcode district, like B66"

# The six outward shapes (A9, A99, AA9, AA99, A9A, AA9A). Letters are not restricted by position
# because retired districts that users still type (W1R, W1V …) break the BS 7666 letter rules;
# an unknown but well-formed postcode is reported as "not found" by the gazetteer instead.
_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_INWARD = r"[0-9][A-Z]{2}"
_OUTWARD_RE = re.compile(rf"{_OUTWARD}")
_FULL_RE = re.compile(rf"({_OUTWARD})({_INWARD})")
# An outward code followed by the start of an inward code ("B66 1", "B66 1A").
_PARTIAL_RE = re.compile(rf"{_OUTWARD}(?:[0-9][A-Z]?)?")
_ALNUM_RE = re.compile(r"[A-Z0-9]+")
# A full postcode written the standard way: any case, one optional space, nothing around it. The open-data API
# accepts only this shape for its ``postcode`` parameter, and its OpenAPI document gives this pattern.
STANDARD_POSTCODE_PATTERN = r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}"
_STANDARD_RE = re.compile(STANDARD_POSTCODE_PATTERN)
# Girobank's postcode predates the standard shape; Royal Mail still treats it as valid.
_GIRO = ("GIR", "0AA")
# Longest possible postcode is 7 characters without the space; anything much longer is not one.
_MAX_INPUT = 16


class PostcodeError(ValueError):
    """Report why some text is not a usable UK postcode, in words fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Postcode:
    """A valid UK postcode split into its outward (district) and inward parts."""

    outward: str
    inward: str

    def __str__(self) -> str:
        return f"{self.outward} {self.inward}"

    @property
    def outcode(self) -> str:
        """Return the postcode district, e.g. "B66"."""
        return self.outward

    @property
    def sector(self) -> str:
        """Return the postcode sector, e.g. "B66 1"."""
        return f"{self.outward} {self.inward[0]}"

    @property
    def area(self) -> str:
        """Return the postcode area letters, e.g. "B" or "SK"."""
        return _area(self.outward)

    @property
    def compact(self) -> str:
        """Return the postcode without its space, e.g. "B661AA"."""
        return self.outward + self.inward


def _area(outward: str) -> str:
    letters = []
    for ch in outward:
        if not ch.isalpha():
            break
        letters.append(ch)
    return "".join(letters)


def _squash(text: str) -> str:
    # Any whitespace (including non-breaking spaces pasted from documents) is insignificant.
    return "".join(text.split()).upper()


def parse_postcode(text: str) -> Postcode:
    """Parse a full UK postcode in any case or spacing, or raise PostcodeError."""
    compact = _squash(text or "")
    if not compact:
        raise PostcodeError(MSG_EMPTY)
    if compact.startswith("BFPO"):
        raise PostcodeError(MSG_BFPO)
    if len(compact) > _MAX_INPUT or not _ALNUM_RE.fullmatch(compact):
        raise PostcodeError(MSG_INVALID)
    if compact == "".join(_GIRO):
        return Postcode(*_GIRO)
    match = _FULL_RE.fullmatch(compact)
    if match:
        return Postcode(match.group(1), match.group(2))
    if _PARTIAL_RE.fullmatch(compact):
        raise PostcodeError(MSG_INCOMPLETE)
    raise PostcodeError(MSG_INVALID)


def parse_outcode(text: str) -> str:
    """Parse a postcode district such as "B66" or "sw1a", or raise PostcodeError."""
    compact = _squash(text or "")
    if not compact:
        raise PostcodeError(MSG_OUTCODE_EMPTY)
    if compact.startswith("BFPO"):
        raise PostcodeError(MSG_BFPO)
    if compact == "GIR":
        return compact
    if len(compact) > _MAX_INPUT or not _OUTWARD_RE.fullmatch(compact):
        raise PostcodeError(MSG_OUTCODE_INVALID)
    return compact


def looks_like_postcode(text: str) -> bool:
    """Return True if the text is a well-formed full postcode."""
    try:
        parse_postcode(text)
    except PostcodeError:
        return False
    return True


def is_standard_postcode(text: str) -> bool:
    """Return True if the text is a full postcode written the standard way (``STANDARD_POSTCODE_PATTERN``)."""
    return _STANDARD_RE.fullmatch(text) is not None


def looks_like_outcode(text: str) -> bool:
    """Return True if the text is a well-formed postcode district (outward code) on its own."""
    try:
        parse_outcode(text)
    except PostcodeError:
        return False
    return True


def split_outward(text: str) -> str | None:
    """Return the outward code at the start of a full or partial postcode, if there is one."""
    parts = (text or "").upper().split()
    if len(parts) >= 2 and _OUTWARD_RE.fullmatch(parts[0]):
        return parts[0]
    compact = _squash(text or "")
    match = _FULL_RE.fullmatch(compact)
    if match:
        return match.group(1)
    if _OUTWARD_RE.fullmatch(compact):
        return compact
    return None


def normalise_postcode(text: str) -> str | None:
    """Return the standard "B66 1AA" form of a postcode, or None if it is not one (fast, for bulk loads)."""
    compact = "".join(text.split()).upper()
    match = _FULL_RE.fullmatch(compact)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    if compact == "".join(_GIRO):
        return " ".join(_GIRO)
    return None
