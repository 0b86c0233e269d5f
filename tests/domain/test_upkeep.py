"""domain/upkeep.py: listings hidden by the clock reach the search index through the change log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from microdir.domain import upkeep
from microdir.extensions import db
from microdir.models import ChaseStage, DirectoryChange, ListingReminder, utcnow
from tests import factories


def _log_rows(service_id: str) -> list[DirectoryChange]:
    return list(db.session.scalars(select(DirectoryChange).where(DirectoryChange.service_id == service_id)
                                   .order_by(DirectoryChange.id)))


def test_a_listing_past_the_hiding_point_gets_one_change_log_row_and_no_email(app_ctx: Any, smtpd: Any) -> None:
    now = utcnow()
    stale = factories.create_service(name="Old Club", last_verified_at=now - timedelta(days=400))
    fresh = factories.create_service(name="New Club", last_verified_at=now - timedelta(days=10))
    before = len(_log_rows(stale.id))

    assert upkeep.hide_stale_listings(now) == 1
    db.session.commit()

    rows = _log_rows(stale.id)
    assert len(rows) == before + 1 and rows[-1].operation == "upsert" and rows[-1].at == now
    assert db.session.scalar(select(ListingReminder.stage).where(ListingReminder.service_id == stale.id)) \
        is ChaseStage.HIDDEN
    assert db.session.scalar(select(ListingReminder).where(ListingReminder.service_id == fresh.id)) is None
    assert smtpd.messages == []  # hiding tells nobody; the reminders before it did


def test_hiding_is_recorded_once_per_period(app_ctx: Any) -> None:
    now = utcnow()
    stale = factories.create_service(name="Old Club", last_verified_at=now - timedelta(days=400))
    assert upkeep.hide_stale_listings(now) == 1
    db.session.commit()
    rows = len(_log_rows(stale.id))
    assert upkeep.hide_stale_listings(now + timedelta(hours=1)) == 0
    assert len(_log_rows(stale.id)) == rows


def test_the_chase_job_and_hiding_share_one_record(app_ctx: Any) -> None:
    now = utcnow()
    factories.create_service(name="Old Club", last_verified_at=now - timedelta(days=400))
    assert upkeep.hide_stale_listings(now) == 1
    db.session.commit()
    assert upkeep.chase_stale_listings(now).hidden == 0
