"""Disclosure control: the one place that decides how a figure may be shown, on screen, in charts and in CSV.

The rule (NHS Digital's HES rule; thresholds are the settings ``INSIGHTS_SUPPRESS_BELOW`` and
``INSIGHTS_ROUND_TO``):

- 0 stays 0;
- 1 to 7 is shown as "fewer than 8" (CSV: the marker ``[c]``, never a number);
- 8 and over is rounded to the nearest 5;
- a rate, share or mean is not shown when its denominator is suppressed (or when its numerator is, since a share
  of a known denominator gives the numerator back);
- totals are summed from the unrounded values and then rounded, so a suppressed cell cannot be worked out by
  subtracting the other cells from the total.

Every figure a page, chart or CSV shows is a ``Figure`` made here; templates print ``figure.text`` and the CSV
writer prints ``figure.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, has_app_context

SUPPRESSED_MARKER = "[c]"
DEFAULT_SUPPRESS_BELOW = 8
DEFAULT_ROUND_TO = 5


@dataclass(frozen=True)
class Rule:
    suppress_below: int = DEFAULT_SUPPRESS_BELOW
    round_to: int = DEFAULT_ROUND_TO

    @property
    def statement(self) -> str:
        """Return the rule in words, for every page."""
        return (
            f"To protect people's privacy, counts from 1 to {self.suppress_below - 1} are shown as "
            f"“fewer than {self.suppress_below}” ({SUPPRESSED_MARKER} in downloads), other counts are rounded to "
            f"the nearest {self.round_to}, and a rate or average is not shown when it rests on a hidden count. "
            f"Totals are worked out before rounding, so they may not equal the sum of the rounded figures."
        )


def rule() -> Rule:
    """Return the deployment's rule (the defaults outside an app)."""
    if not has_app_context():
        return Rule()
    config = current_app.config
    below = int(config.get("INSIGHTS_SUPPRESS_BELOW", DEFAULT_SUPPRESS_BELOW))
    round_to = int(config.get("INSIGHTS_ROUND_TO", DEFAULT_ROUND_TO))
    return Rule(max(1, below), max(1, round_to))


@dataclass(frozen=True)
class Figure:
    """One figure as it may be shown. ``value`` is None when it is hidden; ``raw`` never leaves this module's callers
    except to sort or plot by the shown value (use ``value``)."""

    kind: str  # "count" | "rate" | "mean" | "days" | "text"
    value: float | None
    hidden_text: str = ""  # "fewer than 8", or "not shown" for a rate on a hidden count, or "no data"
    unit: str = ""
    decimals: int = 0

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def text(self) -> str:
        if self.kind == "text":
            return self.hidden_text
        if self.value is None:
            return self.hidden_text
        if self.kind == "count":
            return f"{int(self.value):,}"
        if self.kind == "rate":
            return f"{self.value:.0f}%"
        formatted = f"{self.value:,.{self.decimals}f}"
        if self.kind == "mean" and self.value > 0:
            formatted = "+" + formatted
        return formatted + (f" {self.unit}" if self.unit else "")

    @property
    def csv(self) -> str:
        if self.kind == "text":
            return self.hidden_text
        if self.value is None:
            return SUPPRESSED_MARKER if self.kind == "count" or self.hidden_text.startswith("fewer") else ""
        if self.kind == "count":
            return str(int(self.value))
        if self.kind == "rate":
            return f"{self.value:.1f}"
        return f"{self.value:.{max(self.decimals, 1)}f}"

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self.text))


def is_suppressed(n: int, r: Rule | None = None) -> bool:
    """Return True when a count of ``n`` may not be shown (1 to SUPPRESS_BELOW − 1)."""
    r = r or rule()
    return 0 < n < r.suppress_below


