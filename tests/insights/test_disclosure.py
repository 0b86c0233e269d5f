"""Disclosure control: the rule by hand, and properties (hypothesis) that no shown count or CSV value is 1 to 7 and
that a suppressed cell cannot be worked out from the rest of its table and the total."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from microdir.insights import disclosure as dc
from microdir.insights.tables import Table, to_csv

RULE = dc.Rule()  # the defaults: suppress 1 to 7, round to 5


def test_the_rule_by_hand() -> None:
    shown = {n: dc.count(n, RULE).text for n in (0, 1, 7, 8, 12, 13, 17, 18, 102, 1234)}
    assert shown == {0: "0", 1: "fewer than 8", 7: "fewer than 8", 8: "10", 12: "10", 13: "15", 17: "15",
                     18: "20", 102: "100", 1234: "1,235"}
    assert dc.count(5, RULE).csv == "[c]" and dc.count(0, RULE).csv == "0" and dc.count(8, RULE).csv == "10"


def test_rates_and_means_hide_when_what_they_rest_on_is_hidden() -> None:
    assert dc.rate(3, 7, RULE).text == "not shown"  # denominator suppressed
    assert dc.rate(5, 40, RULE).text == "not shown"  # numerator suppressed: 12.5% of "40" gives 5 back
    assert dc.rate(36, 40, RULE).text == "not shown"  # 4 did not: hidden too
    assert dc.rate(20, 40, RULE).text == "50%"
    assert dc.rate(0, 0, RULE).text == "no data"
    assert dc.statistic(2.5, 7, r=RULE).text == "not shown"
    assert dc.statistic(2.5, 8, unit="days", r=RULE).text == "2.5 days"
    assert dc.rate(3, 7, RULE).csv == "" and dc.statistic(2.5, 7, r=RULE).csv == ""


def test_totals_are_rounded_from_unrounded_values() -> None:
    # 12 + 12 + 12 = 36 → 35; adding the rounded cells (10 + 10 + 10) would give 30.
    assert dc.total([12, 12, 12], RULE).text == "35"
    assert dc.total([3, 4], RULE).text == "fewer than 8" and dc.total([3, 5], RULE).text == "10"


def test_the_thresholds_are_settings(app_ctx) -> None:  # type: ignore[no-untyped-def]
    app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=10, INSIGHTS_ROUND_TO=10)
    try:
        assert dc.count(9).text == "fewer than 10" and dc.count(14).text == "10" and dc.count(15).text == "20"
        assert "1 to 9" in dc.rule().statement
    finally:
        app_ctx.config.update(INSIGHTS_SUPPRESS_BELOW=8, INSIGHTS_ROUND_TO=5)


@given(st.integers(min_value=0, max_value=10**7))
def test_no_shown_count_is_one_to_seven(n: int) -> None:
    figure = dc.count(n, RULE)
    assert figure.value is None or figure.value == 0 or figure.value >= 8
    assert figure.text not in {str(i) for i in range(1, 8)}
    assert figure.csv not in {str(i) for i in range(1, 8)}
    if figure.value is not None and n:
        assert figure.value % 5 == 0 and abs(figure.value - n) <= 2.5


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=1, max_value=30),
       st.integers(min_value=0, max_value=10**6))
def test_any_rule_never_shows_a_count_under_its_threshold(below: int, round_to: int, n: int) -> None:
    rule = dc.Rule(below, round_to)
    figure = dc.count(n, rule)
    assert figure.value is None or figure.value == 0 or figure.value >= below
    assert (figure.value is None) == (0 < n < below)


def _table(rows: list[list[int]]) -> Table:
    table = Table("t", "T", ["Label", *(f"c{i}" for i in range(len(rows[0])))])
    for i, row in enumerate(rows):
        table.add(f"row {i}", *(dc.count(v, RULE) for v in row))
    table.total = [dc.text("Total"), *(dc.total((row[j] for row in rows), RULE) for j in range(len(rows[0])))]
    return table


@settings(max_examples=200)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=4).map(lambda r: r + [0] * 4),
                min_size=1, max_size=8))
def test_no_csv_value_is_one_to_seven(rows: list[list[int]]) -> None:
    rows = [row[:4] for row in rows]
    parsed = list(csv.reader(io.StringIO(to_csv(_table(rows)))))
    for line in parsed[1:]:
        for value in line[1:]:
            assert value not in {str(i) for i in range(1, 8)}, parsed
            assert value == "[c]" or value == "0" or int(value) >= 8


def _interval(figure: dc.Figure) -> tuple[int, int]:
    """What a reader knows from a shown count: the range of true values it could stand for."""
    if figure.value is None and figure.text == "not shown":
        return (0, 10**9)  # a total held back tells nothing
    if figure.value is None:
        return (1, RULE.suppress_below - 1)
    value = int(figure.value)
    if value == 0:
        return (0, 0)
    return (max(RULE.suppress_below, value - 2), value + 2)


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=8))
def test_a_suppressed_cell_cannot_be_recovered_from_the_total(column: list[int]) -> None:
    cells = [dc.count(v, RULE) for v in column]
    total_low, total_high = _interval(dc.total(column, RULE))
    for i, cell in enumerate(cells):
        if cell.value is not None:
            continue
        others = [_interval(c) for j, c in enumerate(cells) if j != i]
        low, high = sum(o[0] for o in others), sum(o[1] for o in others)
        # Every value 1 to 7 the hidden cell could take, given the other shown cells and the shown total.
        possible = [a for a in range(1, RULE.suppress_below) if a + low <= total_high and a + high >= total_low]
        assert column[i] in possible
        assert len(possible) >= 2, (column, possible)
