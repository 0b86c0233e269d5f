"""The figures behind each insight page: small GROUP BY queries over the summary tables, then disclosure control.

Searches and referrals are read from the weekly roll-ups for the whole weeks of a period and from the daily rows
for the days at either end (``weekly_source``), so a page reads a few thousand rows, not every search or referral.
Only the tables by provider and by referring team read the referral facts themselves (one scan each).

Each page function returns a ``Page``: headline figures, tables (each also a CSV) and charts. Raw counts never
leave this module except through ``disclosure``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Subquery, and_, case, func, select, union_all

from ..domain import outcomes as scales
from ..domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID
from ..extensions import db
from ..models import (
    InsightOutcomeWeek,
    InsightReferralWeek,
    InsightSearchWeek,
    InsightTimingWeek,
    ListingRevision,
    Organization,
    QualityCheck,
    TaxonomyTerm,
    Team,
    utcnow,
)
from ..models import (
    InsightReferralFact as F,
)
from ..models import (
    InsightSearchDay as SD,
)
from ..models import (
    InsightService as SV,
)
from ..models import (
    InsightServiceKey as SK,
)
from ..models import (
    InsightZeroQuery as ZQ,
)
from ..models.revisions import RevisionStatus
from . import disclosure as dc
from . import refresh, stats
from .charts import Chart, bar_chart, line_chart
from .filters import Filters
from .tables import Table

DECLINE_LABELS = {"no_capacity": "No capacity", "not_eligible": "Not eligible",
                  "could_not_contact": "Could not contact", "other": "Other reason"}
TEAM_KIND_LABELS = {"gp_practice": "GP practice", "pcn": "Primary care network", "council_team": "Council team",
                    "other": "Other team", "": "Unknown"}
# Free text can carry personal details: a zero-result text is shown only once this many searches used it, whatever
# the small-number rule (it is the larger of the two).
QUERY_MIN_SEARCHES = 8
CAPACITY_LABELS = {"taking_new_people": "Taking new people", "waiting_list": "Waiting list", "full": "Full"}


@dataclass
class Headline:
    label: str
    figure: dc.Figure
    change: str = ""


@dataclass
class Page:
    headlines: list[Headline] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, table_id: str) -> Table | None:
        return next((t for t in self.tables if t.id == table_id), None)


def _run(statement: Any) -> list[Any]:
    """Run a query on the session's connection and fetch every row at once: plain rows, without the ORM's per-row
    work (a provider table at 100,000 referrals is 20,000 rows, and the ORM's handling of them cost more than the
    query)."""
    return list(db.session.connection().execute(statement).all())


def _one(statement: Any) -> Any:
    return _run(statement)[0]


def _sum(column: Any) -> Any:
    return func.coalesce(func.sum(column), 0)


def _flag(column: Any) -> Any:
    return func.coalesce(func.sum(case((column, 1), else_=0)), 0)


# ---- names -----------------------------------------------------------------------------------------------------


def topic_names() -> dict[tuple[str, str], str]:
    """Return (facet, code) → name for categories and needs."""
    names: dict[tuple[str, str], str] = {}
    for code, name, taxonomy_id in _run(
        select(TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.taxonomy_id)
        .where(TaxonomyTerm.taxonomy_id.in_((CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID)))
    ):
        names[("category" if taxonomy_id == CATEGORIES_TAXONOMY_ID else "need", code or "")] = name
    return names


def council_label(lad_code: str) -> str:
    if not lad_code:
        return "Council not known"
    try:
        from ..geo import council_name

        return council_name(lad_code) or lad_code
    except Exception:  # the gazetteer is not loaded: the code is the best name we have
        return lad_code


def area_label(filters: Filters) -> str:
    if filters.lad_code:
        return council_label(filters.lad_code)
    if filters.outcode:
        return f"postcode district {filters.outcode}"
    return "the whole area"


def councils_known() -> list[tuple[str, str]]:
    """Return (code, name) of the councils with listings or searches, for the area picker."""
    codes = set(db.session.scalars(select(InsightSearchWeek.lad_code).where(
        InsightSearchWeek.lad_code != "", InsightSearchWeek.facet == "").distinct()))
    codes.update(area[4:] for area in db.session.scalars(select(SK.area).where(SK.area.like("lad:%")).distinct()))
    return sorted(((code, council_label(code)) for code in codes), key=lambda item: item[1])


def _named(grouped: Any, key: str, model: Any) -> list[Any]:
    """Run a GROUP BY statement with its rows' ``model`` name (Team or Organization, by the ``key`` column) joined
    on as the last column, None once no longer listed: the names come with the figures, not in a second query with
    thousands of ids."""
    rows = grouped.subquery()
    return _run(select(rows, model.name).select_from(rows).outerjoin(model, model.id == rows.c[key]))


# ---- filters and sources --------------------------------------------------------------------------------------


def area_where(table: Any, filters: Filters) -> list[Any]:
    """Return the conditions that keep ``table``'s rows (anything with lad_code and outcode) to the chosen area."""
    columns = table.c if isinstance(table, Subquery) else table
    if filters.lad_code:
        return [columns.lad_code == filters.lad_code]
    if filters.outcode:
        return [columns.outcode == filters.outcode]
    return []


def _fact_where(filters: Filters) -> list[Any]:
    return [F.sent_day >= filters.start, F.sent_day <= filters.end, *area_where(F, filters)]


def _service_area_where(filters: Filters) -> list[Any]:
    return [SK.area == filters.area] if filters.area else []


def _listing_in_area(filters: Filters) -> list[Any]:
    """Keep ``insight_service`` to the listings covering the area (every listing for the whole deployment)."""
    return [SV.service_id.in_(select(SK.service_id).where(SK.area == filters.area))] if filters.area else []


