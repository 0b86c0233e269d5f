"""The shared words of pages and emails: times and dates the GOV.UK way."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from microdir.wording import format_date, format_day_date, format_time, session_in_words


@pytest.mark.parametrize(
    ("moment", "words"),
    [(time(0), "midnight"), (time(12), "midday"), (time(9), "9am"), (time(13, 5), "1:05pm"), (time(23, 30), "11:30pm")],
)
def test_times_the_govuk_way(moment: time, words: str) -> None:
    assert format_time(moment) == words


def test_session_in_words() -> None:
    assert session_in_words(datetime(2026, 3, 10, 10)) == "Tuesday 10 March 2026 at 10am"


def test_dates_the_govuk_way_from_a_date_or_a_datetime() -> None:
    assert format_date(date(2026, 3, 3)) == "3 March 2026"
    assert format_date(datetime(2026, 11, 24, 17, 5)) == "24 November 2026"
    assert format_day_date(date(2026, 3, 3)) == "Tuesday 3 March 2026"
