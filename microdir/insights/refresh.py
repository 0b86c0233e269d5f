"""Keep the insight summary tables up to date: the ``insights.refresh`` job (cron or RQ), also run by the demo loader.

- Searches: search-log rows after the last one rolled up are counted per day × council × postcode district × topic,
  and added to ``insight_search_day`` (an upsert), so each row is read once, ever.
- Referrals: any referral with a new event or score since the last run gets its anonymous fact rows rebuilt.
  Only anonymous columns are read (status, dates, service, team, needs, decline reason, outcome, scores): never a
  personal field, so the figures are the same before and after the retention purge.
- Listings: rebuilt whole each run (one row per listing; 10,000 listings take about a second).
- Weekly roll-ups (what the pages read): only the weeks that gained searches or whose referrals changed are rolled
  up again, from the daily search rows and the referral facts; the first run after an upgrade rolls up every week.

Idempotent: running it twice in a row changes nothing the second time.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Date,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    type_coerce,
    union_all,
    update,
)

from ..domain.listings import assess_micro_provider
from ..domain.referrals import is_working_day
from ..extensions import db
from ..models import (
    Address,
    Attribute,
    InsightOutcomeWeek,
    InsightPageCache,
    InsightReferralFact,
    InsightReferralNeed,
    InsightReferralWeek,
    InsightScorePair,
    InsightSearchDay,
    InsightSearchWeek,
    InsightService,
    InsightServiceKey,
    InsightState,
    InsightTimingWeek,
    InsightZeroQuery,
    Location,
    MicroProviderProfile,
    QualityCheck,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SearchLog,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
    Team,
    WellbeingScore,
    utcnow,
)
from ..models.directory import AreaType, ListingStatus

FEW_RESULTS = 3  # "few results": 1 to 3, the point at which search itself suggests widening
BATCH = 20_000
CATEGORY_TAXONOMY = "categories"
NEED_TAXONOMY = "needs"


def _position(name: str) -> int:
    state = db.session.get(InsightState, name)
    return state.position if state else 0


def _set_position(name: str, position: int) -> None:
    state = db.session.get(InsightState, name)
    if state is None:
        db.session.add(InsightState(name=name, position=position, updated_at=utcnow()))
    else:
        state.position, state.updated_at = position, utcnow()
    db.session.flush()


def last_refreshed() -> datetime | None:
    """Return when the summaries were last brought up to date (None before the first run)."""
    return db.session.scalar(select(InsightState.updated_at).where(InsightState.name == "refreshed"))


def refresh_marker() -> tuple[int, datetime] | None:
    """Return what changes whenever the summaries do: a random number drawn by each run, and its time."""
    row = db.session.execute(select(InsightState.position, InsightState.updated_at)
                             .where(InsightState.name == "refreshed")).first()
    return (row[0], row[1]) if row else None


def _mark_refreshed() -> None:
    """Draw a new marker, and forget the pages the other processes kept for the old one (``cache``)."""
    _set_position("refreshed", secrets.randbits(31))
    db.session.execute(delete(InsightPageCache))


def _insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows with one Core executemany per 10,000 (not the ORM's bulk path, nor multi-row VALUES: compiling
    a statement with thousands of VALUES cost more than it saved, 100 s against 28 s for 2,000 referrals)."""
    connection = db.session.connection()
    for start in range(0, len(rows), 10_000):
        connection.execute(insert(model.__table__), list(rows[start:start + 10_000]))


# ---- searches --------------------------------------------------------------------------------------------------

# Searches are rolled up in SQL: a search counts once in the total (facet ""), and once under each category and
# need it was filtered by. The JSON list of a filter is expanded by the database (json_each / json_array_elements).
_SEARCH_ROLLUP: dict[str, dict[str, Any]] = {
    "sqlite": {
        "day": "date(s.at)",
        "topics": {"": "", "category": ", json_each(s.filters, '$.category') AS t",
                   "need": ", json_each(s.filters, '$.need') AS t"},
    },
    "postgresql": {
        "day": "CAST(s.at AS date)",
        "topics": {"": "", "category": ", json_array_elements_text(s.filters -> 'category') AS t(value)",
                   "need": ", json_array_elements_text(s.filters -> 'need') AS t(value)"},
    },
}