def week_spans(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date, date]]]:
    """Split ``start``–``end`` into the Mondays of its whole weeks (first, last) and the (Monday, first day, last day)
    of the part-weeks at either end."""
    whole: tuple[date, date] | None = None
    parts: list[tuple[date, date, date]] = []
    day = start
    while day <= end:
        monday = refresh.monday(day)
        last = min(monday + timedelta(days=6), end)
        if day == monday and last == monday + timedelta(days=6):
            whole = (whole[0] if whole else monday, monday)
        else:
            parts.append((monday, day, last))
        day = last + timedelta(days=1)
    return whole, parts


def weekly_source(table: Any, filters: Filters) -> Subquery:
    """Return the rows of a weekly roll-up for the period and area: whole weeks from ``table``, the part-weeks at
    either end rolled up from the daily rows by the job's own SELECTs, so both agree."""
    rollup = refresh.WEEKLY_ROLLUPS[table]
    whole, parts = week_spans(filters.start, filters.end)
    selects = []
    for monday, first, last in parts:
        daily = F if table is not InsightSearchWeek else SD
        selects += rollup(monday, first, last, area_where(daily, filters))
    names = [column.name for column in (selects[0].selected_columns if selects else
                                        rollup(filters.start, filters.start, filters.start)[0].selected_columns)]
    if whole:
        selects.insert(0, select(*(getattr(table, name) for name in names))
                       .where(table.week >= whole[0], table.week <= whole[1], *area_where(table, filters)))
    return union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()


def weeks(filters: Filters) -> list[date]:
    """Return the Mondays of the weeks the period touches."""
    return refresh.weeks_between(filters.start, filters.end)


def _by_week(rows: Iterable[Any], filters: Filters, width: int) -> tuple[list[date], list[list[int]]]:
    """Spread (Monday, count, …) rows over every week of the period, weeks with nothing as zeros."""
    mondays = weeks(filters)
    index = {monday: i for i, monday in enumerate(mondays)}
    counts = [[0] * width for _ in mondays]
    for monday, *values in rows:
        row = counts[index[monday]]
        for i, value in enumerate(values):
            row[i] += int(value or 0)
    return mondays, counts


# ---- shared figures --------------------------------------------------------------------------------------------

REFERRAL_TOTALS = ("sent", "accepted", "first_contact", "engaged", "completed", "declined", "expired", "withdrawn",
                   "closed", "answered", "answered_in_rule",
                   *(f"declined_{reason}" for reason in refresh.DECLINE_REASONS))


def search_totals(filters: Filters) -> tuple[int, int, int]:
    S = weekly_source(InsightSearchWeek, filters)
    row = _one(select(_sum(S.c.searches), _sum(S.c.zero_results), _sum(S.c.few_results))
                             .where(S.c.facet == ""))
    return int(row[0]), int(row[1]), int(row[2])


def referral_totals(filters: Filters) -> dict[str, int]:
    R = weekly_source(InsightReferralWeek, filters)
    row = _one(select(*(_sum(R.c[key]) for key in REFERRAL_TOTALS)).where(R.c.facet == ""))
    return {k: int(v or 0) for k, v in zip(REFERRAL_TOTALS, row, strict=True)}


def days_histograms(filters: Filters) -> dict[str, list[tuple[float, int]]]:
    """Return measure (answer_days, answer_working_days, contact_days, contact_working_days) → (days, referrals)."""
    T = weekly_source(InsightTimingWeek, filters)
    result: dict[str, list[tuple[float, int]]] = {measure: [] for measure in refresh.TIMING_MEASURES}
    for measure, days, n in _run(
        select(T.c.measure, T.c.days, _sum(T.c.referrals)).where(T.c.facet == "")
        .group_by(T.c.measure, T.c.days).order_by(T.c.measure, T.c.days)
    ):
        result[measure].append((float(days), int(n)))
    return result


def service_counts(filters: Filters) -> tuple[int, int]:
    """Return (active listings, of which verified) covering the area, as they stand today."""
    row = _one(select(_flag(SV.active), _flag(and_(SV.active, SV.verified))).where(*_listing_in_area(filters)))
    return int(row[0]), int(row[1])


def wellbeing_pairs(filters: Filters, scale: str = "ons4", item: str = "life_satisfaction") -> tuple[int, float, float]:
    W = weekly_source(InsightOutcomeWeek, filters)
    row = _one(select(_sum(W.c.people), _sum(W.c.change_sum), _sum(W.c.change_squares))
                             .where(W.c.facet == "", W.c.scale == scale, W.c.item == item))
    return int(row[0]), float(row[1]), float(row[2])


# ---- 1. overview -----------------------------------------------------------------------------------------------


def overview(filters: Filters) -> Page:
    page = Page()
    previous = filters.previous()
    s_now, s_before = search_totals(filters), search_totals(previous)
    r_now, r_before = referral_totals(filters), referral_totals(previous)
    listed, verified = service_counts(filters)
    page.headlines += [
        Headline("Searches", dc.count(s_now[0]), dc.change(s_now[0], s_before[0])),
        Headline("Searches with no result", dc.count(s_now[1]), dc.change(s_now[1], s_before[1])),
        Headline("Services listed now", dc.count(listed)),
        Headline("Of which verified (a quality check in force)", dc.count(verified)),
        Headline("Referrals sent", dc.count(r_now["sent"]), dc.change(r_now["sent"], r_before["sent"])),
        Headline("Referrals accepted", dc.count(r_now["accepted"]), dc.change(r_now["accepted"], r_before["accepted"])),
        Headline("Referrals completed", dc.count(r_now["completed"]),
                 dc.change(r_now["completed"], r_before["completed"])),
    ]
    hist_now, hist_before = days_histograms(filters)["answer_days"], days_histograms(previous)["answer_days"]
    med_now = dc.statistic(stats.median(hist_now), stats.histogram_size(hist_now), unit="days")
    med_before = dc.statistic(stats.median(hist_before), stats.histogram_size(hist_before), unit="days")
    page.headlines.append(Headline("Median days to answer a referral", med_now, _change_of(med_now, med_before)))
    n, total, squares = wellbeing_pairs(filters)
    n0, total0, squares0 = wellbeing_pairs(previous)
    change_now = dc.statistic(total / n if n else None, n, kind="mean", unit="points")
    change_before = dc.statistic(total0 / n0 if n0 else None, n0, kind="mean", unit="points")
    page.headlines.append(Headline("Change in life satisfaction (ONS4, 0–10, paired)", change_now,
                                   _change_of(change_now, change_before)))

    table = Table("overview", "Headline figures", ["Measure", "This period", "Previous period"])
    before = {
        "Searches": dc.count(s_before[0]), "Searches with no result": dc.count(s_before[1]),
        "Referrals sent": dc.count(r_before["sent"]), "Referrals accepted": dc.count(r_before["accepted"]),
        "Referrals completed": dc.count(r_before["completed"]), "Median days to answer a referral": med_before,
        "Change in life satisfaction (ONS4, 0–10, paired)": change_before,
    }
    for headline in page.headlines:
        table.add(headline.label, headline.figure, before.get(headline.label, dc.text("")))
    page.tables.append(table)
    weekly = weekly_activity(filters)
    page.tables.append(weekly)
    page.charts.append(_week_chart("weekly-searches", "Searches and searches with no result, by week", "searches",
                                   weekly, [("Searches", 1), ("No result", 2)]))
    page.charts.append(_week_chart("weekly-referrals", "Referrals sent and accepted, by week", "referrals sent",
                                   weekly, [("Sent", 3), ("Accepted", 4)]))
    return page


