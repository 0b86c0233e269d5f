"""domain/listings.py: the listing lifecycle is one table; every status has its moves, and nothing else moves."""

from __future__ import annotations

from datetime import datetime

import pytest

from microdir.domain.listings import LISTING_TRANSITIONS, ListingTransitionError, transition_listing
from microdir.models import ListingStatus, Service

NOW = datetime(2026, 3, 4, 9, 0)


def test_every_status_has_its_moves_and_none_stays_put() -> None:
    assert set(LISTING_TRANSITIONS) == set(ListingStatus)
    assert all(status not in moves for status, moves in LISTING_TRANSITIONS.items())


def test_publishing_stamps_the_first_publication_once() -> None:
    service = Service(listing_status=ListingStatus.PENDING_REVIEW)
    assert transition_listing(service, ListingStatus.PUBLISHED, NOW) is ListingStatus.PENDING_REVIEW
    assert service.listing_status is ListingStatus.PUBLISHED and service.first_published_at == NOW
    transition_listing(service, ListingStatus.SUSPENDED, NOW)
    transition_listing(service, ListingStatus.PUBLISHED, datetime(2027, 1, 1))
    assert service.first_published_at == NOW


@pytest.mark.parametrize(
    ("start", "to"),
    [(ListingStatus.DRAFT, ListingStatus.PUBLISHED), (ListingStatus.ARCHIVED, ListingStatus.SUSPENDED),
     (ListingStatus.PUBLISHED, ListingStatus.DRAFT), (ListingStatus.SUSPENDED, ListingStatus.PENDING_REVIEW)],
)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(start: ListingStatus, to: ListingStatus) -> None:
    service = Service(listing_status=start)
    with pytest.raises(ListingTransitionError):
        transition_listing(service, to, NOW)
    assert service.listing_status is start
