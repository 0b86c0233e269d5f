"""Jobs that keep listings fresh: stale-listing chasing, quality-check expiry and reminders, purges.

Each is idempotent: what was sent or done is recorded (``models/upkeep.py``) in the same commit, so running a
job twice sends nothing new.
"""

from __future__ import annotations

from ..domain import upkeep
from .registry import register_job


def chase_stale_listings() -> str:
    return str(upkeep.chase_stale_listings())


def remind_expiring_quality_checks() -> str:
    return f"{upkeep.remind_expiring_quality_checks()} reminded"


def expire_quality_checks() -> str:
    return f"{upkeep.expire_quality_checks()} expired"


def purge_archived_listings() -> str:
    return str(upkeep.purge_archived_listings())


register_job("listings.chase_stale", chase_stale_listings)
register_job("quality_checks.remind_expiring", remind_expiring_quality_checks)
register_job("quality_checks.expire", expire_quality_checks)
register_job("listings.purge_archived", purge_archived_listings)
