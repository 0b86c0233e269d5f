"""Relevance on fixture listings: stems, typos, synonyms (seeded and added by a moderator), phrases."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.search import SearchRequest, search_services
from tests import factories


def ids(results: Any) -> list[str]:
    return [h.service_id for h in results.hits]


@pytest.fixture
def listings(ctx: Any) -> dict[str, str]:
    walking = factories.create_service(
        name="Smethwick Strollers walking group",
        description="A gentle walking group for older people around the park, every Tuesday.",
        categories=("wellbeing-health",), needs=("physical-activity",))
    dementia = factories.create_service(
        name="Memory Lane Cafe",
        description="A dementia cafe where people living with dementia and their carers meet over tea.",
        categories=("drop-ins-lunch-clubs",), needs=("dementia",))
    befriending = factories.create_service(
        name="Good Neighbours",
        description="Befriending visits at home for people who feel lonely.",
        categories=("friendship",), needs=("loneliness",))
    transport = factories.create_service(
        name="Dial a Ride Sandwell",
        description="Community transport minibus to hospital appointments and the shops.",
        categories=("transport",), needs=("older-people",))
    breaks = factories.create_service(
        name="Weekend Getaways",
        description="Short breaks at the seaside for carers and the person they care for.",
        categories=("short-breaks",), needs=("carers",))
    choir = factories.create_service(
        name="Café Chorus",
        description="A singing group: hospital transport is not provided, but the bus stops outside.",
        categories=("leisure-arts",), needs=("mental-health",))
    return {"walking": walking.id, "dementia": dementia.id, "befriending": befriending.id,
            "transport": transport.id, "breaks": breaks.id, "choir": choir.id}


def test_stemming_finds_walks_in_a_walking_group(listings: dict[str, str]) -> None:
    results = search_services(SearchRequest(text="walks"))
    assert ids(results)[0] == listings["walking"]


@pytest.mark.parametrize("typo,key,fixed", [
    ("demntia", "dementia", "dementia"),
    ("befreinding", "befriending", "befriending"),
    ("transprot", "transport", "transport"),
])
def test_typos_still_find_the_listing_and_say_what_was_meant(listings: dict[str, str], typo: str, key: str,
                                                            fixed: str) -> None:
    results = search_services(SearchRequest(text=typo))
    assert listings[key] in ids(results)
    assert results.corrected_terms == {typo: fixed}
    assert results.suggestion == fixed


def test_did_you_mean_when_nothing_matches(listings: dict[str, str]) -> None:
    results = search_services(SearchRequest(text="dementia cafr"))
    assert results.suggestion == "dementia cafe"


@pytest.mark.parametrize("text,key", [
    ("someone to talk to", "befriending"),
    ("lonely", "befriending"),
    ("a lift to the hospital", "transport"),
    ("respite", "breaks"),
    ("alzheimer's", "dementia"),
    ("memory", "dementia"),
])
def test_seeded_synonyms_apply_at_query_time(listings: dict[str, str], text: str, key: str) -> None:
    assert listings[key] in ids(search_services(SearchRequest(text=text)))


def test_accents_are_folded(listings: dict[str, str]) -> None:
    assert listings["choir"] in ids(search_services(SearchRequest(text="cafe chorus")))
    assert listings["dementia"] in ids(search_services(SearchRequest(text="memory lane café")))


def test_quoted_phrase_needs_the_words_together(listings: dict[str, str]) -> None:
    loose = ids(search_services(SearchRequest(text="hospital transport")))
    assert {listings["transport"], listings["choir"]} <= set(loose)
    phrase = ids(search_services(SearchRequest(text='"hospital transport"')))
    assert phrase == [listings["choir"]]
    with_stop_word = ids(search_services(SearchRequest(text='"minibus to hospital"')))
    assert with_stop_word == [listings["transport"]]


def test_name_matches_rank_above_description_matches(ctx: Any) -> None:
    in_description = factories.create_service(name="Tuesday Club", description="Includes a gardening session.")
    in_name = factories.create_service(name="Gardening Club", description="Come and grow vegetables.")
    assert ids(search_services(SearchRequest(text="gardening")))[:2] == [in_name.id, in_description.id]


def test_words_are_combined_with_and(listings: dict[str, str]) -> None:
    assert ids(search_services(SearchRequest(text="dementia seaside"))) == []
    assert ids(search_services(SearchRequest(text="seaside carers"))) == [listings["breaks"]]
