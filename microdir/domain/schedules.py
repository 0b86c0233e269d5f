"""Schedules: weekday codes, iCalendar BYDAY rules, the editor's rows, times people type, and schedules in words.

A ``Schedule`` row stores an iCalendar-like rule (freq, interval, byday, dtstart); the provider's editor works in
simpler rows (weekly, fortnightly, monthly on a set weekday, one date); residents read both as sentences. All three
shapes, and the conversions between them, live here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule, weekday

from ..models import Schedule, Service
from ..wording import format_day_date, format_time, join_words

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAYS: dict[str, weekday] = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}
DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
             "SA": "Saturday", "SU": "Sunday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}
BYDAY_TOKEN = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")

SCHEDULE_KINDS: dict[str, str] = {
    "weekly": "Every week",
    "fortnightly": "Every other week",
    "monthly": "Once a month, on a set weekday (for example, the second Tuesday)",
    "one_off": "On one date only",
}
WEEKS_OF_MONTH = {1: "First", 2: "Second", 3: "Third", 4: "Fourth", -1: "Last"}

# ---- rules and sessions -------------------------------------------------------------------------------------------

def time_range(schedule: Schedule) -> str:
    """Return "10am to midday" (or just the start) for a schedule, or "" when no times are given."""
    if schedule.opens_at and schedule.closes_at:
        return f"{format_time(schedule.opens_at)} to {format_time(schedule.closes_at)}"
    if schedule.opens_at:
        return f"from {format_time(schedule.opens_at)}"
    return ""


def parse_byday(byday: str | None) -> list[tuple[int | None, str]]:
    """Split "MO,2TU,-1FR" into [(None, "MO"), (2, "TU"), (-1, "FR")]; ignore tokens that are not valid."""
    result: list[tuple[int | None, str]] = []
    for token in (byday or "").upper().replace(" ", "").split(","):
        match = BYDAY_TOKEN.match(token)
        if match:
            result.append((int(match.group(1)) if match.group(1) else None, match.group(2)))
    return result


def schedule_in_words(schedule: Schedule) -> str:
    """Describe when a schedule runs: "Every Tuesday, 10am to midday", "On the last Friday of each month"."""
    days = parse_byday(schedule.byday)
    freq = (schedule.freq or "").upper()
    interval = schedule.interval or 1
    if not freq:
        when = f"On {format_day_date(schedule.dtstart)} only" if schedule.dtstart else "Ask the service when"
    elif freq == "WEEKLY":
        names = join_words([DAY_NAMES[code] for _, code in days]) or "week"
        if interval == 1:
            when = f"Every {names}"
        elif interval == 2:
            when = f"Every other {names}"
        else:
            when = f"Every {interval} weeks on {names}"
    elif freq == "MONTHLY":
        if days:
            parts = [f"{ORDINALS.get(n or 1, f'{n}th')} {DAY_NAMES[code]}" for n, code in days]
            when = f"On the {join_words(parts)} of each month"
        elif schedule.bymonthday:
            when = f"On day {schedule.bymonthday} of each month"
        else:
            when = "Once a month"
        if interval == 2:
            when = when.replace("each month", "every other month")
    elif freq == "DAILY":
        when = "Every day"
    else:
        when = schedule.description or "Ask the service when"
    span = time_range(schedule)
    text = f"{when}, {span}" if span else when
    if schedule.term_time_only:
        text += " (term time only)"
    return text


def _rule(schedule: Schedule, anchor: date) -> rrule | None:
    """Build the recurrence for a schedule, or None for a one-off or an unreadable schedule."""
    freq = (schedule.freq or "").upper()
    if freq not in ("WEEKLY", "MONTHLY"):
        return None
    start_time = schedule.opens_at or time(0, 0)
    # dtstart fixes which week a fortnightly session falls in; without one, any past date will do.
    first = schedule.dtstart or schedule.valid_from or anchor
    kwargs: dict[str, Any] = {
        "dtstart": datetime.combine(first, start_time),
        "interval": max(1, schedule.interval or 1),
    }
    days = parse_byday(schedule.byday)
    if days:
        kwargs["byweekday"] = [WEEKDAYS[code](n) if n else WEEKDAYS[code] for n, code in days]
    elif freq == "MONTHLY" and schedule.bymonthday:
        try:
            kwargs["bymonthday"] = [int(x) for x in schedule.bymonthday.split(",")]
        except ValueError:
            return None
    last_day = min((d for d in (schedule.until, schedule.valid_to) if d is not None), default=None)
    if last_day is not None:
        kwargs["until"] = datetime.combine(last_day, time.max)
    elif schedule.count:
        kwargs["count"] = schedule.count
    return rrule(WEEKLY if freq == "WEEKLY" else MONTHLY, **kwargs)


def next_sessions(schedule: Schedule, now: datetime, count: int = 3) -> list[datetime]:
    """Return the next ``count`` start times of a schedule at or after ``now`` (local wall-clock time)."""
    freq = (schedule.freq or "").upper()
    start_time = schedule.opens_at or time(0, 0)
    if not freq:
        if schedule.dtstart is None:
            return []
        moment = datetime.combine(schedule.dtstart, start_time)
        return [moment] if moment >= now else []
    rule = _rule(schedule, now.date() - timedelta(days=7))
    if rule is None:
        return []
    after = now
    if schedule.valid_from and datetime.combine(schedule.valid_from, time(0)) > after:
        after = datetime.combine(schedule.valid_from, time(0))
    return list(rule.xafter(after, count=count, inc=True))


def service_next_sessions(service: Service, now: datetime, count: int = 3) -> list[datetime]:
    """Return the next ``count`` sessions across all of a service's schedules, soonest first."""
    found: set[datetime] = set()
    for schedule in service.schedules:
        found.update(next_sessions(schedule, now, count))
    return sorted(found)[:count]