def _change_of(now: dc.Figure, before: dc.Figure) -> str:
    if now.value is None or before.value is None:
        return "not shown" if now.value is not None or before.value is not None else ""
    difference = now.value - before.value
    if abs(difference) < 0.05:
        return "no change"
    return f"{'up' if difference > 0 else 'down'} {abs(difference):.1f} on the previous period"


def _trend_summary(what: str, figures: list[dc.Figure]) -> str:
    shown = [f.value for f in figures if f.value is not None]
    if not shown:
        return f"There are too few {what} in this period to show a trend."
    busiest = max(shown)
    return (f"Weekly {what} ranged from {min(shown):,.0f} to {busiest:,.0f} over {len(figures)} weeks; "
            f"the first shown week had {shown[0]:,.0f} and the last {shown[-1]:,.0f}.")


def weekly_activity(filters: Filters) -> Table:
    S, R = weekly_source(InsightSearchWeek, filters), weekly_source(InsightReferralWeek, filters)
    mondays, searches = _by_week(_run(
        select(S.c.week, _sum(S.c.searches), _sum(S.c.zero_results)).where(S.c.facet == "").group_by(S.c.week)),
        filters, 2)
    _mondays, referrals = _by_week(_run(
        select(R.c.week, _sum(R.c.sent), _sum(R.c.accepted)).where(R.c.facet == "").group_by(R.c.week)), filters, 2)
    counts = [a + b for a, b in zip(searches, referrals, strict=True)]
    return _week_table("weekly", "Activity by week (weeks start on Monday)",
                       ["Searches", "Searches with no result", "Referrals sent", "Referrals accepted"], mondays, counts)


def _week_table(table_id: str, caption: str, columns: list[str], mondays: list[date], counts: list[list[int]]
                ) -> Table:
    """A table of counts a row a week, with totals worked out from the unrounded counts."""
    table = Table(table_id, caption, ["Week starting", *columns])
    r = dc.rule()
    for monday, row in zip(mondays, counts, strict=True):
        table.add(f"{monday:%-d %b %Y}", *(dc.count(v, r) for v in row))
    table.total = [dc.text("Total"), *(dc.total((row[i] for row in counts), r) for i in range(len(columns)))]
    return table


def _week_chart(chart_id: str, title: str, what: str, table: Table, series: list[tuple[str, int]]) -> Chart:
    """A line a series (name, column of ``table``) by week; the summary follows the first series."""
    labels = [row[0].hidden_text for row in table.rows]
    return line_chart(chart_id, title, _trend_summary(what, [row[series[0][1]] for row in table.rows]), table.id,
                      labels, [(name, [row[i] for row in table.rows]) for name, i in series])


# ---- 2. unmet need ---------------------------------------------------------------------------------------------


def _declines_by_topic(filters: Filters) -> dict[tuple[str, str, str], int]:
    """Return (facet, code, council) → referrals declined for no capacity or not eligible."""
    R = weekly_source(InsightReferralWeek, filters)
    result: dict[tuple[str, str, str], int] = {}
    for facet, code, lad, n in _run(
        select(R.c.facet, R.c.code, R.c.lad_code, _sum(R.c.declined_no_capacity + R.c.declined_not_eligible))
        .where(R.c.facet != "").group_by(R.c.facet, R.c.code, R.c.lad_code)
    ):
        if n:
            result[(facet, code, lad)] = int(n)
    return result


def _supply_by_topic(filters: Filters) -> dict[tuple[str, str, str], tuple[int, int]]:
    """Return (facet, code, council) → (active listings taking new people, active listings full or waiting)."""
    result: dict[tuple[str, str, str], tuple[int, int]] = {}
    rows = _run(
        select(SK.facet, SK.code, SK.area, _flag(SV.capacity == "taking_new_people"),
               _flag(SV.capacity.in_(("full", "waiting_list"))))
        .select_from(SK).join(SV, SV.service_id == SK.service_id)
        .where(SV.active, SK.facet != "", SK.area.like("lad:%"), *_service_area_where(filters))
        .group_by(SK.facet, SK.code, SK.area))
    for facet, code, area, open_, closed in rows:
        result[(facet, code, area[4:])] = (int(open_), int(closed))
    return result