def refresh_searches() -> int:
    """Roll up search-log rows not yet counted into the daily summaries; return how many were read.

    Only first pages count (the next page of the same search is not another search). The database does the
    counting: reading 1,000,000 rows into Python to count them took minutes.
    """
    position = _position("search_log")
    last = db.session.scalar(select(db.func.max(SearchLog.id))) or 0
    if last <= position:
        return 0
    sql = _SEARCH_ROLLUP["postgresql" if db.engine.dialect.name == "postgresql" else "sqlite"]
    day = sql["day"]
    for facet, join in sql["topics"].items():
        code = "substr(t.value, 1, 100)" if facet else "''"
        db.session.execute(text(f"""
            INSERT INTO insight_search_day (day, lad_code, outcode, facet, code, searches, zero_results, few_results)
            SELECT {day}, coalesce(s.lad_code, ''), coalesce(s.outcode, ''), '{facet}', {code}, count(*),
                   sum(CASE WHEN s.result_count = 0 THEN 1 ELSE 0 END),
                   sum(CASE WHEN s.result_count BETWEEN 1 AND {FEW_RESULTS} THEN 1 ELSE 0 END)
            FROM search_log s{join}
            WHERE s.id > :low AND s.id <= :high AND s.page = 1
            GROUP BY {day}, coalesce(s.lad_code, ''), coalesce(s.outcode, ''){", " + code if facet else ""}
            ON CONFLICT (day, lad_code, outcode, facet, code) DO UPDATE SET
              searches = insight_search_day.searches + excluded.searches,
              zero_results = insight_search_day.zero_results + excluded.zero_results,
              few_results = insight_search_day.few_results + excluded.few_results
        """), {"low": position, "high": last})
    db.session.execute(text(f"""
        INSERT INTO insight_zero_query (day, lad_code, outcode, query, searches)
        SELECT {day}, coalesce(s.lad_code, ''), coalesce(s.outcode, ''), substr(s.query, 1, 255), count(*)
        FROM search_log s
        WHERE s.id > :low AND s.id <= :high AND s.page = 1 AND s.result_count = 0 AND s.query <> ''
        GROUP BY {day}, coalesce(s.lad_code, ''), coalesce(s.outcode, ''), substr(s.query, 1, 255)
        ON CONFLICT (day, lad_code, outcode, query) DO UPDATE SET
          searches = insight_zero_query.searches + excluded.searches
    """), {"low": position, "high": last})
    read, first_at, last_at = db.session.execute(select(func.count(), func.min(SearchLog.at), func.max(SearchLog.at))
                                                 .where(SearchLog.id > position, SearchLog.id <= last)).one()
    if first_at is not None and last_at is not None:
        rebuild_search_weeks(weeks_between(first_at.date(), last_at.date()))
    _set_position("search_log", last)
    return int(read or 0)


# ---- listings --------------------------------------------------------------------------------------------------


def _council_of_postcode(postcode: str) -> str | None:
    from ..geo import lookup as gazetteer

    try:
        found = gazetteer.geocode_postcode(postcode)
    except Exception:  # the gazetteer is not loaded (a fresh install): the council stays unknown
        return None
    return found.lad_code if found else None


def _outcode(postcode: str) -> str:
    return postcode.strip().upper().replace(" ", "")[:-3] if len(postcode.strip()) > 4 else postcode.strip().upper()


