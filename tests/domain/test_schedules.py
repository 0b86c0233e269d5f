"""Schedules: when sessions fall and how they read, worked out from rules with fixed dates (no database needed)."""

from __future__ import annotations

from datetime import date, datetime, time

from microdir.domain.schedules import next_sessions, schedule_in_words
from microdir.models import Schedule

# Wednesday 4 March 2026, 9am
NOW = datetime(2026, 3, 4, 9, 0)


def starts(schedule: Schedule, now: datetime = NOW, count: int = 3) -> list[datetime]:
    return next_sessions(schedule, now, count)


def test_weekly_sessions_are_the_next_three_of_that_weekday() -> None:
    schedule = Schedule(freq="WEEKLY", interval=1, byday="TU", opens_at=time(10), closes_at=time(12))
    assert starts(schedule) == [datetime(2026, 3, 10, 10), datetime(2026, 3, 17, 10), datetime(2026, 3, 24, 10)]
    assert schedule_in_words(schedule) == "Every Tuesday, 10am to midday"


def test_a_session_later_today_is_the_next_one_but_not_one_that_has_started() -> None:
    schedule = Schedule(freq="WEEKLY", interval=1, byday="WE", opens_at=time(13, 30))
    assert starts(schedule, count=1) == [datetime(2026, 3, 4, 13, 30)]
    assert starts(schedule, datetime(2026, 3, 4, 14, 0), count=1) == [datetime(2026, 3, 11, 13, 30)]


def test_fortnightly_sessions_keep_to_the_week_dtstart_fixes() -> None:
    schedule = Schedule(freq="WEEKLY", interval=2, byday="TH", dtstart=date(2026, 2, 26), opens_at=time(14))
    assert starts(schedule) == [datetime(2026, 3, 12, 14), datetime(2026, 3, 26, 14), datetime(2026, 4, 9, 14)]
    other_week = Schedule(freq="WEEKLY", interval=2, byday="TH", dtstart=date(2026, 3, 5), opens_at=time(14))
    assert starts(other_week)[0] == datetime(2026, 3, 5, 14)
    assert schedule_in_words(schedule) == "Every other Thursday, from 2pm"


def test_monthly_on_the_second_tuesday() -> None:
    schedule = Schedule(freq="MONTHLY", interval=1, byday="2TU", opens_at=time(10, 30), closes_at=time(12))
    assert starts(schedule) == [datetime(2026, 3, 10, 10, 30), datetime(2026, 4, 14, 10, 30),
                                datetime(2026, 5, 12, 10, 30)]
    assert schedule_in_words(schedule) == "On the second Tuesday of each month, 10:30am to midday"


def test_monthly_on_the_last_friday() -> None:
    schedule = Schedule(freq="MONTHLY", interval=1, byday="-1FR", opens_at=time(18), closes_at=time(20))
    assert starts(schedule) == [datetime(2026, 3, 27, 18), datetime(2026, 4, 24, 18), datetime(2026, 5, 29, 18)]
    assert schedule_in_words(schedule) == "On the last Friday of each month, 6pm to 8pm"


def test_one_off_session_shows_until_it_has_happened() -> None:
    schedule = Schedule(freq=None, dtstart=date(2026, 3, 21), valid_from=date(2026, 3, 21),
                        valid_to=date(2026, 3, 21), opens_at=time(11))
    assert starts(schedule) == [datetime(2026, 3, 21, 11)]
    assert starts(schedule, datetime(2026, 3, 22)) == []
    assert schedule_in_words(schedule) == "On Saturday 21 March 2026 only, from 11am"


def test_sessions_stop_at_until_and_wait_for_valid_from() -> None:
    ending = Schedule(freq="WEEKLY", interval=1, byday="TU", until=date(2026, 3, 17), opens_at=time(10))
    assert starts(ending) == [datetime(2026, 3, 10, 10), datetime(2026, 3, 17, 10)]
    later = Schedule(freq="WEEKLY", interval=1, byday="MO", valid_from=date(2026, 4, 1), opens_at=time(10))
    assert starts(later)[0] == datetime(2026, 4, 6, 10)


def test_several_days_a_week_and_term_time() -> None:
    schedule = Schedule(freq="WEEKLY", interval=1, byday="MO,WE,FR", opens_at=time(9), term_time_only=True)
    assert starts(schedule) == [datetime(2026, 3, 4, 9), datetime(2026, 3, 6, 9), datetime(2026, 3, 9, 9)]
    assert schedule_in_words(schedule) == "Every Monday, Wednesday and Friday, from 9am (term time only)"


def test_an_unreadable_schedule_gives_no_dates_rather_than_an_error() -> None:
    assert starts(Schedule(freq="MONTHLY", bymonthday="first")) == []
    assert starts(Schedule(freq="YEARLY")) == []
    assert starts(Schedule(freq=None, dtstart=None)) == []