# ---- the editor's rows ----------------------------------------------------------------------------------------------

def time_text(moment: time | None) -> str | None:
    """Return a stored time as the editor's "HH:MM", or None."""
    return None if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


def schedule_rows(schedule: Schedule) -> list[dict[str, Any]]:
    """Turn one stored schedule into the editor's shape (one row per weekday); unusual rules are kept as "other"."""
    common = {"opens_at": time_text(schedule.opens_at), "closes_at": time_text(schedule.closes_at),
              "term_time_only": bool(schedule.term_time_only)}
    freq = (schedule.freq or "").upper()
    interval = schedule.interval or 1
    days = parse_byday(schedule.byday)
    blank = {"weekday": None, "week": None, "date": None}
    if not freq and schedule.dtstart is not None:
        return [{"kind": "one_off", **blank, "date": schedule.dtstart.isoformat(), **common}]
    if freq == "WEEKLY" and days and all(n is None for n, _ in days) and interval == 1:
        return [{"kind": "weekly", **blank, "weekday": code, **common} for _, code in days]
    if freq == "WEEKLY" and len(days) == 1 and days[0][0] is None and interval == 2 and schedule.dtstart:
        return [{"kind": "fortnightly", **blank, "weekday": days[0][1], "date": schedule.dtstart.isoformat(), **common}]
    if freq == "MONTHLY" and days and interval == 1 and all(n in WEEKS_OF_MONTH for n, _ in days):
        return [{"kind": "monthly", **blank, "weekday": code, "week": n, **common} for n, code in days]
    # A rule the editor cannot show field by field (imported data): keep it whole so nothing is lost.
    raw = {
        "freq": schedule.freq, "interval": schedule.interval, "byday": schedule.byday,
        "bymonthday": schedule.bymonthday, "dtstart": schedule.dtstart.isoformat() if schedule.dtstart else None,
        "description": schedule.description,
    }
    return [{"kind": "other", **blank, **common, "raw": raw}]