def refresh_services(now: datetime | None = None) -> int:
    """Bring the listing summaries up to date; return how many listings' summaries changed (new, changed or gone).

    Every listing is worked out again (being stale or verified changes with time alone), but only the rows that
    differ are written: writing all 10,000 listings' rows each run cost more than working them out."""
    now = now or utcnow()
    config = current_app.config
    hide_after = timedelta(days=int(config["STALE_HIDE_DAYS"]))
    today = now.date()
    services = db.session.execute(
        select(Service.id, Service.organization_id, Service.listing_status, Service.capacity_status,
               Service.last_verified_at, Service.first_published_at, Service.created_at)
    ).all()
    terms = db.session.execute(
        select(Attribute.link_id, TaxonomyTerm.code, TaxonomyTerm.taxonomy_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id).where(Attribute.link_type == "service")
    ).all()
    from ..domain.taxonomy import CATEGORIES_TAXONOMY_ID

    topics: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for service_id, code, taxonomy_id in terms:
        if code:
            topics[service_id].add(("category" if taxonomy_id == CATEGORIES_TAXONOMY_ID else "need", code))
    areas: dict[str, set[str]] = defaultdict(set)
    for service_id, area_type, lad_codes, outcodes in db.session.execute(
        select(ServiceArea.service_id, ServiceArea.area_type, ServiceArea.lad_codes, ServiceArea.outcodes)
    ):
        if area_type is AreaType.REMOTE:
            continue
        areas[service_id].update(f"lad:{code}" for code in lad_codes or [])
        areas[service_id].update(f"pc:{code.upper()}" for code in outcodes or [])
    councils: dict[str, str | None] = {}
    for service_id, postcode in db.session.execute(
        select(ServiceAtLocation.service_id, Address.postal_code)
        .join(Location, Location.id == ServiceAtLocation.location_id).join(Address, Address.location_id == Location.id)
    ):
        if not postcode:
            continue
        areas[service_id].add(f"pc:{_outcode(postcode)}")
        if postcode not in councils:
            councils[postcode] = _council_of_postcode(postcode)
        if councils[postcode]:
            areas[service_id].add(f"lad:{councils[postcode]}")
    micro = {profile.organization_id: assess_micro_provider(profile).is_micro_provider
             for profile in db.session.scalars(select(MicroProviderProfile))}
    checked = set(db.session.scalars(
        select(QualityCheck.organization_id).where(QualityCheck.checked_on.is_not(None))
        .where((QualityCheck.expires_on.is_(None)) | (QualityCheck.expires_on >= today))
    ))
    rows, keys = [], []
    for sid, org_id, listing_status, capacity, verified_at, published_at, created_at in services:
        confirmed = verified_at or published_at or created_at
        published = listing_status is ListingStatus.PUBLISHED
        stale = confirmed is None or now - confirmed > hide_after
        rows.append({
            "service_id": sid, "organization_id": org_id, "listing_status": listing_status.value,
            "active": published and not stale, "stale_hidden": published and stale, "verified": org_id in checked,
            "micro_provider": bool(micro.get(org_id)), "capacity": capacity.value if capacity else "",
            "confirmed_at": confirmed,
        })
        for area in areas.get(sid) or {""}:
            for facet, code in {("", ""), *topics.get(sid, set())}:
                keys.append({"service_id": sid, "facet": facet, "code": code, "area": area})
    return _write_changed_services(rows, keys)


def _write_changed_services(rows: list[dict[str, Any]], keys: list[dict[str, Any]]) -> int:
    connection = db.session.connection()
    stored = {row["service_id"]: dict(row) for row in connection.execute(select(InsightService.__table__)).mappings()}
    stored_keys = set(connection.execute(select(InsightServiceKey.service_id, InsightServiceKey.facet,
                                                InsightServiceKey.code, InsightServiceKey.area)).tuples())
    new_keys = {(k["service_id"], k["facet"], k["code"], k["area"]) for k in keys}
    current = {row["service_id"] for row in rows}
    changed_rows = [row for row in rows if stored.get(row["service_id"]) != row]
    gone = set(stored) - current
    rekeyed = {key[0] for key in stored_keys ^ new_keys}
    for table, ids in ((InsightService, gone | {row["service_id"] for row in changed_rows}),
                       (InsightServiceKey, rekeyed)):
        wanted = sorted(ids)
        for start in range(0, len(wanted), 2000):
            db.session.execute(delete(table).where(table.service_id.in_(wanted[start:start + 2000])))
    _insert(InsightService, changed_rows)
    _insert(InsightServiceKey, [k for k in keys if k["service_id"] in rekeyed])
    db.session.flush()
    return len(changed_rows) + len(gone)


