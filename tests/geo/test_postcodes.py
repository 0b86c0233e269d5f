"""Parsing and normalising UK postcodes, and every message a person can see."""

from __future__ import annotations

import dataclasses

import pytest

from microdir.geo.postcodes import (
    MSG_BFPO,
    MSG_EMPTY,
    MSG_INCOMPLETE,
    MSG_INVALID,
    MSG_OUTCODE_EMPTY,
    MSG_OUTCODE_INVALID,
    Postcode,
    PostcodeError,
    looks_like_outcode,
    looks_like_postcode,
    normalise_postcode,
    parse_outcode,
    parse_postcode,
    split_outward,
)


@pytest.mark.parametrize(
    ("text", "outward", "inward"),
    [
        ("M1 1AE", "M1", "1AE"),  # A9 9AA
        ("B66 1AA", "B66", "1AA"),  # A99 9AA
        ("CR2 6XH", "CR2", "6XH"),  # AA9 9AA
        ("DN55 1PT", "DN55", "1PT"),  # AA99 9AA
        ("W1A 0AX", "W1A", "0AX"),  # A9A 9AA
        ("EC1A 1BB", "EC1A", "1BB"),  # AA9A 9AA
        ("SW1A 1AA", "SW1A", "1AA"),
        ("GIR 0AA", "GIR", "0AA"),  # Girobank's pre-standard postcode
    ],
)
def test_parses_every_standard_format(text: str, outward: str, inward: str) -> None:
    pc = parse_postcode(text)
    assert (pc.outward, pc.inward) == (outward, inward)
    assert str(pc) == f"{outward} {inward}"


@pytest.mark.parametrize(
    "text",
    ["B66 1AA", "b66 1aa", "b661aa", "B661AA", " B66  1AA ", "\tb66\n1aa", "B66\u00a01AA", "b 6 6 1 a a", "B6 61AA"],
)
def test_accepts_any_case_and_spacing(text: str) -> None:
    assert str(parse_postcode(text)) == "B66 1AA"


def test_postcode_is_a_frozen_value() -> None:
    pc = parse_postcode("sw1a1aa")
    assert pc == Postcode("SW1A", "1AA")
    assert hash(pc) == hash(Postcode("SW1A", "1AA"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        pc.outward = "B66"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "area", "sector", "compact"),
    [("B66 1AA", "B", "B66 1", "B661AA"), ("SW1A 1AA", "SW", "SW1A 1", "SW1A1AA"), ("M1 1AE", "M", "M1 1", "M11AE")],
)
def test_postcode_parts(text: str, area: str, sector: str, compact: str) -> None:
    pc = parse_postcode(text)
    assert (pc.area, pc.sector, pc.compact, pc.outcode) == (area, sector, compact, pc.outward)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_postcode_message(text: str) -> None:
    with pytest.raises(PostcodeError) as err:
        parse_postcode(text)
    assert err.value.message == MSG_EMPTY == "Enter a postcode"
    assert str(err.value) == MSG_EMPTY


@pytest.mark.parametrize("text", ["B66", "b66", "SW1A", "M1", "B66 1", "B66 1A", "b661a", "EC1A 1"])
def test_incomplete_postcode_message(text: str) -> None:
    with pytest.raises(PostcodeError) as err:
        parse_postcode(text)
    assert err.value.message == MSG_INCOMPLETE == "Enter a full UK postcode, like B66 1AA"


@pytest.mark.parametrize(
    "text",
    [
        "B",  # area only
        "66 1AA",  # no area
        "B66 AAA",  # inward must start with a digit
        "B66 11A",  # inward ends with two letters
        "B66 1AA1",  # too long
        "ABC1 1AA",  # three-letter area
        "NPT 0AD",  # retired Newport form
        "B666 1AA",  # three-digit district
        "B66-1AA",  # punctuation
        "B66 1ÄA",  # non-ASCII letter
        "B66 1AA; DROP TABLE",
        "Smethwick",
        "x" * 200,
        "12345",
    ],
)
def test_invalid_postcode_message(text: str) -> None:
    with pytest.raises(PostcodeError) as err:
        parse_postcode(text)
    assert err.value.message == MSG_INVALID == "Enter a real postcode, like B66 1AA"


@pytest.mark.parametrize("text", ["BFPO 123", "bfpo123", "BFPO 1"])
def test_bfpo_is_rejected_clearly(text: str) -> None:
    with pytest.raises(PostcodeError) as err:
        parse_postcode(text)
    assert err.value.message == MSG_BFPO == "Enter a UK postcode, not a BFPO number"


def test_postcode_error_is_a_value_error() -> None:
    assert issubclass(PostcodeError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B66", "B66"),
        ("b66", "B66"),
        (" sw1a ", "SW1A"),
        ("M1", "M1"),
        ("W1A", "W1A"),
        ("EC1A", "EC1A"),
        ("DN55", "DN55"),
    ],
)
def test_parse_outcode(text: str, expected: str) -> None:
    assert parse_outcode(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", MSG_OUTCODE_EMPTY),
        ("  ", MSG_OUTCODE_EMPTY),
        ("B66 1AA", MSG_OUTCODE_INVALID),
        ("B", MSG_OUTCODE_INVALID),
        ("B666", MSG_OUTCODE_INVALID),
        ("66", MSG_OUTCODE_INVALID),
        ("Dudley", MSG_OUTCODE_INVALID),
        ("BFPO", MSG_BFPO),
    ],
)
def test_parse_outcode_messages(text: str, message: str) -> None:
    with pytest.raises(PostcodeError) as err:
        parse_outcode(text)
    assert err.value.message == message


@pytest.mark.parametrize(
    ("text", "postcode", "outcode"),
    [
        ("B66 1AA", True, False),
        ("b661aa", True, False),
        ("B66", False, True),
        ("sw1a", False, True),
        ("B66 1", False, False),
        ("Dudley", False, False),
        ("", False, False),
        ("BFPO 1", False, False),
    ],
)
def test_looks_like(text: str, postcode: bool, outcode: bool) -> None:
    assert looks_like_postcode(text) is postcode
    assert looks_like_outcode(text) is outcode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B1  1AA", "B1 1AA"),
        ("B661AA", "B66 1AA"),
        ("sw1a 1aa", "SW1A 1AA"),
        ("GIR 0AA", "GIR 0AA"),
        ("NPT 0AD", None),
        ("x", None),
    ],
)
def test_normalise_postcode_for_bulk_loads(text: str, expected: str | None) -> None:
    # ONSPD's pcd7 pads the outward code to four characters ("B1  1AA").
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("B66 1", "B66"), ("B66 1AA", "B66"), ("b661aa", "B66"), ("B66", "B66"), ("Dudley", None)]
)
def test_split_outward(text: str, expected: str | None) -> None:
    assert split_outward(text) == expected
