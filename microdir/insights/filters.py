"""The period and area pickers: read from the query string, never trusted, always answered with a valid choice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from ..models import utcnow

PERIODS = {"4w": ("Last 4 weeks", 28), "quarter": ("Last quarter (13 weeks)", 91), "year": ("Last year", 364),
           "custom": ("Custom dates", 0)}
DEFAULT_PERIOD = "quarter"
MAX_DAYS = 3 * 366
OUTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
LAD = re.compile(r"^[A-Z][0-9]{8}$")


@dataclass
class Filters:
    period: str
    start: date
    end: date  # inclusive
    area: str = ""  # "" (everywhere), "lad:<code>" or "pc:<outcode>"
    errors: dict[str, str] = field(default_factory=dict)
    # The custom dates' day, month and year boxes as typed (or as a link's ISO date gave them), to show back.
    from_parts: dict[str, str] = field(default_factory=dict)
    to_parts: dict[str, str] = field(default_factory=dict)
    raw_district: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """Return the same length of time just before this period, for "change on the previous period"."""
        end = self.start - timedelta(days=1)
        return Filters(self.period, end - timedelta(days=self.days - 1), end, self.area)

    @property
    def lad_code(self) -> str | None:
        return self.area[4:] if self.area.startswith("lad:") else None

    @property
    def outcode(self) -> str | None:
        return self.area[3:] if self.area.startswith("pc:") else None

    def query(self, **extra: str) -> dict[str, str]:
        """Return the query-string arguments that give these filters back (for links and CSV downloads)."""
        args = {"period": self.period}
        if self.period == "custom":
            args["from"], args["to"] = self.start.isoformat(), self.end.isoformat()
        if self.lad_code:
            args["council"] = self.lad_code
        if self.outcode:
            args["district"] = self.outcode
        args.update(extra)
        return args

    def query_string(self, **extra: str) -> str:
        return urlencode(self.query(**extra))

    def describe(self, area_name: str) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}, {area_name}"


DATE_PARTS = ("day", "month", "year")


def _date_parts(args: Mapping[str, str], name: str) -> dict[str, str]:
    """Return the day, month and year of the custom date ``name`` ("from" or "to"): the three boxes of the form
    (``from-day``, ``from-month``, ``from-year``), or, when they are all empty, a link's ISO date (``from=2026-03-01``,
    what the pages' own links and downloads carry) split into them."""
    parts = {part: (args.get(f"{name}-{part}") or "").strip()[:10] for part in DATE_PARTS}
    if any(parts.values()):
        return parts
    iso = (args.get(name) or "").strip()[:20]
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return parts  # not a date: the error asks for one in the (empty) boxes
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


def _date(parts: Mapping[str, str]) -> date | None:
    """Return the date the boxes give, or None unless they are a real date with a four-digit year."""
    day, month, year = (parts.get(part, "") for part in DATE_PARTS)
    if not (day.isdecimal() and month.isdecimal() and year.isdecimal() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_filters(args: Mapping[str, str], today: date | None = None) -> Filters:
    """Read ``period``, the custom dates (``from``/``to`` or their day, month and year boxes), ``council`` and
    ``district``; errors are kept for the error summary."""
    today = today or utcnow().date()
    errors: dict[str, str] = {}
    period = args.get("period", DEFAULT_PERIOD)
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    from_parts, to_parts = _date_parts(args, "from"), _date_parts(args, "to")
    if period == "custom":
        start, end = _date(from_parts), _date(to_parts)
        if start is None:
            errors["from"] = "Enter the start date as a real date, for example 1 4 2026"
        if end is None:
            errors["to"] = "Enter the end date as a real date, for example 30 6 2026"
        if start and end and start > end:
            errors["to"] = "The end date must be the same as or after the start date"
        elif start and end and (end - start).days > MAX_DAYS:
            errors["to"] = "Choose dates no more than 3 years apart"
        if errors or start is None or end is None:
            period = "custom"
            end = today
            start = today - timedelta(days=PERIODS[DEFAULT_PERIOD][1] - 1)
    else:
        end = today
        start = today - timedelta(days=PERIODS[period][1] - 1)
    area = ""
    council = (args.get("council") or "").strip().upper()
    district = re.sub(r"\s+", "", (args.get("district") or "")).upper()[:10]
    if district:
        if OUTCODE.match(district):
            area = f"pc:{district}"
        else:
            errors["district"] = "Enter a postcode district, like B66 or WS1, or leave it blank"
    elif council:
        if LAD.match(council):
            area = f"lad:{council}"
        else:
            errors["council"] = "Select a council from the list"
    return Filters(period, start, end, area, errors, from_parts, to_parts, district)