def service_places() -> dict[str, tuple[str, str, str]]:
    """Return service id → (first category, council, postcode district) from the listing summaries."""
    places: dict[str, list[str]] = defaultdict(lambda: ["", "", ""])
    for service_id, facet, code, area in db.session.execute(
        select(InsightServiceKey.service_id, InsightServiceKey.facet, InsightServiceKey.code, InsightServiceKey.area)
        .where(InsightServiceKey.facet.in_(("", "category"))).order_by(
            InsightServiceKey.service_id, InsightServiceKey.code, InsightServiceKey.area)
    ):
        place = places[service_id]
        if facet == "category" and not place[0]:
            place[0] = code
        if area.startswith("lad:") and not place[1]:
            place[1] = area[4:]
        if area.startswith("pc:") and not place[2]:
            place[2] = area[3:]
    return {k: (v[0], v[1], v[2]) for k, v in places.items()}


# ---- referrals -------------------------------------------------------------------------------------------------


def working_days_between(start: datetime, end: datetime, region: str) -> int:
    """Count the working days after ``start``'s date up to and including ``end``'s date (0 on the same day)."""
    days, current = 0, start.date()
    last = end.date()
    while current < last:
        current += timedelta(days=1)
        days += is_working_day(current, region)
    return days


def _fact(referral: Any, events: list[tuple[datetime, ReferralStatus]], team_kind: str,
          place: tuple[str, str, str], region: str, rule_days: int) -> dict[str, Any]:
    S = ReferralStatus
    reached = {status: at for at, status in sorted(events, key=lambda e: e[0], reverse=True)}  # earliest wins
    sent_at = referral.sent_at or reached.get(S.SENT)
    assert sent_at is not None  # only sent referrals become facts
    answered_at = reached.get(S.ACCEPTED) or reached.get(S.DECLINED)
    accepted_at, contact_at = reached.get(S.ACCEPTED), reached.get(S.FIRST_CONTACT)
    answer_working = working_days_between(sent_at, answered_at, region) if answered_at and sent_at else None
    contact_working = working_days_between(accepted_at, contact_at, region) if contact_at and accepted_at else None
    status = referral.status
    return {
        "referral_id": referral.id, "service_id": referral.service_id, "organization_id": referral.organization_id,
        "team_id": referral.team_id, "team_kind": team_kind, "category": place[0], "lad_code": place[1],
        "outcode": place[2], "status": status.value, "sent_day": sent_at.date(),
        "answered": answered_at is not None, "accepted": accepted_at is not None,
        "answer_days": (answered_at.date() - sent_at.date()).days if answered_at else None,
        "answer_working_days": answer_working,
        "answered_in_rule": answer_working is not None and answer_working <= rule_days,
        "first_contact": contact_at is not None,
        "contact_days": (contact_at.date() - accepted_at.date()).days if contact_at and accepted_at else None,
        "contact_working_days": contact_working,
        "engaged": S.ENGAGED in reached or status is S.CLOSED,
        "closed": status is S.CLOSED,
        "completed": status is S.CLOSED and referral.outcome is not None and referral.outcome.value == "completed",
        "decline_reason": referral.decline_reason.value if referral.decline_reason else "",
        "outcome": referral.outcome.value if referral.outcome else "",
        "updated_at": utcnow(),
    }


def _analyze(*tables: Any) -> None:
    """Let PostgreSQL see how many rows tables have after a large rewrite, before rolling them up: with the
    statistics of the empty tables it planned the first roll-up of 100,000 referrals past the statement timeout."""
    if db.engine.dialect.name == "postgresql":
        for table in tables:
            db.session.execute(text(f"ANALYZE {table.__tablename__}"))