def unmet_need(filters: Filters) -> Page:
    page = Page()
    names = topic_names()
    rule = dc.rule()
    searches, zero, few = search_totals(filters)
    page.headlines += [Headline("Searches", dc.count(searches)),
                       Headline("With no result", dc.count(zero)), Headline("With 1 to 3 results", dc.count(few)),
                       Headline("Share with no or few results", dc.rate(zero + few, searches))]
    demand: dict[tuple[str, str, str], list[int]] = {}
    S = weekly_source(InsightSearchWeek, filters)
    for facet, code, lad, s, z, f in _run(
        select(S.c.facet, S.c.code, S.c.lad_code, _sum(S.c.searches), _sum(S.c.zero_results), _sum(S.c.few_results))
        .where(S.c.facet != "").group_by(S.c.facet, S.c.code, S.c.lad_code)
    ):
        demand[(facet, code, lad)] = [int(s), int(z), int(f)]
    declines = _declines_by_topic(filters)
    supply = _supply_by_topic(filters)

    keys = set(demand) | set(declines)
    scored = []
    for key in keys:
        s, z, f = demand.get(key, [0, 0, 0])
        d = declines.get(key, 0)
        open_, closed = supply.get(key, (0, 0))
        unmet = z + f + d
        if unmet == 0:
            continue
        scored.append((unmet / (open_ + 1), key, s, z, f, d, open_, closed))
    scored.sort(key=lambda item: (-item[0], item[1]))
    gaps = Table("gaps", "Gaps: need and council where demand is high and supply low, most pressing first",
                 ["Need or category", "Kind", "Council", "Searches", "No result", "1 to 3 results",
                  "Declined: no capacity or not eligible", "Listings taking new people", "Listings full or waiting"],
                 note="Ranked by searches with no or few results plus capacity and eligibility declines, for each "
                      "listing taking new people in that council. The evidence is beside each row.",
                 screen_rows=25, heat=(4, 5, 6))
    councils = _council_labels(key[2] for _score, key, *_rest in scored)
    for _score, (facet, code, lad), s, z, f, d, open_, closed in scored:
        gaps.add([names.get((facet, code), code or "None"), "Category" if facet == "category" else "Need",
                  councils[lad]], *(dc.count(v, rule) for v in (s, z, f, d, open_, closed)))
    page.tables.append(gaps)

    mondays, counts = _by_week(_run(
        select(S.c.week, _sum(S.c.searches), _sum(S.c.zero_results), _sum(S.c.few_results)).where(S.c.facet == "")
        .group_by(S.c.week)), filters, 3)
    weekly_total = _week_table("no-result-weekly", "Searches with no or few results, by week",
                               ["Searches", "No result", "1 to 3 results"], mondays, counts)
    page.tables.append(weekly_total)
    page.charts.append(_week_chart("no-result-trend", "Searches with no result and with 1 to 3 results, by week",
                                   "searches with no result", weekly_total, [("No result", 2), ("1 to 3 results", 3)]))

    by_topic = Table("no-result-by-topic", "Searches with no or few results by need or category",
                     ["Need or category", "Kind", "Searches", "No result", "1 to 3 results", "Share no or few"])
    rolled: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (facet, code, _lad), tallies in demand.items():
        for i in range(3):
            rolled[(facet, code)][i] += tallies[i]
    for (facet, code), (s, z, f) in sorted(rolled.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), kv[0])):
        by_topic.add([names.get((facet, code), code), "Category" if facet == "category" else "Need"],
                     dc.count(s), dc.count(z), dc.count(f), dc.rate(z + f, s))
    page.tables.append(by_topic)

    page.tables.append(Table("no-result-by-week", "Searches with no or few results by need or category, council and "
                             "week", [], screen_rows=0, note="Download it as CSV: it is too long for the page."))

    least = max(QUERY_MIN_SEARCHES, rule.suppress_below)
    queries = Table("zero-result-queries",
                    f"Most frequent searches with no result (only words searched at least {least} times)", ["Words searched", "Searches with no result"],
                    note="Free text can carry personal details, so words searched fewer times are never shown.")
    for query, n in _run(
        select(ZQ.query, _sum(ZQ.searches).label("n")).where(*_zq_where(filters)).group_by(ZQ.query)
        .having(func.sum(ZQ.searches) >= least).order_by(func.sum(ZQ.searches).desc(), ZQ.query)
        .limit(50)
    ):
        queries.add(query, dc.count(int(n)))
    page.tables.append(queries)
    return page


def no_result_by_week(filters: Filters) -> Table:
    """Return the long table of searches by week × need or category × council (CSV only: built when asked for)."""
    names = topic_names()
    weekly = Table("no-result-by-week", "Searches with no or few results by need or category, council and week",
                   ["Week starting", "Need or category", "Kind", "Council", "Searches", "No result",
                    "1 to 3 results"], screen_rows=0)
    S = weekly_source(InsightSearchWeek, filters)
    rows = _run(
        select(S.c.week, S.c.facet, S.c.code, S.c.lad_code, _sum(S.c.searches), _sum(S.c.zero_results),
               _sum(S.c.few_results)).where(S.c.facet != "")
        .group_by(S.c.week, S.c.facet, S.c.code, S.c.lad_code))
    councils = _council_labels(row[3] for row in rows)
    r = dc.rule()
    for monday, facet, code, lad, s, z, f in sorted(tuple(row) for row in rows):
        weekly.add([f"{monday:%Y-%m-%d}", names.get((facet, code), code), facet, councils[lad]],
                   dc.count(s, r), dc.count(z, r), dc.count(f, r))
    return weekly


def _zq_where(filters: Filters) -> list[Any]:
    return [ZQ.day >= filters.start, ZQ.day <= filters.end, *area_where(ZQ, filters)]


def _council_labels(codes: Iterable[str]) -> dict[str, str]:
    return {code: council_label(code) for code in set(codes)}


# ---- 3. coverage -----------------------------------------------------------------------------------------------


