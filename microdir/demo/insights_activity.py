"""A year of synthetic activity for the insight pages: searches, referrals in every state with ONS4 scores, declines.

Searches cluster where the directory is thin: for each (category or need, council) the chance of a search finding
nothing or little follows how many listings there really are, so the unmet-need page points at real gaps. A few
services are marked full or with a waiting list, and referrals to them are mostly declined for no capacity.
Referrals walk the real state machine's states with their events, on working days, so timeliness, the funnel and
outcomes all have content. Everything is bulk-inserted (a few seconds on SQLite) and seeded, so the same seed gives
the same activity. The people are fictional ("Demo person 123").
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from ..domain.referrals import CONSENT_WORDINGS, REFERENCE_ALPHABET, is_working_day
from ..extensions import db
from ..models import (
    CapacityStatus,
    CloseOutcome,
    DeclineReason,
    InsightServiceKey,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SearchLog,
    Service,
    Team,
    TeamKind,
    WellbeingScore,
    utcnow,
)
from ..models.directory import ListingStatus
from .builder import read_postcodes

TEAMS = [("Cape Hill Medical Centre", TeamKind.GP_PRACTICE), ("Walsall Council Community Connectors",
                                                              TeamKind.COUNCIL_TEAM),
         ("Oldbury Primary Care Network", TeamKind.PCN), ("Bloxwich Family Practice", TeamKind.GP_PRACTICE),
         ("Wolverhampton Social Prescribing Team", TeamKind.COUNCIL_TEAM)]
# Free text people type that the directory cannot answer (repeated often enough to be shown).
UNMET_WORDS = ["wheelchair taxi", "sign language cafe", "mens shed", "tea dance", "autism sensory group",
               "carers respite overnight", "gardening for dementia", "punjabi lunch club", "bereavement walk",
               "sight loss book club"]
ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")


def _reference(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"MD-{body[:4]}-{body[4:]}"
        if reference not in used:
            used.add(reference)
            return reference


def _working_days_later(start: datetime, days: int, rng: random.Random) -> datetime:
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current.date(), "ENG"):
            left -= 1
    if days == 0:
        current += timedelta(hours=rng.randint(1, 6))
    return current.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59))


def _team(name: str, kind: TeamKind) -> Team:
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, kind=kind)
        db.session.add(team)
        db.session.flush()
    return team


def load_insight_activity(seed: int = 1, days: int = 365, searches_per_day: int = 60, referrals_per_day: int = 5,
                          progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the searches, referrals, events and scores; bring the insight summaries up to date; commit."""
    from ..insights.refresh import refresh_all, refresh_services

    say = progress or (lambda _message: None)
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(days=days)

    services = db.session.execute(select(Service.id, Service.organization_id).where(
        Service.listing_status == ListingStatus.PUBLISHED).order_by(Service.id)).all()
    if not services:
        raise ValueError("Load the demo directory first (flask demo load).")
    # Some services fill up: capacity declines follow.
    full = {sid for sid, _org in rng.sample(services, max(1, len(services) // 12))}
    waiting = {sid for sid, _org in rng.sample(services, max(1, len(services) // 12))} - full
    db.session.execute(update(Service).where(Service.id.in_(full)).values(capacity_status=CapacityStatus.FULL))
    db.session.execute(update(Service).where(Service.id.in_(waiting))
                       .values(capacity_status=CapacityStatus.WAITING_LIST))
    refresh_services(now)
    keys = db.session.execute(select(InsightServiceKey.service_id, InsightServiceKey.facet, InsightServiceKey.code,
                                     InsightServiceKey.area)).all()
    supply: dict[tuple[str, str, str], int] = defaultdict(int)
    topics_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
    council_of: dict[str, str] = {}
    for sid, facet, code, area in keys:
        if area.startswith("lad:"):
            supply[(facet, code, area[4:])] += 1
            council_of.setdefault(sid, area[4:])
        if facet and (facet, code) not in topics_of[sid]:
            topics_of[sid].append((facet, code))
    postcodes = read_postcodes()
    councils = [lad for lad in postcodes if postcodes[lad]]
    topics = sorted({(facet, code) for (facet, code, _lad) in supply if facet})
    all_topics = topics + [("category", "transport"), ("need", "autism"), ("need", "bereavement"),
                           ("need", "sensory-impairment")]

    say(f"Searches: {days} days × about {searches_per_day} a day…")
    rows: list[dict[str, Any]] = []
    for day in range(days):
        date_start = start + timedelta(days=day)
        weekday_factor = 0.6 if date_start.weekday() >= 5 else 1.0
        for _ in range(int(searches_per_day * weekday_factor * rng.uniform(0.7, 1.3))):
            lad = rng.choice(councils)
            place = rng.choice(postcodes[lad])
            at = date_start.replace(hour=rng.randint(7, 22), minute=rng.randint(0, 59), second=rng.randint(0, 59))
            roll = rng.random()
            filters: dict[str, list[str]] = {}
            if roll < 0.55:
                facet, code = rng.choice(all_topics)
                filters[facet] = [code]
                listed = supply.get((facet, code, lad), 0)
                results = 0 if listed == 0 else rng.randint(1, 3) if listed <= 2 else rng.randint(4, 25)
                query = "" if rng.random() < 0.6 else code.replace("-", " ")
            elif roll < 0.63:
                query, results = rng.choice(UNMET_WORDS), 0
            else:
                query, results = rng.choice(["lunch club", "befriending", "walking group", "singing", "craft",
                                             "coffee morning", "carers group", ""]), rng.randint(0, 30)
            rows.append({"at": at, "query": query, "filters": filters, "outcode": place["outcode"].replace(" ", ""),
                         "lad_code": lad, "order": "relevance", "page": 1, "result_count": results,
                         "took_ms": round(rng.uniform(3, 40), 2)})
    for begin in range(0, len(rows), 5000):
        db.session.execute(insert(SearchLog), rows[begin:begin + 5000])

    say("Referrals with their events and wellbeing scores…")
    teams = [_team(name, kind) for name, kind in TEAMS]
    used: set[str] = set(db.session.scalars(select(Referral.reference)))
    referrals, events, scores = [], [], []
    count = 0
    for day in range(days):
        sent_day = start + timedelta(days=day)
        if not is_working_day(sent_day.date(), "ENG"):
            continue
        for _ in range(rng.randint(max(0, referrals_per_day - 3), referrals_per_day + 3)):
            sid, org = rng.choice(services)
            team = rng.choice(teams)
            rid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://microdir.org.uk/demo/referral/{seed}/{count}"))
            count += 1
            sent = sent_day.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59))
            topic_needs = [code for facet, code in topics_of.get(sid, []) if facet == "need"][:2] or ["loneliness"]
            reference = _reference(rng, used)
            status = "sent"
            timeline: list[tuple[datetime, str, str, str]] = [(sent - timedelta(minutes=20), "create", "", "draft"),
                                                              (sent, "send", "draft", "sent")]
            decline_reason = outcome = None
            capacity_bad = sid in full or sid in waiting
            answer_after = min(14, int(rng.expovariate(1 / 2.5)))
            answered_at = _working_days_later(sent, answer_after, rng)
            roll = rng.random()
            if roll < 0.04:
                timeline.append((sent + timedelta(days=rng.randint(1, 5)), "withdraw", "sent", "withdrawn"))
                status = "withdrawn"
            elif answered_at > now:
                pass  # still waiting for an answer
            elif answer_after >= 14 or roll < 0.08:
                timeline.append((_working_days_later(sent, 14, rng), "expire", "sent", "expired"))
                status = "expired"
            elif roll < (0.45 if capacity_bad else 0.2):
                decline_reason = "no_capacity" if capacity_bad or rng.random() < 0.3 else rng.choice(
                    ["not_eligible", "not_eligible", "could_not_contact", "other"])
                timeline.append((answered_at, "decline", "sent", "declined"))
                status = "declined"
            else:
                timeline.append((answered_at, "accept", "sent", "accepted"))
                status = "accepted"
                contact_at = _working_days_later(answered_at, int(rng.expovariate(1 / 3)) + 1, rng)
                if rng.random() < 0.9 and contact_at < now:
                    timeline.append((contact_at, "first_contact", "accepted", "first_contact"))
                    status = "first_contact"
                    engaged_at = contact_at + timedelta(days=rng.randint(3, 21))
                    if rng.random() < 0.8 and engaged_at < now:
                        timeline.append((engaged_at, "engage", "first_contact", "engaged"))
                        status = "engaged"
                        closed_at = engaged_at + timedelta(days=rng.randint(28, 120))
                        if closed_at < now:
                            outcome = rng.choices(["completed", "stopped_attending", "person_declined", "moved_away",
                                                   "other"], [70, 15, 8, 3, 4])[0]
                            timeline.append((closed_at, "close", "engaged", "closed"))
                            status = "closed"
                    elif rng.random() < 0.2 and engaged_at < now:
                        timeline.append((engaged_at, "withdraw", "first_contact", "withdrawn"))
                        status = "withdrawn"
            responded = next((at for at, action, _f, _t in timeline if action in ("accept", "decline")), None)
            closed = next((at for at, _a, _f, to in timeline if to in ("closed", "withdrawn", "declined",
                                                                         "expired")), None)
            referrals.append({
                "id": rid, "reference": reference, "service_id": sid, "organization_id": org, "team_id": team.id,
                "status": ReferralStatus(status), "version": len(timeline), "consent_given_at": sent - timedelta(minutes=10),
                "consent_wording_version": "2026-1", "consent_wording": CONSENT_WORDINGS["2026-1"].format(
                    person="The person", organisation="the provider", service="the service", reference=reference),
                "capacity_warning_seen": sid in waiting, "needs": topic_needs, "created_at": timeline[0][0],
                "sent_at": sent, "responded_at": responded, "closed_at": closed, "decline_reason": DeclineReason(decline_reason) if decline_reason else None,
                "outcome": CloseOutcome(outcome) if outcome else None, "person_name": f"Demo person {count}", "safeguarding_flag": False,
            })
            for at, action, from_status, to_status in timeline:
                kind = {"create": "team", "send": "team", "withdraw": "team", "expire": "system"}.get(action,
                                                                                                     "provider")
                events.append({"referral_id": rid, "at": at, "actor_kind": kind, "action": action,
                               "from_status": ReferralStatus(from_status) if from_status else None,
                               "to_status": ReferralStatus(to_status)})
            if rng.random() < 0.85:
                base = {item: rng.randint(2, 7) for item in ONS4_ITEMS}
                base["anxiety"] = rng.randint(4, 9)
                scores.append({"referral_id": rid, "scale": "ons4", "stage": "referral", "items": base,
                               "total": None, "recorded_at": sent})
                if status == "closed" and rng.random() < 0.7:
                    lift = 1.5 if outcome == "completed" else 0.3
                    after = {item: max(0, min(10, round(base[item] + rng.gauss(lift, 1.6)))) for item in ONS4_ITEMS}
                    after["anxiety"] = max(0, min(10, round(base["anxiety"] - rng.gauss(lift, 1.6))))
                    scores.append({"referral_id": rid, "scale": "ons4", "stage": "close", "items": after,
                                   "total": None, "recorded_at": closed})
    for begin in range(0, len(referrals), 2000):
        db.session.execute(insert(Referral), referrals[begin:begin + 2000])
    for begin in range(0, len(events), 5000):
        db.session.execute(insert(ReferralEvent), events[begin:begin + 5000])
    for begin in range(0, len(scores), 5000):
        db.session.execute(insert(WellbeingScore), scores[begin:begin + 5000])
    db.session.flush()
    say("Insight summaries…")
    refresh_all(now)
    db.session.commit()
    return {"searches": len(rows), "referrals": len(referrals), "referral events": len(events),
            "wellbeing scores": len(scores), "services full": len(full), "services with a waiting list": len(waiting),
            "teams": len(teams)}