def round_count(n: int, r: Rule | None = None) -> int | None:
    """Return the count as it may be shown: 0, None (suppressed) or rounded half up to the nearest ROUND_TO."""
    r = r or rule()
    n = int(n)
    if n <= 0:
        return 0
    if n < r.suppress_below:
        return None
    rounded = int(math.floor(n / r.round_to + 0.5)) * r.round_to
    # Rounding down must never bring a shown count under the threshold (e.g. 8 with ROUND_TO 10 would give 10, fine;
    # with a threshold of 13 and ROUND_TO 5, 13 would round to 15; 12 is suppressed). Round up to the next step if so.
    while rounded < r.suppress_below:
        rounded += r.round_to
    return rounded


def count(n: int | None, r: Rule | None = None) -> Figure:
    """Return a count figure."""
    return _count(int(n or 0), r or rule())


@lru_cache(maxsize=8192)
def _count(n: int, r: Rule) -> Figure:
    # Figures are immutable and the same count under the same rule is the same figure: a long table (the
    # week-by-topic CSV is 13,000 rows) makes the same few thousand again and again.
    value = round_count(n, r)
    return Figure("count", None if value is None else float(value), f"fewer than {r.suppress_below}")


def _shown_range(value: int | None, r: Rule) -> tuple[int, int]:
    """The true values a reader knows a shown count stands for."""
    if value is None:
        return (1, r.suppress_below - 1)
    if value == 0:
        return (0, 0)
    return (max(r.suppress_below, value - r.round_to // 2), value + r.round_to // 2)


def total(values: Iterable[int | None], r: Rule | None = None) -> Figure:
    """Return the total of unrounded counts, then rounded (never the sum of rounded cells).

    Not shown when, with the other cells, it would pin a hidden cell to one value (four cells of 7 total 28,
    shown as 30: each must be 7).
    """
    r = r or rule()
    counts = [int(v or 0) for v in values]
    shown_total = round_count(sum(counts), r)
    cells = [_shown_range(round_count(v, r), r) for v in counts]
    total_low, total_high = _shown_range(shown_total, r)
    for i, v in enumerate(counts):
        if not is_suppressed(v, r):
            continue
        low = sum(c[0] for j, c in enumerate(cells) if j != i)
        high = sum(c[1] for j, c in enumerate(cells) if j != i)
        possible = [a for a in range(1, r.suppress_below) if a + low <= total_high and a + high >= total_low]
        if len(possible) < 2:
            return Figure("count", None, "not shown")
    return count(sum(counts), r)


def rate(numerator: int | None, denominator: int | None, r: Rule | None = None) -> Figure:
    """Return a percentage, hidden when either count is suppressed or there is nothing to divide by."""
    r = r or rule()
    num, den = int(numerator or 0), int(denominator or 0)
    if den == 0:
        return Figure("rate", None, "no data")
    if is_suppressed(den, r) or is_suppressed(num, r) or is_suppressed(den - num, r):
        # den − num hidden too: "97% of 40" would give away that 1 to 7 were not.
        return Figure("rate", None, "not shown")
    return Figure("rate", round(100.0 * num / den, 1))


def statistic(value: float | None, n: int | None, *, kind: str = "days", unit: str = "", decimals: int = 1,
              r: Rule | None = None) -> Figure:
    """Return a median, mean or change worked out from ``n`` people: hidden when ``n`` is suppressed or 0."""
    r = r or rule()
    n = int(n or 0)
    if n == 0 or value is None:
        return Figure(kind, None, "no data", unit, decimals)
    if is_suppressed(n, r):
        return Figure(kind, None, "not shown", unit, decimals)
    return Figure(kind, round(float(value), decimals), "", unit, decimals)


@lru_cache(maxsize=8192)
def text(value: str) -> Figure:
    """Return a label cell (a name or code), shown as given; ``hidden_text`` carries the label."""
    return Figure("text", None, value)


def change(current: int | None, previous: int | None, r: Rule | None = None) -> str:
    """Describe the change between two periods' counts in words, from shown (rounded) values only."""
    a, b = count(current, r), count(previous, r)
    if not a.shown or not b.shown:
        return "not shown"
    assert a.value is not None and b.value is not None
    difference = int(a.value - b.value)
    if difference == 0:
        return "no change"
    return f"{'up' if difference > 0 else 'down'} {abs(difference):,} on the previous period"
