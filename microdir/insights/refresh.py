"""Keep the insight summary tables up to date: the ``insights.refresh`` job (cron or RQ), also run by the demo loader.

- Searches: search-log rows after the last one rolled up are counted per day × council × postcode district × topic,
  and added to ``insight_search_day`` (an upsert), so each row is read once, ever.
- Referrals: any referral with a new event or score since the last run gets its anonymous fact rows rebuilt.
  Only anonymous columns are read (status, dates, service, team, needs, decline reason, outcome, scores): never a
  personal field, so the figures are the same before and after the retention purge.
- Listings: rebuilt whole each run (one row per listing; 10,000 listings take about a second).

Idempotent: running it twice in a row changes nothing the second time.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, select, text, update

from ..domain.listings import assess_micro_provider
from ..domain.referrals import is_working_day
from ..extensions import db
from ..models import (
    Address,
    Attribute,
    InsightReferralFact,
    InsightReferralNeed,
    InsightScorePair,
    InsightSearchDay,
    InsightService,
    InsightServiceKey,
    InsightState,
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
    _set_position("refreshed", secrets.randbits(31))


def _insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows with one Core executemany per 10,000 (not the ORM's bulk path, nor multi-row VALUES: compiling
    a statement with thousands of VALUES cost more than it saved, 100 s against 28 s for 2,000 referrals)."""
    connection = db.session.connection()
    for start in range(0, len(rows), 10_000):
        connection.execute(insert(model.__table__), list(rows[start:start + 10_000]))


# ---- searches --------------------------------------------------------------------------------------------------

# Searches are rolled up in SQL: a search counts once in the total (facet ""), and once under each category and
# need it was filtered by. The JSON list of a filter is expanded by the database (json_each / json_array_elements).
_SEARCH_ROLLUP = {
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
    read = db.session.scalar(select(db.func.count()).select_from(SearchLog).where(
        SearchLog.id > position, SearchLog.id <= last)) or 0
    _set_position("search_log", last)
    return int(read)


# ---- listings --------------------------------------------------------------------------------------------------


def _council_of_postcode(postcode: str) -> str | None:
    from ..geo import gazetteer

    try:
        found = gazetteer.geocode_postcode(postcode)
    except Exception:  # the gazetteer is not loaded (a fresh install): the council stays unknown
        return None
    return found.lad_code if found else None


def _outcode(postcode: str) -> str:
    return postcode.strip().upper().replace(" ", "")[:-3] if len(postcode.strip()) > 4 else postcode.strip().upper()


def refresh_services(now: datetime | None = None) -> int:
    """Rebuild the listing summaries; return how many listings there are."""
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
    db.session.execute(delete(InsightServiceKey))
    db.session.execute(delete(InsightService))
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
    _insert(InsightService, rows)
    _insert(InsightServiceKey, keys)
    db.session.flush()
    return len(rows)


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
        facts, needs, pairs = [], [], []
        for referral in referrals:
            place = places.get(referral.service_id, ("", "", ""))
            facts.append(_fact(referral, events[referral.id], teams.get(referral.team_id, ""), place, region,
                               rule_days))
            needs.extend({"referral_id": referral.id, "need": str(n)[:100]} for n in dict.fromkeys(referral.needs or []))
            held = scores.get(referral.id, {})
            for (scale, stage), items in held.items():
                if stage != "referral" or (scale, "close") not in held:
                    continue
                after = held[(scale, "close")]
                for item, before_value in items.items():
                    if item in after and before_value is not None and after[item] is not None:
                        pairs.append({"referral_id": referral.id, "scale": scale, "item": item,
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
    written = rebuild_referral_facts(sorted(changed)) if changed else 0
    _set_position("referral_event", last_event)
    _set_position("wellbeing_score", last_score)
    return written


def refresh_all(now: datetime | None = None) -> dict[str, int]:
    """Bring every summary up to date; the caller commits."""
    result = {"search-log rows": refresh_searches(), "listings": refresh_services(now),
              "referrals": refresh_referrals()}
    _mark_refreshed()
    return result


def rebuild_everything() -> dict[str, int]:
    """Empty every summary and build it again from the start (``flask insights rebuild``)."""
    for table in (InsightSearchDay, InsightZeroQuery, InsightReferralFact, InsightReferralNeed, InsightScorePair):
        db.session.execute(delete(table))
    db.session.execute(update(InsightState).values(position=0))
    db.session.flush()
    result = {"search-log rows": refresh_searches(), "listings": refresh_services()}
    ids = list(db.session.scalars(select(Referral.id).where(Referral.sent_at.is_not(None))))
    result["referrals"] = rebuild_referral_facts(ids)
    _set_position("referral_event", db.session.scalar(select(db.func.max(ReferralEvent.id))) or 0)
    _set_position("wellbeing_score", db.session.scalar(select(db.func.max(WellbeingScore.id))) or 0)
    _mark_refreshed()
    return result