def rebuild_referral_facts(referral_ids: Iterable[str], places: dict[str, tuple[str, str, str]] | None = None) -> int:
    """Rebuild the fact rows of these referrals from their anonymous columns; return how many were written."""
    config = current_app.config
    region = config["BANK_HOLIDAYS_REGION"] or ""
    rule_days = int(config["REFERRAL_OVERDUE_WORKING_DAYS"])
    places = service_places() if places is None else places
    ids = list(dict.fromkeys(referral_ids))
    teams = {team_id: kind.value for team_id, kind in db.session.execute(select(Team.id, Team.kind))}
    written = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        for table in (InsightReferralFact, InsightReferralNeed, InsightScorePair):
            db.session.execute(delete(table).where(table.referral_id.in_(chunk)))
        referrals = db.session.execute(
            select(Referral.id, Referral.service_id, Referral.organization_id, Referral.team_id, Referral.status,
                   Referral.sent_at, Referral.decline_reason, Referral.outcome, Referral.needs)
            .where(Referral.id.in_(chunk), Referral.sent_at.is_not(None))
        ).all()
        events: dict[str, list[tuple[datetime, ReferralStatus]]] = defaultdict(list)
        for referral_id, at, to_status in db.session.execute(
            select(ReferralEvent.referral_id, ReferralEvent.at, ReferralEvent.to_status)
            .where(ReferralEvent.referral_id.in_(chunk))
        ):
            events[referral_id].append((at, to_status))
        scores: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
        for referral_id, scale, stage, items in db.session.execute(
            select(WellbeingScore.referral_id, WellbeingScore.scale, WellbeingScore.stage, WellbeingScore.items)
            .where(WellbeingScore.referral_id.in_(chunk))
        ):
            scores[referral_id][(scale, stage)] = items or {}
        facts: list[dict[str, Any]] = []
        needs: list[Any] = []
        pairs: list[Any] = []
        for referral in referrals:
            place = places.get(referral.service_id, ("", "", ""))
            facts.append(_fact(referral, events[referral.id], teams.get(referral.team_id, ""), place, region,
                               rule_days))
            sent_day = facts[-1]["sent_day"]
            needs.extend({"referral_id": referral.id, "need": str(n)[:100], "sent_day": sent_day}
                         for n in dict.fromkeys(referral.needs or []))
            held = scores.get(referral.id, {})
            for (scale, stage), items in held.items():
                if stage != "referral" or (scale, "close") not in held:
                    continue
                after = held[(scale, "close")]
                for item, before_value in items.items():
                    if item in after and before_value is not None and after[item] is not None:
                        pairs.append({"referral_id": referral.id, "scale": scale, "item": item, "sent_day": sent_day,
                                      "baseline": float(before_value), "close": float(after[item])})
        _insert(InsightReferralFact, facts)
        _insert(InsightReferralNeed, needs)
        _insert(InsightScorePair, pairs)
        written += len(facts)
    db.session.flush()
    return written


def refresh_referrals() -> int:
    """Rebuild the facts of every referral with a new event or score since the last run; return how many."""
    event_position, score_position = _position("referral_event"), _position("wellbeing_score")
    last_event = db.session.scalar(select(db.func.max(ReferralEvent.id))) or 0
    last_score = db.session.scalar(select(db.func.max(WellbeingScore.id))) or 0
    changed = set(db.session.scalars(select(ReferralEvent.referral_id).where(
        ReferralEvent.id > event_position, ReferralEvent.id <= last_event)))
    changed.update(db.session.scalars(select(WellbeingScore.referral_id).where(
        WellbeingScore.id > score_position, WellbeingScore.id <= last_score)))
    if score_position > last_score:  # scores were replaced (new ids are reused on SQLite): rebuild from the start
        changed.update(db.session.scalars(select(WellbeingScore.referral_id)))
    weeks = _sent_weeks(changed)  # before and after: a referral whose facts go still leaves its week changed
    written = rebuild_referral_facts(sorted(changed)) if changed else 0
    if written > 10_000:
        _analyze(InsightReferralFact, InsightReferralNeed, InsightScorePair)
    rebuild_referral_weeks(weeks | _sent_weeks(changed))
    _set_position("referral_event", last_event)
    _set_position("wellbeing_score", last_score)
    return written


