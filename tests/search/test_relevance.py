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


def test_words_are_combined_with_and_first(listings: dict[str, str]) -> None:
    results = search_services(SearchRequest(text="seaside carers"))
    assert ids(results)[0] == listings["breaks"]
    assert results.full_matches == 1


def test_when_no_listing_has_every_word_the_words_are_relaxed_and_full_matches_come_first(
        listings: dict[str, str]) -> None:
    results = search_services(SearchRequest(text="dementia seaside"))
    assert results.relaxed and results.full_matches == 0
    assert set(ids(results)) == {listings["dementia"], listings["breaks"]}
    # Before: every word had to match, so one absent word gave nothing at all.
    absent = search_services(SearchRequest(text="dementia knitting"))
    assert ids(absent) == [listings["dementia"]]
    assert absent.missing_words == ["knitting"] and absent.used_words == ["dementia"]


def test_need_free_words_never_sink_a_query(listings: dict[str, str]) -> None:
    for text in ("help with befriending", "befriending support group near me", "someone for befriending classes"):
        results = search_services(SearchRequest(text=text))
        assert ids(results)[:1] == [listings["befriending"]], text
        assert not results.relaxed, text


def test_a_need_word_outweighs_a_common_one(ctx: Any) -> None:
    common = factories.create_service(name="Tuesday Workbench Club", description="Woodwork. We also tidy the garden.")
    meant = factories.create_service(name="Green Fingers", description="Gardening in the garden: we garden together.")
    assert ids(search_services(SearchRequest(text="garden club")))[0] == meant.id
    assert common.id in ids(search_services(SearchRequest(text="garden club")))


def test_a_name_holding_every_word_ranks_first(ctx: Any) -> None:
    mention = factories.create_service(name="Pain Support", description="Carers welcome. A group for people in pain, "
                                                                          "with a carers corner and a carers rota.")
    named = factories.create_service(name="Carers Group", description="A place for carers to meet.")
    assert ids(search_services(SearchRequest(text="carers support group")))[0] == named.id
    assert mention.id in ids(search_services(SearchRequest(text="carers support group")))


@pytest.mark.parametrize("typo,meant", [("befriendign", "befriending"), ("accssible", "accessible"),
                                        ("gardneing", "gardening")])
def test_one_letter_slips_are_corrected_to_the_word_meant(ctx: Any, typo: str, meant: str) -> None:
    listing = factories.create_service(name="Befriending and gardening",
                                       description="An accessible garden; befriending visits too.")
    results = search_services(SearchRequest(text=typo))
    assert results.corrected_terms == {typo: meant}
    assert ids(results) == [listing.id]


def test_hospital_transport_does_not_reach_any_service_with_a_driver(ctx: Any) -> None:
    # Seen on the demo: a holiday club "run by … a volunteer driver and a cook" answered "hospital transport".
    ride = factories.create_service(name="Ring and Ride", description="Community transport to hospital appointments.")
    club = factories.create_service(name="Holiday Club", description="Days out, with a volunteer driver and a cook.")
    found = ids(search_services(SearchRequest(text="hospital transport")))
    assert ride.id in found and club.id not in found