def coverage(filters: Filters, now: Any = None) -> Page:
    page = Page()
    names = topic_names()
    now = now or utcnow()
    table = Table("services-by-category-council", "Listings by category and council, as they stand today",
                  ["Category", "Council", "Active", "Verified", "Micro-provider", "Taking new people",
                   "Waiting list", "Full"])
    rows = _run(
        select(SK.code, SK.area, _flag(SV.active), _flag(and_(SV.active, SV.verified)),
               _flag(and_(SV.active, SV.micro_provider)), _flag(and_(SV.active, SV.capacity == "taking_new_people")),
               _flag(and_(SV.active, SV.capacity == "waiting_list")), _flag(and_(SV.active, SV.capacity == "full")))
        .select_from(SK).join(SV, SV.service_id == SK.service_id)
        .where(SK.facet == "category", SK.area.like("lad:%"), *_service_area_where(filters))
        .group_by(SK.code, SK.area).order_by(SK.code, SK.area))
    for code, area, *counts in rows:
        table.add([names.get(("category", code), code), council_label(area[4:])], *(dc.count(c) for c in counts))
    table.total = [dc.text("Total"), dc.text(""),
                   *(dc.total(row[i] for row in rows) for i in range(2, 8))]
    table.note = ("A listing that covers two councils or has two categories is counted in each, so the total counts "
                  "it more than once.")
    page.tables.append(table)

    per_council = Table("searches-and-listings-by-council", "Searches and active listings per council",
                        ["Council", "Searches", "No result", "Active listings covering it"])
    S = weekly_source(InsightSearchWeek, filters)
    searches = {lad: (int(s), int(z)) for lad, s, z in _run(
        select(S.c.lad_code, _sum(S.c.searches), _sum(S.c.zero_results)).where(S.c.facet == "")
        .group_by(S.c.lad_code))}
    listings = {area[4:]: int(n) for area, n in _run(
        select(SK.area, func.count(func.distinct(SK.service_id))).select_from(SK).join(SV, SV.service_id == SK.service_id)
        .where(SV.active, SK.facet == "", SK.area.like("lad:%"), *_service_area_where(filters)).group_by(SK.area))}
    for lad in sorted(set(searches) | set(listings), key=council_label):
        s, z = searches.get(lad, (0, 0))
        per_council.add(council_label(lad), dc.count(s), dc.count(z), dc.count(listings.get(lad, 0)))
    page.tables.append(per_council)

    six, twelve = now - timedelta(days=182), now - timedelta(days=365)
    published = SV.listing_status == "published"
    row = _one(select(
        _flag(published), _flag(and_(published, SV.confirmed_at >= six)), _flag(and_(published, SV.confirmed_at >= twelve)),
        _flag(SV.stale_hidden), _flag(SV.listing_status == "suspended"),
    ).where(*_listing_in_area(filters)))
    published_n, six_n, twelve_n, stale_n, suspended_n = (int(v) for v in row)
    pending = _one(select(func.count(), func.min(ListingRevision.submitted_at))
                                 .where(ListingRevision.status == RevisionStatus.PENDING))
    expired = db.session.scalar(select(func.count()).select_from(QualityCheck)
                                .where(QualityCheck.expires_on < now.date())) or 0
    health = Table("directory-health", "Directory health", ["Measure", "Figure"])
    health.add("Published listings", dc.count(published_n))
    health.add("Confirmed in the last 6 months", dc.rate(six_n, published_n))
    health.add("Confirmed in the last 12 months", dc.rate(twelve_n, published_n))
    health.add("Hidden from search as stale (not confirmed for 12 months)", dc.count(stale_n))
    health.add("Suspended listings", dc.count(suspended_n))
    health.add("Changes waiting for moderation (whole directory)", dc.count(int(pending[0])))
    oldest = (now - pending[1]).days if pending[1] else None
    health.add("Oldest change waiting, in days", dc.statistic(oldest, int(pending[0]), unit="days", decimals=0))
    health.add("Quality checks past their expiry date (whole directory)", dc.count(int(expired)))
    page.tables.insert(0, health)
    page.headlines = [Headline("Published listings", dc.count(published_n)),
                      Headline("Confirmed in the last 12 months", dc.rate(twelve_n, published_n)),
                      Headline("Hidden as stale", dc.count(stale_n))]
    return page


# ---- 4. funnel -------------------------------------------------------------------------------------------------


FUNNEL_COLUMNS = ["Sent", "Accepted", "First contact", "Engaged", "Completed", "Declined", "Expired", "Withdrawn",
                  "Share accepted"]


FUNNEL_KEYS = ("sent", "accepted", "first_contact", "engaged", "completed", "declined", "expired", "withdrawn")


def _funnel_row(totals: dict[str, int], r: dc.Rule) -> list[dc.Figure]:
    return [*(dc.count(totals[key], r) for key in FUNNEL_KEYS), dc.rate(totals["accepted"], totals["sent"], r)]


def _funnel_fact_columns() -> list[Any]:
    """The funnel's counts from the facts themselves (for groups the weekly roll-ups do not keep)."""
    return [func.count(), _flag(F.accepted), _flag(F.first_contact), _flag(F.engaged), _flag(F.completed),
            _flag(F.status == "declined"), _flag(F.status == "expired"), _flag(F.status == "withdrawn")]


def _funnel_totals(values: Iterable[Any]) -> dict[str, int]:
    return {k: int(v or 0) for k, v in zip(FUNNEL_KEYS, values, strict=True)}


def _funnel_table(table_id: str, caption: str, label: str, rows: list[tuple[str, dict[str, int]]],
                  screen_rows: int | None = None) -> Table:
    table = Table(table_id, caption, [label, *FUNNEL_COLUMNS], screen_rows=screen_rows)
    r = dc.rule()
    for name, totals in sorted(rows, key=lambda item: (-item[1]["sent"], item[0])):
        table.add(name, *_funnel_row(totals, r))
    summed = {k: sum(t[k] for _n, t in rows) for k in FUNNEL_KEYS}
    table.total = [dc.text("Total"), *(dc.total([summed[k]], r) for k in summed),
                   dc.rate(summed["accepted"], summed["sent"], r)]
    return table


def funnel_stages(filters: Filters) -> Page:
    """The funnel's stages, chart and headlines: all the printable summary shows of it, without the tables by
    provider and by referring team (the slow part: they scan the referral facts)."""
    return _stages_page(referral_totals(filters))


