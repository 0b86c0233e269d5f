"""domain/listing_holds.py: suspending, archiving and reinstating a listing, each with a reason and an audit entry."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import listing_holds
from microdir.domain.moderation import ModerationError
from microdir.extensions import db
from microdir.models import AuditEvent, ListingStatus, Role
from tests import factories


def test_suspend_then_reinstate(app_ctx: Any, smtpd: Any) -> None:
    service = factories.create_service(name="Tea Dance")
    moderator = factories.create_user(Role.MODERATOR)
    db.session.refresh(moderator)  # loaded, as the signed-in moderator is in a request
    hold = listing_holds.suspend(service, moderator, "  The hall is closed  ")
    assert service.listing_status is ListingStatus.SUSPENDED and hold.reason == "The hall is closed"
    assert listing_holds.current_hold(service) is hold
    listing_holds.reinstate(service, moderator)
    db.session.commit()
    assert service.listing_status is ListingStatus.PUBLISHED and listing_holds.current_hold(service) is None
    actions = db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["listing.suspend", "listing.reinstate"]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_hold_needs_a_reason(app_ctx: Any, reason: str | None) -> None:
    service = factories.create_service()
    with pytest.raises(ModerationError, match="Enter why you are suspending"):
        listing_holds.suspend(service, factories.create_user(Role.MODERATOR), reason)


def test_only_a_published_listing_is_suspended_and_only_a_held_one_reinstated(app_ctx: Any) -> None:
    moderator = factories.create_user(Role.MODERATOR)
    draft = factories.create_service(listing_status=ListingStatus.DRAFT)
    with pytest.raises(ModerationError, match="Only a published listing"):
        listing_holds.suspend(draft, moderator, "Wrong")
    with pytest.raises(ModerationError, match="Only a suspended or archived listing"):
        listing_holds.reinstate(factories.create_service(), moderator)
