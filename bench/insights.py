"""Benchmark the commissioner insight pages on PostgreSQL at 1,000,000 searches, 100,000 referrals, 10,000 services.

Usage:
    psql -h 127.0.0.1 -U postgres -c 'create database bench_insights'
    .venv/bin/python bench/insights.py [--url postgresql://postgres@127.0.0.1:5432/bench_insights]
        [--searches 1000000] [--referrals 100000] [--services 10000] [--runs 20] [--reuse] [--only TEXT]
        [--gc-freeze]

Builds the database with bulk INSERTs (the search log and referrals with ``generate_series`` in SQL, the
listings with core executemany) and runs the ``insights.refresh`` job over it (``--reuse`` keeps the data of an
earlier run and lets the job catch up). Then, signed in as a commissioner through the Flask test client:

0. the job again with nothing new, then after a day's activity (``--new-searches``, ``--new-referrals``);
1. the first load of each page and CSV after that refresh (period "last year", whole deployment): the figure a
   commissioner meets once after each run of the job, which warms the shared page cache for the default periods
   (1b.: the same with that cache emptied, as before it existed);
2. ``--runs`` loads of each, every one a period × area not asked for before (a year long, the end moving back a
   day, the area going round the whole deployment, a council and a postcode district), so none comes from the
   per-process page cache (``microdir/insights/cache.py``): p50, p95, max;
3. repeats: the same URL ``--runs`` times (after the first, from the page cache), on their own line.

Baseline in the same process: ``GET /accessibility`` (a static page through the same stack), timed alternately.
It prints figures, not pass/fail, and ``uptime`` at start and end.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, text  # noqa: E402

from microdir import create_app  # noqa: E402
from microdir.domain.taxonomy import CATEGORIES, NEEDS, seed_taxonomy, term_id  # noqa: E402
from microdir.extensions import db  # noqa: E402
from microdir.insights import cache as page_cache  # noqa: E402
from microdir.models import (  # noqa: E402
    AreaType,
    Attribute,
    CapacityStatus,
    InsightPageCache,
    Organization,
    Role,
    Service,
    ServiceArea,
    Team,
    TeamKind,
    utcnow,
)

COUNCILS = [("E08000025", "B1"), ("E08000026", "CV1"), ("E08000027", "DY1"), ("E08000028", "B66"),
            ("E08000029", "B90"), ("E08000030", "WS1"), ("E08000031", "WV1"), ("E07000234", "B60"),
            ("E07000218", "CV9"), ("E06000051", "SY1")]
WORDS = ["lunch club", "befriending", "walking group", "singing", "wheelchair taxi", "tea dance", "carers group",
         "memory cafe", "mens shed", "", "", "chair yoga"]


def build(app: object, searches: int, referrals: int, services: int) -> None:
    rng = random.Random(11)
    now = utcnow()
    started = time.perf_counter()
    orgs = [{"id": str(uuid.uuid4()), "name": f"Provider {n:05d}", "description": "", "created_at": now,
             "last_modified": now} for n in range(max(1, services // 5))]
    db.session.execute(insert(Organization), orgs)
    rows, attributes, areas = [], [], []
    for n in range(services):
        sid = str(uuid.uuid4())
        rows.append({"id": sid, "organization_id": orgs[n % len(orgs)]["id"], "name": f"Service {n:05d}",
                     "description": "", "first_published_at": now - timedelta(days=rng.randint(10, 700)),
                     "last_verified_at": now - timedelta(days=rng.randint(1, 500)),
                     "capacity_status": rng.choice([CapacityStatus.TAKING_NEW_PEOPLE] * 8
                                                   + [CapacityStatus.WAITING_LIST, CapacityStatus.FULL])})
        lad, _outcode = COUNCILS[n % len(COUNCILS)]
        areas.append({"id": str(uuid.uuid4()), "service_id": sid, "area_type": AreaType.COUNCILS, "lad_codes": [lad],
                      "outcodes": []})
        for taxonomy, code in (("categories", rng.choice(CATEGORIES)[0]), ("needs", rng.choice(NEEDS)[0])):
            attributes.append({"id": str(uuid.uuid4()), "link_id": sid, "link_type": "service",
                               "taxonomy_term_id": term_id(taxonomy, code)})
    for start in range(0, services, 2000):
        db.session.execute(insert(Service), rows[start:start + 2000])
    db.session.execute(insert(ServiceArea), areas)
    db.session.execute(insert(Attribute), attributes)
    teams = [{"id": str(uuid.uuid4()), "name": f"Practice {n:02d}", "kind": rng.choice(list(TeamKind)),
              "created_at": now} for n in range(50)]
    db.session.execute(insert(Team), teams)
    db.session.commit()
    print(f"listings: {services:,} services, {len(orgs):,} organisations in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    categories = "ARRAY[" + ",".join(f"'{c[0]}'" for c in CATEGORIES) + "]"
    needs = "ARRAY[" + ",".join(f"'{c[0]}'" for c in NEEDS) + "]"
    lads = "ARRAY[" + ",".join(f"'{c[0]}'" for c in COUNCILS) + "]"
    outcodes = "ARRAY[" + ",".join(f"'{c[1]}'" for c in COUNCILS) + "]"
    words = "ARRAY[" + ",".join(f"'{w}'" for w in WORDS) + "]"
    db.session.execute(text("SELECT setseed(0.42)"))
    db.session.execute(text(f"""
        INSERT INTO search_log (at, query, filters, outcode, lad_code, "order", page, result_count, took_ms)
        SELECT now() at time zone 'utc' - x.age * interval '365 days', ({words})[1 + floor(x.w * 12)::int],
          CASE WHEN x.c < 0.4 THEN json_build_object('category', json_build_array(({categories})[1 + floor(x.t * 8)::int]))
               WHEN x.c < 0.6 THEN json_build_object('need', json_build_array(({needs})[1 + floor(x.t * 16)::int]))
               ELSE '{{}}'::json END,
          ({outcodes})[x.k], ({lads})[x.k], 'relevance', CASE WHEN x.p < 0.05 THEN 2 ELSE 1 END,
          floor(x.r * x.r * 30)::int, x.r * 40
        FROM generate_series(1, :n) g,
          LATERAL (SELECT random() + 0 * g AS age, random() AS w, random() AS c, random() AS t, random() AS p,
                          random() AS r, 1 + floor(random() * 10)::int AS k) x
    """), {"n": searches})
    db.session.commit()
    print(f"search log: {searches:,} rows in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    db.session.execute(text("CREATE TEMP TABLE bench_svc AS SELECT row_number() OVER (ORDER BY id) AS n, id, "
                            "organization_id FROM service"))
    db.session.execute(text("CREATE TEMP TABLE bench_team AS SELECT row_number() OVER (ORDER BY id) AS n, id "
                            "FROM team"))
    db.session.execute(text(f"""
        INSERT INTO referral (id, reference, service_id, organization_id, team_id, status, version,
          capacity_warning_seen, needs, created_at, sent_at, responded_at, closed_at, decline_reason, outcome,
          safeguarding_flag)
        SELECT md5('r' || g)::uuid::text, 'B' || lpad(g::text, 10, '0'), s.id, s.organization_id, t.id, x.status, 3,
          false, json_build_array(({needs})[1 + g % 16]), x.sent - interval '10 minutes', x.sent,
          CASE WHEN x.status IN ('sent', 'withdrawn', 'expired') THEN NULL ELSE x.sent + x.wait END,
          CASE WHEN x.status IN ('closed', 'withdrawn', 'declined', 'expired')
               THEN x.sent + x.wait + interval '40 days' END,
          CASE WHEN x.status = 'declined' THEN (ARRAY['no_capacity', 'not_eligible', 'could_not_contact',
               'other'])[1 + g % 4] END,
          CASE WHEN x.status = 'closed' THEN (ARRAY['completed', 'completed', 'completed', 'stopped_attending'])
               [1 + g % 4] END, false
        FROM generate_series(1, :n) g
        JOIN bench_svc s ON s.n = 1 + (g * 7919) % (SELECT count(*) FROM bench_svc)
        JOIN bench_team t ON t.n = 1 + g % 50,
        LATERAL (SELECT now() at time zone 'utc' - (random() + 0 * g) * interval '365 days' AS sent,
                        floor(random() * random() * 12) * interval '1 day' + interval '3 hours' AS wait,
                        CASE WHEN r < 0.04 THEN 'withdrawn' WHEN r < 0.1 THEN 'expired' WHEN r < 0.25 THEN 'declined'
                             WHEN r < 0.3 THEN 'sent' WHEN r < 0.38 THEN 'accepted'
                             WHEN r < 0.46 THEN 'first_contact' WHEN r < 0.6 THEN 'engaged' ELSE 'closed' END
                             AS status
                 FROM (SELECT random() + 0 * g AS r) q) x
    """), {"n": referrals})
    db.session.execute(text("""
        INSERT INTO referral_event (referral_id, at, actor_kind, action, from_status, to_status)
        SELECT id, sent_at, 'team', 'send', 'draft', 'sent' FROM referral
        UNION ALL
        SELECT id, responded_at, 'provider', CASE WHEN status = 'declined' THEN 'decline' ELSE 'accept' END, 'sent',
               CASE WHEN status = 'declined' THEN 'declined' ELSE 'accepted' END
          FROM referral WHERE responded_at IS NOT NULL
        UNION ALL
        SELECT id, responded_at + interval '3 days', 'provider', 'first_contact', 'accepted', 'first_contact'
          FROM referral WHERE status IN ('first_contact', 'engaged', 'closed')
        UNION ALL
        SELECT id, responded_at + interval '10 days', 'provider', 'engage', 'first_contact', 'engaged'
          FROM referral WHERE status IN ('engaged', 'closed')
        UNION ALL
        SELECT id, closed_at, CASE WHEN status = 'expired' THEN 'system' ELSE 'team' END,
               CASE status WHEN 'closed' THEN 'close' WHEN 'expired' THEN 'expire' ELSE 'withdraw' END,
               'sent', status
          FROM referral WHERE status IN ('closed', 'expired', 'withdrawn')
    """))
    items = ("json_build_object('life_satisfaction', {0}, 'worthwhile', {0}, 'happiness', {0}, 'anxiety', {1})")
    db.session.execute(text(f"""
        INSERT INTO wellbeing_score (referral_id, scale, stage, items, total, recorded_at)
        SELECT id, 'ons4', 'referral', {items.format("floor(random() * 7)::int", "3 + floor(random() * 7)::int")},
               NULL, sent_at FROM referral WHERE random() < 0.85
    """))
    db.session.execute(text(f"""
        INSERT INTO wellbeing_score (referral_id, scale, stage, items, total, recorded_at)
        SELECT referral.id, 'ons4', 'close', {items.format("2 + floor(random() * 8)::int", "floor(random() * 7)::int")},
               NULL, closed_at FROM referral JOIN wellbeing_score w ON w.referral_id = referral.id
        WHERE referral.status = 'closed' AND random() < 0.7
    """))
    db.session.commit()
    counts = db.session.execute(text("SELECT (SELECT count(*) FROM referral), (SELECT count(*) FROM referral_event), "
                                     "(SELECT count(*) FROM wellbeing_score)")).one()
    print(f"referrals: {counts[0]:,} referrals, {counts[1]:,} events, {counts[2]:,} scores "
          f"in {time.perf_counter() - started:.1f}s")
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def add_activity(searches: int, referrals: int) -> None:
    """A day's new activity, as the refresh job finds it between two runs: searches made today, and referrals that
    moved on today (sent ones accepted, accepted ones contacted) with their events."""
    db.session.execute(text("""
        INSERT INTO search_log (at, query, filters, outcode, lad_code, "order", page, result_count, took_ms)
        SELECT now() at time zone 'utc' - random() * interval '2 hours', 'lunch club',
               json_build_object('category', json_build_array('friendship')), 'B66', 'E08000028', 'relevance', 1,
               floor(random() * 4)::int, 10
        FROM generate_series(1, :n)
    """), {"n": searches})
    for old, new, action in (("sent", "accepted", "accept"), ("accepted", "first_contact", "first_contact")):
        db.session.execute(text("""
            WITH moved AS (
                UPDATE referral SET status = :new, version = version + 1,
                       responded_at = coalesce(responded_at, now() at time zone 'utc')
                WHERE id IN (SELECT id FROM referral WHERE status = :old ORDER BY id LIMIT :n) RETURNING id)
            INSERT INTO referral_event (referral_id, at, actor_kind, action, from_status, to_status)
            SELECT id, now() at time zone 'utc', 'provider', :action, :old, :new FROM moved
        """), {"old": old, "new": new, "action": action, "n": referrals // 2})
    db.session.commit()


class FullCollections:
    """Count Python's full (generation 2) garbage collections and the time they take: on this machine each is
    0.2-0.7 s at bench size, and they land on whichever load is running, so they explain most of the slowest loads."""

    def __init__(self) -> None:
        self.count, self.ms, self._started = 0, 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.ms += (time.perf_counter() - self._started) * 1000

    def take(self) -> str:
        """Describe the collections since the last call, and start counting again."""
        said = f"full GC {self.count} ({self.ms:.0f} ms)"
        self.count, self.ms = 0, 0.0
        return said


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p95(samples: list[float]) -> float:
    """The nearest-rank 95th percentile: of 20 loads, the 19th fastest."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def spread(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"p50 {statistics.median(ordered):6.0f}  p95 {p95(ordered):6.0f}  max {ordered[-1]:6.0f}"


