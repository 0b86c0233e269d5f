"""domain/registration.py: safe return addresses, and a draft goes to moderators only with its tasks done."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import registration
from microdir.models import ListingStatus, Role
from tests import factories


@pytest.mark.parametrize(
    ("target", "kept"),
    [("/provider/listings", True), ("//evil.example/x", False), ("https://evil.example/", False),
     ("provider", False), (None, False), ("", False)],
)
def test_safe_next_keeps_only_paths_on_this_site(target: str | None, kept: bool) -> None:
    assert registration.safe_next(target) == (target if kept else None)


def test_a_draft_with_tasks_left_is_not_submitted(app_ctx: Any) -> None:
    provider = factories.create_user(Role.PROVIDER)
    service = factories.create_service(listing_status=ListingStatus.DRAFT)
    missing = registration.incomplete_tasks(service)
    assert missing, "a bare draft has tasks left"
    with pytest.raises(registration.RegistrationError, match="Complete these sections before you submit"):
        registration.submit_listing(service, provider, expected_version=service.version)
    assert service.listing_status is ListingStatus.DRAFT
