"""Small statistics from aggregates: medians and percentiles from a histogram, a mean with its 95% interval.

Pages fetch ``GROUP BY value`` counts (a few dozen rows) instead of every value, so a median over 100,000
referrals costs one small query on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Two-sided 95% critical values of Student's t by degrees of freedom (from 30 on, 1.96 is within 2%).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
        29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}


P90 = 90  # the percentile the timeliness tables show


def t95(df: int) -> float:
    """Return the two-sided 95% critical value of t for ``df`` degrees of freedom (the next lower tabled df)."""
    if df <= 0:
        return math.inf
    if df > 120:
        return 1.96
    return _T95[max(k for k in _T95 if k <= df)]


def histogram_size(histogram: Iterable[tuple[float, int]]) -> int:
    return sum(count for _value, count in histogram)


def _nth(ordered: list[tuple[float, int]], k: int) -> float:
    """Return the k-th smallest value (1-based) of the histogram."""
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= k:
            return value
    raise IndexError(k)


def median(histogram: Iterable[tuple[float, int]]) -> float | None:
    """Return the median (the mean of the two middle values when there is an even number), or None when empty."""
    ordered = sorted((v, c) for v, c in histogram if c > 0 and v is not None)
    n = sum(c for _v, c in ordered)
    if n == 0:
        return None
    if n % 2:
        return float(_nth(ordered, n // 2 + 1))
    return (_nth(ordered, n // 2) + _nth(ordered, n // 2 + 1)) / 2


def percentile(histogram: Iterable[tuple[float, int]], p: float) -> float | None:
    """Return the ``p``th percentile by the nearest-rank method (the smallest value with at least p% at or below)."""
    ordered = sorted((v, c) for v, c in histogram if c > 0 and v is not None)
    n = sum(c for _v, c in ordered)
    if n == 0:
        return None
    return float(_nth(ordered, max(1, math.ceil(p / 100 * n))))


def mean_interval(n: int, total: float, total_of_squares: float) -> tuple[float, float, float] | None:
    """Return (mean, low, high): the mean and its 95% confidence interval (Student's t), from n, Σx and Σx².

    None when n < 2 (no spread to measure).
    """
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (total_of_squares - n * mean * mean) / (n - 1))
    half = t95(n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half