def refresh_all(now: datetime | None = None) -> dict[str, int]:
    """Bring every summary up to date; the caller commits."""
    # First run, or the weekly roll-ups are new since the last run: roll every week up.
    rolled = rebuild_all_weeks() if _position("weekly") < WEEKLY_VERSION else 0
    result = {"search-log rows": refresh_searches(), "listings changed": refresh_services(now),
              "referrals": refresh_referrals()}
    if rolled or any(result.values()) or refresh_marker() is None:  # nothing new: cached pages stay good
        _mark_refreshed()
    return result


def rebuild_everything() -> dict[str, int]:
    """Empty every summary and build it again from the start (``flask insights rebuild``)."""
    for table in (InsightSearchDay, InsightZeroQuery, InsightReferralFact, InsightReferralNeed, InsightScorePair,
                  *WEEKLY_TABLES):
        db.session.execute(delete(table))
    db.session.execute(update(InsightState).values(position=0))
    db.session.flush()
    result = {"search-log rows": refresh_searches(), "listings changed": refresh_services()}
    ids = list(db.session.scalars(select(Referral.id).where(Referral.sent_at.is_not(None))))
    result["referrals"] = rebuild_referral_facts(ids)
    _analyze(InsightSearchDay, InsightReferralFact, InsightReferralNeed, InsightScorePair)
    _set_position("referral_event", db.session.scalar(select(db.func.max(ReferralEvent.id))) or 0)
    _set_position("wellbeing_score", db.session.scalar(select(db.func.max(WellbeingScore.id))) or 0)
    result["weeks"] = rebuild_all_weeks()
    _mark_refreshed()
    return result


# ---- weekly roll-ups -------------------------------------------------------------------------------------------
#
# Each roll-up is written once, as SELECTs over the daily rows (search days, referral facts) of some days of one
# week. The job inserts them for whole weeks; a page runs the same SELECTs for the few days at either end of its
# period that do not make a whole week (``queries.weekly_source``), so a figure is the same whichever way it is read.