def distinct_queries(count: int, seed: int) -> list[str]:
    """``count`` period × area choices, each a year long (the largest period) but none the same as any other URL's
    (a page and its CSV share the page cache): the end date moves back a day each time, and the area goes round the
    whole deployment, a council and a postcode district."""
    today = utcnow().date()
    rng = random.Random(seed)
    found = []
    for i in range(count):
        end = today - timedelta(days=seed * count + i + 1)
        query = f"period=custom&from={end - timedelta(days=363):%Y-%m-%d}&to={end:%Y-%m-%d}"
        lad, outcode = COUNCILS[rng.randrange(len(COUNCILS))]
        query += ["", f"&council={lad}", "", f"&district={outcode}"][i % 4]
        found.append(query)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL",
                                                        "postgresql://postgres@127.0.0.1:5432/bench_insights"))
    parser.add_argument("--searches", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--new-searches", type=int, default=5000, help="searches added before the timed refresh")
    parser.add_argument("--new-referrals", type=int, default=500, help="referrals moved on before the timed refresh")
    parser.add_argument("--reuse", action="store_true", help="keep the data from an earlier run")
    parser.add_argument("--only", default="", help="time only the URLs containing this text")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once the app is set up, as a web server could after start-up: full garbage "
                             "collections then skip the app's own objects")
    args = parser.parse_args()
    print("uptime at start:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    import flask_migrate

    from microdir.jobs import run_job

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.url, "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "SEARCH_SYNC_ON_COMMIT": False})
    with app.app_context():
        have = False
        if args.reuse:
            try:
                have = bool(db.session.scalar(text("SELECT count(*) FROM insight_referral_fact")))
            except Exception:
                db.session.rollback()
            if have:  # data from an older schema: bring it up to date (the next refresh fills any new summaries)
                flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        if not have:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            seed_taxonomy()
            db.session.commit()
            build(app, args.searches, args.referrals, args.services)
            started = time.perf_counter()
            print("insights.refresh, first run:", run_job("insights.refresh"),
                  f"in {time.perf_counter() - started:.1f}s")
        else:
            started = time.perf_counter()
            print("insights.refresh, catching up:", run_job("insights.refresh"),
                  f"in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        print("insights.refresh, nothing new:", run_job("insights.refresh"), f"in {time.perf_counter() - started:.1f}s")
        from microdir.domain.accounts import create_user, find_user_by_email

        user = find_user_by_email("bench.commissioner@example.com")
        if user is None:
            user = create_user("bench.commissioner@example.com", "Bench Commissioner", "bench-password-2026",
                               Role.COMMISSIONER)
        import pyotp

        # Commissioners sign in with a second factor: the bench's account has one set up already.
        user.totp_secret, user.totp_enabled_at, user.totp_last_counter = pyotp.random_base32(), utcnow(), None
        secret = user.totp_secret
        db.session.commit()

    client = app.test_client()
    response = client.post("/sign-in", data={"email": "bench.commissioner@example.com",
                                             "password": "bench-password-2026"})
    assert response.status_code == 302, response.status_code
    response = client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and "/sign-in" not in response.headers["Location"], response.status_code

    pages = ["/insights/", "/insights/unmet-need", "/insights/coverage", "/insights/funnel", "/insights/timeliness",
             "/insights/outcomes", "/insights/providers", "/insights/summary", "/insights/overview/weekly.csv",
             "/insights/unmet-need/gaps.csv", "/insights/unmet-need/no-result-by-week.csv",
             "/insights/coverage/services-by-category-council.csv", "/insights/funnel/by-provider.csv",
             "/insights/timeliness/by-provider.csv", "/insights/outcomes/ons4-by-need.csv",
             "/insights/providers/providers.csv"]
    pages = [p for p in pages if args.only in p]

    def load(url: str) -> Callable[[], object]:
        def fetch() -> object:
            got = client.get(url)
            assert got.status_code == 200, (url, got.status_code)
            return got.get_data()
        return fetch

    base = load("/accessibility")
    for _ in range(3):
        base()
    if args.gc_freeze:
        gc.collect()
        gc.freeze()
        print(f"gc.freeze(): {gc.get_freeze_count():,} objects set aside")

    with app.app_context():
        add_activity(args.new_searches, args.new_referrals)
        started = time.perf_counter()
        print(f"insights.refresh, after {args.new_searches:,} new searches and {args.new_referrals:,} referrals moved "
              f"on:", run_job("insights.refresh"), f"in {time.perf_counter() - started:.1f}s")
        sizes = db.session.execute(text(
            "SELECT (SELECT count(*) FROM insight_search_day), (SELECT count(*) FROM insight_zero_query), "
            "(SELECT count(*) FROM insight_referral_fact), (SELECT count(*) FROM insight_score_pair), "
            "(SELECT count(*) FROM insight_service_key), (SELECT count(*) FROM insight_search_week), "
            "(SELECT count(*) FROM insight_referral_week), (SELECT count(*) FROM insight_timing_week), "
            "(SELECT count(*) FROM insight_outcome_week)")).one()
        print(f"summary rows: search days {sizes[0]:,}, zero-result texts {sizes[1]:,}, referral facts {sizes[2]:,}, "
              f"score pairs {sizes[3]:,}, listing keys {sizes[4]:,}; weekly: searches {sizes[5]:,}, "
              f"referrals {sizes[6]:,}, days taken {sizes[7]:,}, wellbeing change {sizes[8]:,}")

    print("\n1. First load of each page after that refresh (period: last year, whole deployment), one load each, "
          "in this order; /accessibility (a static page through the same stack) beside it")
    worst_first = 0.0
    for path in pages:
        page_cache.clear()  # as a web process other than the job's: only the shared cache (insight_page_cache)
        first = timed(load(path + "?period=year"))
        worst_first = max(worst_first, first)
        print(f"   {path:<52} {first:7.0f} ms   | /accessibility {timed(base):5.1f} ms")

    print("\n1b. The same first loads with the shared page cache emptied (what the first load cost before the job "
          "warmed it; run after 1., same process)")
    with app.app_context():
        db.session.execute(delete(InsightPageCache))
        db.session.commit()
    page_cache.clear()
    for path in pages:
        print(f"   {path:<52} {timed(load(path + '?period=year')):7.0f} ms   | /accessibility {timed(base):5.1f} ms")

    print(f"\n2. {args.runs} loads each, every one a period × area not asked for before (a year long, the end moving "
          f"back a day, whole deployment / a council / a postcode district), so none is served from the page cache; "
          f"baseline /accessibility timed alternately, in ms; the full garbage collections that ran during them")
    worst = 0.0
    collections = FullCollections()
    for n, path in enumerate(pages):
        ours, theirs = [], []
        collections.take()
        for query in distinct_queries(args.runs, seed=n):
            ours.append(timed(load(f"{path}?{query}")))
            theirs.append(timed(base))
        worst = max(worst, p95(ours))
        print(f"   {path:<52} {spread(ours)} | /accessibility p50 {statistics.median(theirs):5.1f} | "
              f"{collections.take()}")

    print(f"\n3. Repeats: the same URL {args.runs} times (period: last year; served from the page cache after the "
          f"first), in ms")
    for path in pages:
        fetch = load(path + "?period=year")
        fetch()
        print(f"   {path:<52} {spread([timed(fetch) for _ in range(args.runs)])}")

    print(f"\nslowest first load after refresh: {worst_first:.0f} ms; slowest p95 over distinct choices: {worst:.0f} ms "
          f"(target ≤ 1000 ms)")
    print("uptime at end:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