def schedule_sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Order editor rows by kind, date, week, weekday and times, so equal schedules compare equal."""
    kinds = [*SCHEDULE_KINDS, "other"]
    weekday = WEEKDAY_CODES.index(row["weekday"]) if row.get("weekday") in WEEKDAY_CODES else 9
    return (kinds.index(row["kind"]) if row["kind"] in kinds else 9, row.get("date") or "",
            row.get("week") if row.get("week") is not None else 0, weekday,
            row.get("opens_at") or "", row.get("closes_at") or "", str(row.get("raw") or ""))


def in_running_order(schedules: list[Schedule]) -> list[Schedule]:
    """Return a listing's schedules in the order people read them: weekly, fortnightly, monthly, one-off, then by
    weekday and time (the editor's order). Stored schedules have no order of their own: PostgreSQL returned them in
    whatever order the table's pages held them, which changed from run to run."""
    return sorted(schedules, key=lambda s: (min(schedule_sort_key(r) for r in schedule_rows(s)), s.id or ""))


def normal_schedule(row: dict[str, Any]) -> dict[str, Any]:
    """Return an editor row with every key present and only the keys its kind uses filled."""
    kind = row.get("kind") or "weekly"
    result = {
        "kind": kind,
        "weekday": row.get("weekday") or None,
        "week": int(row["week"]) if kind == "monthly" and row.get("week") is not None else None,
        "date": row.get("date") if kind in ("fortnightly", "one_off") else None,
        "opens_at": row.get("opens_at") or None,
        "closes_at": row.get("closes_at") or None,
        "term_time_only": bool(row.get("term_time_only")),
    }
    if kind == "one_off":
        result["weekday"] = None
    if kind == "other":
        result["raw"] = row.get("raw") or {}
    return result


def parse_time(text: str | None) -> time | None:
    """Turn a stored "HH:MM" into a time (None stays None)."""
    if not text:
        return None
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


def schedule_from_row(row: dict[str, Any]) -> Schedule:
    """Build an (unsaved) Schedule from one editor row, in the iCalendar shape the model documents."""
    row = normal_schedule(row)
    schedule = Schedule(opens_at=parse_time(row["opens_at"]), closes_at=parse_time(row["closes_at"]),
                        term_time_only=row["term_time_only"])
    kind = row["kind"]
    if kind == "weekly":
        schedule.freq, schedule.interval, schedule.byday = "WEEKLY", 1, row["weekday"]
    elif kind == "fortnightly":
        first = date.fromisoformat(row["date"])
        # dtstart fixes which week the sessions fall in.
        schedule.freq, schedule.interval, schedule.byday, schedule.dtstart = "WEEKLY", 2, row["weekday"], first
    elif kind == "monthly":
        schedule.freq, schedule.interval, schedule.byday = "MONTHLY", 1, f"{row['week']}{row['weekday']}"
    elif kind == "one_off":
        day = date.fromisoformat(row["date"])
        schedule.dtstart = schedule.valid_from = schedule.valid_to = day
    else:
        raw = row.get("raw") or {}
        schedule.freq, schedule.interval, schedule.byday = raw.get("freq"), raw.get("interval"), raw.get("byday")
        schedule.bymonthday, schedule.description = raw.get("bymonthday"), raw.get("description")
        schedule.dtstart = date.fromisoformat(raw["dtstart"]) if raw.get("dtstart") else None
    return schedule


def schedule_text(row: dict[str, Any]) -> str:
    """Say when one editor row runs, in the same words residents see on the listing page."""
    return schedule_in_words(schedule_from_row(row))


# ---- times people type --------------------------------------------------------------------------------------------

_TIME_RE = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time_text(text: str) -> str:
    """Turn "10am", "2:30pm", "14:30", "midday" into "HH:MM"; raise ValueError when it is not a time."""
    words = (text or "").strip().lower().replace(" ", "")
    if words in ("midday", "noon", "12noon"):
        return "12:00"
    if words == "midnight":
        return "00:00"
    match = _TIME_RE.match(words)
    if not match:
        raise ValueError(text)
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError(text)
    return f"{hour:02d}:{minute:02d}"


def time_words(value: str | None) -> str:
    """Show a stored "14:30" the way people type it ("2:30pm")."""
    if not value:
        return ""
    hour, minute = (int(x) for x in value.split(":"))
    return format_time(time(hour, minute))