WEEKLY_VERSION = 1  # raise it when a roll-up changes: the next run rolls every week up again
F, N, P, SD = InsightReferralFact, InsightReferralNeed, InsightScorePair, InsightSearchDay
TIMING_MEASURES = ("answer_days", "answer_working_days", "contact_days", "contact_working_days")
DECLINE_REASONS = ("no_capacity", "not_eligible", "could_not_contact", "other")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks_between(first: date, last: date) -> list[date]:
    """Return the Mondays of the weeks from ``first`` to ``last``."""
    start = monday(first)
    return [start + timedelta(weeks=i) for i in range((monday(last) - start).days // 7 + 1)]


def _flag(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def week_of(day: Any) -> Any:
    """The Monday of a date column's week, in SQL."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.date_trunc(literal_column("'week'"), day), Date)
    name = f"{day.table.name}.{day.name}"
    return type_coerce(literal_column(
        f"date({name}, '-' || ((CAST(strftime('%w', {name}) AS INTEGER) + 6) % 7) || ' days')"), Date)


def _week_key(week: date | None, day: Any) -> tuple[Any, list[Any]]:
    """Return the week column of a roll-up and what to group by for it: one given week (a literal), or each day's
    own week (the job, rolling up a run of weeks in one statement)."""
    if week is not None:
        return literal(week, Date), []
    key = week_of(day)
    return key, [key]


def _keys(week: Any, facet: str, code: Any, lad_code: Any, outcode: Any) -> list[Any]:
    return [week.label("week"), lad_code.label("lad_code"), outcode.label("outcode"),
            literal(facet, String).label("facet"), (code if facet else literal("", String)).label("code")]


def referral_rollup(week: date | None, first: date, last: date, where: Sequence[Any] = ()) -> list[Select[Any]]:
    """The rows of ``insight_referral_week`` for ``week`` from the facts of referrals sent ``first`` to ``last``."""
    days = [F.sent_day >= first, F.sent_day <= last, *where]
    wk, by_week = _week_key(week, F.sent_day)
    declined = F.status == "declined"
    measures = [
        func.count().label("sent"), _flag(F.accepted).label("accepted"),
        _flag(F.first_contact).label("first_contact"), _flag(F.engaged).label("engaged"),
        _flag(F.completed).label("completed"), _flag(declined).label("declined"),
        _flag(F.status == "expired").label("expired"), _flag(F.status == "withdrawn").label("withdrawn"),
        _flag(F.closed).label("closed"), _flag(F.answered).label("answered"),
        _flag(F.answered_in_rule).label("answered_in_rule"),
        *(_flag(and_(declined, F.decline_reason == reason)).label(f"declined_{reason}") for reason in DECLINE_REASONS),
    ]
    return [
        select(*_keys(wk, "", None, F.lad_code, F.outcode), *measures).where(*days)
        .group_by(*by_week, F.lad_code, F.outcode),
        select(*_keys(wk, "category", F.category, F.lad_code, F.outcode), *measures).where(*days)
        .group_by(*by_week, F.lad_code, F.outcode, F.category),
        select(*_keys(wk, "need", N.need, F.lad_code, F.outcode), *measures).select_from(N)
        .join(F, F.referral_id == N.referral_id).where(N.sent_day >= first, N.sent_day <= last, *days)
        .group_by(*by_week, F.lad_code, F.outcode, N.need),
    ]


def timing_rollup(week: date | None, first: date, last: date, where: Sequence[Any] = ()) -> list[Select[Any]]:
    """The rows of ``insight_timing_week``: how many referrals took each number of days, per measure."""
    days = [F.sent_day >= first, F.sent_day <= last, *where]
    wk, by_week = _week_key(week, F.sent_day)
    parts = []
    for facet, measure in [("", m) for m in TIMING_MEASURES] + [("category", "answer_working_days")]:
        column = getattr(F, measure)
        groups = [*by_week, F.lad_code, F.outcode, *([F.category] if facet else []), column]
        parts.append(select(*_keys(wk, facet, F.category, F.lad_code, F.outcode),
                            literal(measure, String).label("measure"), column.label("days"),
                            func.count().label("referrals")).where(column.is_not(None), *days).group_by(*groups))
    return parts


def outcome_rollup(week: date | None, first: date, last: date, where: Sequence[Any] = ()) -> list[Select[Any]]:
    """The rows of ``insight_outcome_week``: paired change per scale and question, and (item "") the closed
    referrals with a pair on the scale."""
    # The pairs' own copy of the day keeps both sides of the join to those days (not every pair ever).
    days = [F.sent_day >= first, F.sent_day <= last, P.sent_day >= first, P.sent_day <= last, *where]
    wk, by_week = _week_key(week, F.sent_day)
    diff = P.close - P.baseline
    change: list[Any] = [func.count().label("people"), func.sum(diff).label("change_sum"),
              func.sum(diff * diff).label("change_squares")]
    paired = select().select_from(P).join(F, F.referral_id == P.referral_id)
    parts = [
        paired.add_columns(*_keys(wk, "", None, F.lad_code, F.outcode), P.scale, P.item, *change).where(*days)
        .group_by(*by_week, F.lad_code, F.outcode, P.scale, P.item),
        paired.add_columns(*_keys(wk, "category", F.category, F.lad_code, F.outcode), P.scale, P.item, *change)
        .where(*days).group_by(*by_week, F.lad_code, F.outcode, F.category, P.scale, P.item),
        paired.join(N, N.referral_id == P.referral_id)
        .add_columns(*_keys(wk, "need", N.need, F.lad_code, F.outcode), P.scale, P.item, *change)
        .where(N.sent_day >= first, N.sent_day <= last, *days).group_by(*by_week, F.lad_code, F.outcode, N.need, P.scale, P.item),
        paired.add_columns(*_keys(wk, "", None, F.lad_code, F.outcode), P.scale,
                           literal("", String).label("item"), func.count(func.distinct(P.referral_id)).label("people"),
                           literal(0.0, Float).label("change_sum"), literal(0.0, Float).label("change_squares"))
        .where(F.closed, *days).group_by(*by_week, F.lad_code, F.outcode, P.scale),
    ]
    return parts


def search_rollup(week: date | None, first: date, last: date, where: Sequence[Any] = ()) -> list[Select[Any]]:
    """The rows of ``insight_search_week`` from the daily search rows ``first`` to ``last``."""
    wk, by_week = _week_key(week, SD.day)
    return [select(*_keys(wk, "", None, SD.lad_code, SD.outcode)[:3], SD.facet, SD.code,
                   func.sum(SD.searches).label("searches"), func.sum(SD.zero_results).label("zero_results"),
                   func.sum(SD.few_results).label("few_results"))
            .where(SD.day >= first, SD.day <= last, *where).group_by(*by_week, SD.lad_code, SD.outcode, SD.facet, SD.code)]


WEEKLY_ROLLUPS: dict[Any, Any] = {
    InsightReferralWeek: referral_rollup, InsightTimingWeek: timing_rollup, InsightOutcomeWeek: outcome_rollup,
    InsightSearchWeek: search_rollup,
}
WEEKLY_TABLES = tuple(WEEKLY_ROLLUPS)


RUN_WEEKS = 13  # weeks rolled up by one statement at most: a quarter keeps each well inside the statement timeout


def _runs(weeks: Iterable[date]) -> list[tuple[date, date]]:
    """Group Mondays into runs of up to RUN_WEEKS consecutive weeks: (first Monday, last Monday)."""
    runs: list[tuple[date, date]] = []
    for week in sorted(set(weeks)):
        if runs and week - runs[-1][1] == timedelta(weeks=1) and (week - runs[-1][0]).days < 7 * RUN_WEEKS:
            runs[-1] = (runs[-1][0], week)
        else:
            runs.append((week, week))
    return runs


def _rebuild_weeks(tables: Sequence[Any], weeks: Iterable[date]) -> int:
    """Delete these weeks' rows and roll them up again: one INSERT … SELECT a table per run of consecutive weeks
    (a year of weeks is one statement, not 52)."""
    wanted = sorted(set(weeks))
    for table in tables:
        for start in range(0, len(wanted), 500):
            db.session.execute(delete(table).where(table.week.in_(wanted[start:start + 500])))
        for first, last in _runs(wanted):
            parts = WEEKLY_ROLLUPS[table](None, first, last + timedelta(days=6))
            names = [column.name for column in parts[0].selected_columns]
            db.session.execute(insert(table).from_select(names, union_all(*parts)))
    db.session.flush()
    return len(wanted)


def rebuild_search_weeks(weeks: Iterable[date]) -> int:
    """Roll these weeks' daily search rows up again; return how many weeks."""
    return _rebuild_weeks([InsightSearchWeek], weeks)


def rebuild_referral_weeks(weeks: Iterable[date]) -> int:
    """Roll these weeks' referral facts up again (counts, days taken, paired change); return how many weeks."""
    return _rebuild_weeks([InsightReferralWeek, InsightTimingWeek, InsightOutcomeWeek], weeks)


def _sent_weeks(referral_ids: Iterable[str]) -> set[date]:
    ids = list(referral_ids)
    found: set[date] = set()
    for start in range(0, len(ids), 2000):
        found.update(monday(day) for day in db.session.scalars(
            select(F.sent_day).where(F.referral_id.in_(ids[start:start + 2000])).distinct()))
    return found


def rebuild_all_weeks() -> int:
    """Roll every week up again (the first run, ``flask insights rebuild``); return how many weeks."""
    for table in WEEKLY_TABLES:
        db.session.execute(delete(table))
    total = 0
    for tables, column in (([InsightSearchWeek], SD.day), ([InsightReferralWeek, InsightTimingWeek,
                                                             InsightOutcomeWeek], F.sent_day)):
        first, last = db.session.execute(select(func.min(column), func.max(column))).one()
        if first is not None:
            total += _rebuild_weeks(tables, weeks_between(first, last))
    _set_position("weekly", WEEKLY_VERSION)
    return total
