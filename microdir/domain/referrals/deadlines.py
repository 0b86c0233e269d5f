"""Deadlines in working days (weekends and the region's bank holidays do not count) and in calendar months."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import holidays
from flask import current_app

from ...models import Referral, utcnow
from .states import S


def is_working_day(day: date, region: str) -> bool:
    """Monday to Friday, and not a bank holiday in ``region`` (a UK nation code; "" counts weekends only)."""
    return day.weekday() < 5 and not (region and day in _bank_holidays(region, day.year))


@functools.lru_cache(maxsize=32)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=region, years=year))


def working_days_before(moment: datetime, days: int, region: str | None = None) -> datetime:
    """Return the time ``days`` working days before ``moment``; ``region`` defaults to BANK_HOLIDAYS_REGION.

    Steps back a day at a time, counting the step when the day it leaves is a working day: so the hours of a
    bank holiday or a weekend never count, even when ``moment`` falls on one.
    """
    region = current_app.config["BANK_HOLIDAYS_REGION"] if region is None else region
    current = moment
    remaining = days
    while remaining > 0:
        if is_working_day(current.date(), region):
            remaining -= 1
        current -= timedelta(days=1)
    return current


def overdue_cutoff(now: datetime | None = None) -> datetime:
    """Return the time before which a still-unanswered sent referral is overdue."""
    return working_days_before(now or utcnow(), int(current_app.config["REFERRAL_OVERDUE_WORKING_DAYS"]))


def is_overdue(referral: Referral, now: datetime | None = None) -> bool:
    return referral.status is S.SENT and referral.sent_at is not None and referral.sent_at < overdue_cutoff(now)


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same time ``months`` calendar months earlier (the last day of a shorter month when needed)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))
