"""A small world whose figures are worked out by hand in the tests (never by the code under test).

All referrals are sent on Monday 2 March 2026 at 09:00 (no bank holiday that fortnight, England):

S1 "Alpha Friends" (friendship / loneliness, taking new people), S2 "Beta Lifts" (transport / getting out, full),
both at B66 1AA (Sandwell, E08000028).

r1 S1 accepted Tue 3 Mar → first contact Thu 5 Mar → engaged → closed completed; ONS4 at referral and close
r2 S1 accepted Wed 4 Mar → first contact Mon 9 Mar → engaged → closed completed; ONS4 at referral and close
r3 S1 accepted Mon 9 Mar → first contact Tue 10 Mar → engaged → closed completed; ONS4 at referral only
r4 S1 accepted Wed 11 Mar
r5 S1 declined (no capacity) Thu 5 Mar
r6 S1 expired Fri 20 Mar
r7 S2 declined (not eligible) Tue 3 Mar; need "getting-out"
r8 S2 withdrawn Tue 3 Mar; need "getting-out"

Searches on Tue 3 March 2026 in B66 / Sandwell: 10 for category transport with no result ("wheelchair taxi"),
4 for transport with 2 results ("lift"), 6 with no filter and 12 results ("lunch"), 3 with no result for
"mrs smiths address" (must never be shown), and one second page (not another search).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import time_machine

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import CapacityStatus, CloseOutcome, DeclineReason, Referral, Role, SearchLog
from tests import factories
from tests.referrals.helpers import actor_for, details

SANDWELL = "E08000028"
SENT = datetime(2026, 3, 2, 9, 0)
TODAY = datetime(2026, 3, 31, 12, 0)
BASELINES = {"r1": {"life_satisfaction": 4, "worthwhile": 5, "happiness": 5, "anxiety": 7},
             "r2": {"life_satisfaction": 5, "worthwhile": 5, "happiness": 5, "anxiety": 6},
             "r3": {"life_satisfaction": 3, "worthwhile": 3, "happiness": 3, "anxiety": 3}}
CLOSES = {"r1": {"life_satisfaction": 7, "worthwhile": 6, "happiness": 6, "anxiety": 4},
          "r2": {"life_satisfaction": 6, "worthwhile": 6, "happiness": 6, "anxiety": 6}}


@dataclass
class World:
    referrals: dict[str, Referral]
    worker: Any
    alpha: Any
    beta: Any


def _act(referral: Referral, action: str, worker: Any, when: datetime, **extra: Any) -> None:
    with time_machine.travel(when, tick=False):
        actor = ops.SYSTEM if action == "expire" else actor_for(referral, action, worker)
        ops.transition(referral, action, actor=actor, expected_version=referral.version, **extra)
        db.session.commit()


def build_world() -> World:
    team = factories.create_team(name="Cape Hill Medical Practice")
    worker = factories.create_user(Role.LINK_WORKER, team=team)
    alpha = factories.create_organization(name="Alpha Friends")
    beta = factories.create_organization(name="Beta Lifts")
    s1 = factories.create_service(alpha, categories=("friendship",), needs=("loneliness",))
    s2 = factories.create_service(beta, categories=("transport",), needs=("getting-out",),
                                  capacity_status=CapacityStatus.FULL)
    refs: dict[str, Referral] = {}
    with time_machine.travel(SENT, tick=False):
        for key in ("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8"):
            service = s1 if key <= "r6" else s2
            needs = ["loneliness"] if key <= "r6" else ["getting-out"]
            referral = ops.create_draft(service, worker, details(needs=needs))
            ops.record_consent(referral, worker, expected_version=referral.version)
            ops.transition(referral, "send", actor=worker, expected_version=referral.version)
            refs[key] = referral
        for key, answers in BASELINES.items():
            ops.record_scores(refs[key], worker, "ons4", "referral", answers)
        db.session.commit()
    r = refs
    steps: list[tuple[datetime, str, str, dict[str, Any]]] = [
        (datetime(2026, 3, 3, 10), "r1", "accept", {}),
        (datetime(2026, 3, 3, 11), "r7", "decline", {"reason": DeclineReason.NOT_ELIGIBLE}),
        (datetime(2026, 3, 3, 12), "r8", "withdraw", {}),
        (datetime(2026, 3, 4, 10), "r2", "accept", {}),
        (datetime(2026, 3, 5, 10), "r1", "first_contact", {}),
        (datetime(2026, 3, 5, 11), "r5", "decline", {"reason": DeclineReason.NO_CAPACITY}),
        (datetime(2026, 3, 9, 10), "r2", "first_contact", {}),
        (datetime(2026, 3, 9, 11), "r3", "accept", {}),
        (datetime(2026, 3, 10, 10), "r3", "first_contact", {}),
        (datetime(2026, 3, 11, 10), "r4", "accept", {}),
        (datetime(2026, 3, 12, 10), "r1", "engage", {}),
        (datetime(2026, 3, 12, 10), "r2", "engage", {}),
        (datetime(2026, 3, 12, 10), "r3", "engage", {}),
        (datetime(2026, 3, 20, 10), "r6", "expire", {}),
        (datetime(2026, 3, 26, 10), "r1", "close", {"outcome": CloseOutcome.COMPLETED}),
        (datetime(2026, 3, 26, 10), "r2", "close", {"outcome": CloseOutcome.COMPLETED}),
        (datetime(2026, 3, 26, 10), "r3", "close", {"outcome": CloseOutcome.COMPLETED}),
    ]
    for when, key, action, extra in steps:
        _act(r[key], action, worker, when, **extra)
    with time_machine.travel(datetime(2026, 3, 26, 11), tick=False):
        for key, answers in CLOSES.items():
            ops.record_scores(refs[key], worker, "ons4", "close", answers)
        db.session.commit()
    return World(refs, worker, alpha, beta)


def add_searches() -> None:
    at = datetime(2026, 3, 3, 14, 0)

    def log(query: str, category: list[str] | None, results: int, times: int, page: int = 1) -> None:
        for _ in range(times):
            db.session.add(SearchLog(at=at, query=query, filters={"category": category} if category else {},
                                     outcode="B66", lad_code=SANDWELL, result_count=results, page=page))

    log("wheelchair taxi", ["transport"], 0, 10)
    log("lift", ["transport"], 2, 4)
    log("lunch", None, 12, 6)
    log("mrs smiths address", None, 0, 3)
    log("lunch", None, 12, 1, page=2)
    db.session.commit()