def _stages_page(totals: dict[str, int]) -> Page:
    page = Page()
    stages = [("Sent", totals["sent"]), ("Accepted", totals["accepted"]), ("First contact", totals["first_contact"]),
              ("Engaged", totals["engaged"]), ("Completed", totals["completed"])]
    main = Table("funnel", "Referral funnel", ["Stage", "Referrals", "Share of those sent"])
    for name, n in stages:
        main.add(name, dc.count(n), dc.rate(n, totals["sent"]))
    for code, label in DECLINE_LABELS.items():
        declined = totals[f"declined_{code}"]
        main.add(f"Declined: {label.lower()}", dc.count(declined), dc.rate(declined, totals["sent"]))
    for key, label in (("expired", "Expired unanswered"), ("withdrawn", "Withdrawn")):
        main.add(label, dc.count(totals[key]), dc.rate(totals[key], totals["sent"]))
    page.tables.append(main)
    shown = [(name, dc.count(n)) for name, n in stages]
    summary = ", ".join(f"{name.lower()} {figure.text}" for name, figure in shown)
    page.charts.append(bar_chart("funnel-chart", "Referrals at each stage", f"Of the referrals sent: {summary}.",
                                 "funnel", shown))
    page.headlines = [Headline("Referrals sent", dc.count(totals["sent"])),
                      Headline("Share accepted", dc.rate(totals["accepted"], totals["sent"])),
                      Headline("Share completed", dc.rate(totals["completed"], totals["sent"]))]
    return page


def funnel(filters: Filters) -> Page:
    # One read of the referral roll-up (each read also rolls up the part-weeks' facts) for the stages and the
    # tables by topic and by council: a few hundred rows (facet × code × council), summed here.
    R = weekly_source(InsightReferralWeek, filters)
    by_topic_sums: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_lad_sums: dict[str, Counter[str]] = defaultdict(Counter)
    for facet, code, lad, *values in _run(
        select(R.c.facet, R.c.code, R.c.lad_code, *(_sum(R.c[key]) for key in REFERRAL_TOTALS))
        .group_by(R.c.facet, R.c.code, R.c.lad_code)
    ):
        counts = {key: int(v or 0) for key, v in zip(REFERRAL_TOTALS, values, strict=True)}
        by_topic_sums[(facet, code)].update(counts)
        if not facet:
            by_lad_sums[lad].update(counts)
    page = _stages_page({key: by_topic_sums[("", "")][key] for key in REFERRAL_TOTALS})
    names = topic_names()
    by_topic: dict[str, list[tuple[str, dict[str, int]]]] = {"category": [], "need": [], "": []}
    for (facet, code), sums in by_topic_sums.items():
        if facet:
            by_topic[facet].append((names.get((facet, code), code or ("No category" if facet == "category" else "")),
                                    {key: sums[key] for key in FUNNEL_KEYS}))
    page.tables.append(_funnel_table("by-category", "By category of service", "Category", by_topic["category"]))
    table = _funnel_table("by-need", "By need (a referral for two needs counts under each)", "Need", by_topic["need"])
    table.total = None  # a referral is in several rows, so a total would double count
    page.tables.append(table)
    by_council = [(council_label(lad), {key: sums[key] for key in FUNNEL_KEYS}) for lad, sums in by_lad_sums.items()]
    page.tables.append(_funnel_table("by-council", "By council of the service", "Council", by_council))
    cols = _funnel_fact_columns()
    team_rows = _named(select(F.team_id, F.team_kind, *cols).where(*_fact_where(filters))
                       .group_by(F.team_id, F.team_kind), "team_id", Team)
    by_team = [(f"{'Team no longer listed' if name is None else name} ({TEAM_KIND_LABELS.get(kind, kind)})",
                _funnel_totals(values)) for _team_id, kind, *values, name in team_rows]
    page.tables.append(_funnel_table("by-team", "By referring team (GP practice or council team)", "Referring team",
                                     by_team, screen_rows=50))
    org_rows = _named(select(F.organization_id, *cols).where(*_fact_where(filters)).group_by(F.organization_id),
                      "organization_id", Organization)
    by_org = [("Provider no longer listed" if name is None else name, _funnel_totals(values))
              for _org_id, *values, name in org_rows]
    page.tables.append(_funnel_table("by-provider", "By receiving provider", "Provider", by_org, screen_rows=50))
    return page


# ---- 5. timeliness ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaysTaken:
    """How long one group's referrals took, as ``stats`` defines the figures: how many have a number of days (the
    rest are not answered yet), their median and their 90th percentile (nearest rank)."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class ProviderFacts:
    organization_id: str
    name: str | None  # None once the provider is no longer listed
    days: DaysTaken
    referrals: int
    sums: tuple[int, ...]  # of the flags asked for, in order


def _sql_percentiles() -> bool:
    """PostgreSQL works out medians and percentiles itself (an ordered-set aggregate); SQLite cannot."""
    return db.session.get_bind().dialect.name == "postgresql"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def days_taken_by_provider(column: Any, filters: Filters, *flags: Any) -> list[ProviderFacts]:
    """Return, for each provider with a referral sent in the period, the days taken in ``column`` (a fact column,
    None while not answered), its referrals and the sums of ``flags``: one scan of the referral facts.

    On PostgreSQL the median and 90th percentile come from the query (``percentile_cont(0.5)``, the mean of the two
    middle values; ``percentile_disc(0.9)``, nearest rank) with the provider's name joined, so one row a provider
    comes back; elsewhere a histogram a provider (GROUP BY provider, days) and ``stats``. Both follow ``stats``'s
    definitions, so both give the same figures (tests/insights/test_percentiles.py runs both on both databases)."""
    where = _fact_where(filters)
    counts = [func.count(), *(_flag(flag) for flag in flags)]
    if _sql_percentiles():
        fraction = stats.P90 / 100  # the same double stats.percentile multiplies by, so the same rank
        grouped = (select(F.organization_id.label("organization_id"), func.count(column).label("answered"),
                          func.percentile_cont(0.5).within_group(column).label("median"),
                          func.percentile_disc(fraction).within_group(column).label("p90"),
                          *(c.label(f"count_{i}") for i, c in enumerate(counts)))
                   .where(*where).group_by(F.organization_id))
        rows = _named(grouped, "organization_id", Organization)
        return [ProviderFacts(org_id, name, DaysTaken(int(n), _float(median), _float(p90)), int(total),
                              tuple(int(v) for v in sums))
                for org_id, n, median, p90, total, *sums, name in rows]
    histograms: dict[str, list[tuple[float, int]]] = defaultdict(list)
    totals: dict[str, list[int]] = {}
    names: dict[str, str | None] = {}
    for org_id, value, *values, name in _named(select(F.organization_id, column.label("days"), *counts)
                                               .where(*where).group_by(F.organization_id, column),
                                               "organization_id", Organization):
        if value is not None:
            histograms[org_id].append((float(value), int(values[0])))
        summed = totals.setdefault(org_id, [0] * len(counts))
        for i, v in enumerate(values):
            summed[i] += int(v or 0)
        names[org_id] = name
    return [ProviderFacts(org_id, names[org_id], _days_taken(histograms.get(org_id, [])), summed[0],
                          tuple(summed[1:])) for org_id, summed in totals.items()]


def _days_taken(histogram: list[tuple[float, int]]) -> DaysTaken:
    return DaysTaken(stats.histogram_size(histogram), stats.median(histogram), stats.percentile(histogram, stats.P90))


def _timeliness_cells(days: DaysTaken, in_rule: int, r: dc.Rule) -> list[dc.Figure]:
    return [dc.count(days.n, r), dc.statistic(days.median, days.n, unit="days", r=r),
            dc.statistic(days.p90, days.n, unit="days", r=r), dc.rate(in_rule, days.n, r)]


def timeliness(filters: Filters) -> Page:
    page = Page()
    config = current_app.config
    rule_days = int(config["REFERRAL_OVERDUE_WORKING_DAYS"])
    region = config["BANK_HOLIDAYS_REGION"] or "none"
    page.notes.append(
        f"The rule: a referral should be answered within {rule_days} working days (Monday to Friday, without bank "
        f"holidays of {region}); a reminder goes at {rule_days}, the link worker is told at "
        f"{config['REFERRAL_ESCALATE_WORKING_DAYS']} and it expires at {config['REFERRAL_EXPIRE_WORKING_DAYS']}. "
        f"Medians and 90th percentiles are in working days unless the row says calendar days.")
    # One query a roll-up for the whole area and by category together: each reads the part-weeks' facts again.
    R, T = weekly_source(InsightReferralWeek, filters), weekly_source(InsightTimingWeek, filters)
    in_rule_by = {(facet, code): int(n) for facet, code, n in _run(
        select(R.c.facet, R.c.code, _sum(R.c.answered_in_rule)).where(R.c.facet.in_(("", "category")))
        .group_by(R.c.facet, R.c.code))}
    histograms: dict[str, list[tuple[float, int]]] = {measure: [] for measure in refresh.TIMING_MEASURES}
    by_cat: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for facet, code, measure, days, n in _run(
        select(T.c.facet, T.c.code, T.c.measure, T.c.days, _sum(T.c.referrals)).where(T.c.facet.in_(("", "category")))
        .group_by(T.c.facet, T.c.code, T.c.measure, T.c.days)
    ):
        if not facet:
            histograms[measure].append((float(days), int(n)))
        elif measure == "answer_working_days":
            by_cat[code].append((float(days), int(n)))
    answer_w, answer_c = histograms["answer_working_days"], histograms["answer_days"]
    contact_w, contact_c = histograms["contact_working_days"], histograms["contact_days"]
    in_rule = in_rule_by.get(("", ""), 0)
    r = dc.rule()
    overall = Table("timeliness", "How quickly referrals are answered and people contacted",
                    ["Measure", "Referrals", "Median", "90th percentile", "Share answered within the rule"])
    overall.add("Sent to answer (working days)", *_timeliness_cells(_days_taken(answer_w), in_rule, r))
    n = stats.histogram_size(answer_c)
    overall.add("Sent to answer (calendar days)", dc.count(n), dc.statistic(stats.median(answer_c), n, unit="days"),
                dc.statistic(stats.percentile(answer_c, 90), n, unit="days"), dc.text(""))
    for label, hist in (("Accepted to first contact (working days)", contact_w),
                        ("Accepted to first contact (calendar days)", contact_c)):
        n = stats.histogram_size(hist)
        overall.add(label, dc.count(n), dc.statistic(stats.median(hist), n, unit="days"),
                    dc.statistic(stats.percentile(hist, 90), n, unit="days"), dc.text(""))
    page.tables.append(overall)
    median = dc.statistic(stats.median(answer_w), stats.histogram_size(answer_w), unit="working days")
    page.headlines = [Headline("Median time to answer", median),
                      Headline("Answered within the rule", dc.rate(in_rule, stats.histogram_size(answer_w)))]

    names = topic_names()
    columns = ["Referrals answered", "Median working days to answer", "90th percentile", "Share within the rule"]
    by_category = Table("by-category", "By category of service", ["Category", *columns])
    for code, hist in sorted(by_cat.items()):
        by_category.add(names.get(("category", code), code or "No category"),
                        *_timeliness_cells(_days_taken(hist), in_rule_by.get(("category", code), 0), r))
    page.tables.append(by_category)
    answered = [p for p in days_taken_by_provider(F.answer_working_days, filters, F.answered_in_rule) if p.days.n]
    by_provider = Table("by-provider", "By receiving provider (most referrals first)", ["Provider", *columns],
                        screen_rows=50)
    for p in sorted(answered, key=lambda p: (-p.days.n, p.name or "")):
        by_provider.add(p.name if p.name is not None else "Provider no longer listed", *_timeliness_cells(p.days, p.sums[0], r))
    page.tables.append(by_provider)
    return page


# ---- 6. outcomes -----------------------------------------------------------------------------------------------


def _outcome_cells(n: int, total: float, squares: float, lower_is_better: bool) -> list[dc.Figure]:
    interval = stats.mean_interval(n, total, squares)
    mean = interval[0] if interval else None
    cells = [dc.count(n), dc.statistic(mean, n, kind="mean", decimals=2)]
    if interval:
        cells += [dc.statistic(interval[1], n, kind="mean", decimals=2),
                  dc.statistic(interval[2], n, kind="mean", decimals=2)]
    else:
        cells += [dc.statistic(None, n), dc.statistic(None, n)]
    cells.append(dc.text("lower is better" if lower_is_better else "higher is better"))
    return cells


def outcomes(filters: Filters) -> Page:
    page = Page()
    closed = referral_totals(filters)["closed"]
    W = weekly_source(InsightOutcomeWeek, filters)
    change = [_sum(W.c.people), _sum(W.c.change_sum), _sum(W.c.change_squares)]
    with_pairs = {scale: int(n) for scale, n in _run(
        select(W.c.scale, _sum(W.c.people)).where(W.c.facet == "", W.c.item == "").group_by(W.c.scale))}
    columns = ["People with both scores", "Mean change", "95% CI low", "95% CI high", "Direction"]
    names = topic_names()
    for scale in scales.scales().values():
        items = {item.code: item for item in scale.items}
        follow_up = dc.rate(with_pairs.get(scale.code, 0), closed)
        table = Table(f"{scale.code}-items", f"{scale.name}: paired change from referral to close, per question",
                      ["Question", *columns],
                      note=f"Follow-up rate: {follow_up.text} of closed referrals have both a baseline and a close "
                           f"score. Only people with both are counted. {scale.licence}.")
        rows = {item: (int(n), float(t), float(q)) for item, n, t, q in _run(
            select(W.c.item, *change).where(W.c.facet == "", W.c.scale == scale.code).group_by(W.c.item))}
        for code, item in items.items():
            n, t, q = rows.get(code, (0, 0.0, 0.0))
            table.add(item.question, *_outcome_cells(n, t, q, item.lower_is_better))
        page.tables.append(table)
        page.headlines.append(Headline(f"{scale.name}: follow-up rate", follow_up))
        for facet in ("category", "need"):
            query = (select(W.c.code, W.c.item, *change).where(W.c.facet == facet, W.c.scale == scale.code)
                     .group_by(W.c.code, W.c.item).order_by(W.c.code, W.c.item))
            by = Table(f"{scale.code}-by-{facet}", f"{scale.name}: paired change by {facet}",
                       ["Category" if facet == "category" else "Need", "Question", *columns])
            for key, item_code, n, t, q in _run(query):
                if item_code not in items:
                    continue
                by.add([names.get((facet, key), key or "None"), items[item_code].question],
                       *_outcome_cells(int(n), float(t), float(q), items[item_code].lower_is_better))
            page.tables.append(by)

    codes = current_app.config.get("GP_RECORD_CODES") or {}
    gp = Table("gp-record-codes", "GP record codes for practice returns, by referring team",
               ["Referring team", "Referred", "Declined", "Completed"],
               note="Codes: " + ("; ".join(f"{key}: {value.get('code', '')} {value.get('term', '')}"
                                           for key, value in codes.items() if isinstance(value, dict))
                                 or "none are set for this deployment (GP_RECORD_CODES)."))
    team_rows = _named(select(F.team_id, func.count(), _flag(F.status == "declined"), _flag(F.completed))
                       .where(*_fact_where(filters)).group_by(F.team_id), "team_id", Team)
    for _team_id, referred, declined, completed, name in sorted(team_rows, key=lambda r: r[4] or ""):
        gp.add("Team no longer listed" if name is None else name, dc.count(referred), dc.count(declined),
               dc.count(completed))
    gp.total = [dc.text("Total"), dc.total(r[1] for r in team_rows), dc.total(r[2] for r in team_rows),
                dc.total(r[3] for r in team_rows)]
    page.tables.append(gp)
    return page


# ---- 7. providers ----------------------------------------------------------------------------------------------


def providers(filters: Filters) -> Page:
    page = Page()
    found = days_taken_by_provider(F.answer_days, filters, F.accepted, F.completed)
    micro = {org_id for org_id, flag in _run(
        select(SV.organization_id, func.max(case((SV.micro_provider, 1), else_=0))).group_by(SV.organization_id))
        if flag}
    table = Table("providers", "Providers: referrals received and how they went (most referrals first)",
                  ["Provider", "Micro-provider", "Referrals received", "Share accepted", "Median days to answer",
                   "Share completed"], screen_rows=100)
    r = dc.rule()
    for p in sorted(found, key=lambda p: (-p.referrals, p.name or "")):
        accepted, completed = p.sums
        table.add([p.name if p.name is not None else "Provider no longer listed", "Yes" if p.organization_id in micro else "No"],
                  dc.count(p.referrals, r), dc.rate(accepted, p.referrals, r),
                  dc.statistic(p.days.median, p.days.n, unit="days", r=r), dc.rate(completed, p.referrals, r))
    received = sum(p.referrals for p in found)
    table.total = [dc.text("Total"), dc.text(""), dc.total(p.referrals for p in found),
                   dc.rate(sum(p.sums[0] for p in found), received), dc.text(""),
                   dc.rate(sum(p.sums[1] for p in found), received)]
    page.tables.append(table)
    page.headlines = [Headline("Providers receiving referrals", dc.count(len(found)))]
    return page


# Tables too long to build for the page: built only for their CSV download.
CSV_ONLY = {("unmet-need", "no-result-by-week"): no_result_by_week}
# Parts of a page that another page shows (cached as "<page>/<part>").
PARTS = {("funnel", "stages"): funnel_stages}

PAGES = {
    "overview": ("Overview", overview),
    "unmet-need": ("Unmet need", unmet_need),
    "coverage": ("Coverage and directory health", coverage),
    "funnel": ("Referral funnel", funnel),
    "timeliness": ("Timeliness", timeliness),
    "outcomes": ("Outcomes", outcomes),
    "providers": ("Providers", providers),
}
