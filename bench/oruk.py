"""Benchmark the ORUK API and importer at 10,000 services, against baselines measured in the same run.

Usage: .venv/bin/python bench/oruk.py [--services 10000] [--import-count 2000]

Builds a temporary SQLite database (bulk insert), then measures, warm, through the Flask test client:
``/services?page=N&per_page=50`` and ``/services/{id}`` (median and p95), and the import rate (services/s).
Baselines, timed alternately with the call they accompany so a busy machine slows both alike: a bare SELECT of
the same page of rows (sqlite3), ``GET /api/oruk/`` (a trivial request through the same stack) and an ORM ``get()`` of one service; schema validation alone
for the import. It prints figures, not pass/fail; report ``uptime``'s load beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from microdir import create_app  # noqa: E402
from microdir.domain.taxonomy import CATEGORIES, NEEDS, seed_taxonomy, term_id  # noqa: E402
from microdir.extensions import db  # noqa: E402
from microdir.models import (  # noqa: E402
    Address,
    Attribute,
    CostOption,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    utcnow,
)


def timed_pair(ours: Callable[[], object], base: Callable[[], object], runs: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Time ``ours`` and ``base`` alternately, so a busy machine slows both alike; return (median, p95) of each."""
    for _ in range(min(20, runs)):
        ours()
        base()
    samples: tuple[list[int], list[int]] = ([], [])
    for _ in range(runs):
        for fn, into in ((ours, samples[0]), (base, samples[1])):
            start = time.perf_counter_ns()
            fn()
            into.append(time.perf_counter_ns() - start)
    result = []
    for found in samples:
        found.sort()
        result.append((statistics.median(found) / 1e6, found[int(len(found) * 0.95)] / 1e6))
    return result[0], result[1]


def row(name: str, ours: tuple[float, float], base: tuple[float, float], base_name: str) -> None:
    print(
        f"{name:<34} median {ours[0]:7.2f} ms  p95 {ours[1]:7.2f} ms  | {base_name:<26} median {base[0]:7.3f} ms"
        f"  p95 {base[1]:7.3f} ms  | ratio median {ours[0] / base[0]:5.1f}x p95 {ours[1] / base[1]:5.1f}x"
    )


def bulk_insert(count: int) -> list[str]:
    """Insert ``count`` published services (venue, address, schedule, cost, two terms) with core INSERTs."""
    rng = random.Random(7)
    now = utcnow()
    orgs = [{"id": str(uuid.uuid4()), "name": f"Organisation {n:04d}", "description": "A small local group.",
             "created_at": now, "last_modified": now} for n in range(max(1, count // 10))]
    services, locations, addresses, sals, schedules, costs, attributes = [], [], [], [], [], [], []
    words = ["friendship", "lunch", "walking", "singing", "gardening", "carers", "memory", "crafts", "chair yoga"]
    for n in range(count):
        sid, lid = str(uuid.uuid4()), str(uuid.uuid4())
        org = orgs[n % len(orgs)]["id"]
        services.append({"id": sid, "organization_id": org, "name": f"{rng.choice(words).title()} group {n:05d}",
                         "description": f"A weekly {rng.choice(words)} group for local people.", "status": "active",
                         "listing_status": "published", "first_published_at": now - timedelta(days=30),
                         "last_verified_at": now - timedelta(days=rng.randint(0, 200)), "verified_how": "provider_confirmed",
                         "capacity_status": "taking_new_people", "created_at": now, "last_modified": now, "version": 1})
        lat, lon = 52.3 + rng.random() * 0.4, -2.2 + rng.random() * 0.8
        locations.append({"id": lid, "organization_id": org, "location_type": "physical", "name": "Community Hall",
                          "latitude": round(lat, 6), "longitude": round(lon, 6), "is_private_home": False})
        addresses.append({"id": str(uuid.uuid4()), "location_id": lid, "address_1": f"{n} High Street", "city": "Smethwick",
                          "state_province": "Sandwell", "postal_code": "B66 1AA", "country": "GB", "address_type": "physical"})
        sals.append({"id": str(uuid.uuid4()), "service_id": sid, "location_id": lid})
        schedules.append({"id": str(uuid.uuid4()), "service_id": sid, "freq": "WEEKLY", "interval": 1, "byday": "TU",
                          "opens_at": clock_time(10), "closes_at": clock_time(12), "term_time_only": False})
        costs.append({"id": str(uuid.uuid4()), "service_id": sid, "cost_type": "free", "option": "Free"})
        attributes.append({"id": str(uuid.uuid4()), "link_id": sid, "link_type": "service",
                           "taxonomy_term_id": term_id("categories", rng.choice(CATEGORIES)[0])})
        attributes.append({"id": str(uuid.uuid4()), "link_id": sid, "link_type": "service",
                           "taxonomy_term_id": term_id("needs", rng.choice(NEEDS)[0])})
    for model, rows in [(Organization, orgs), (Service, services), (Location, locations), (Address, addresses),
                        (ServiceAtLocation, sals), (Schedule, schedules), (CostOption, costs), (Attribute, attributes)]:
        db.session.execute(model.__table__.insert(), rows)
    db.session.commit()
    return [s["id"] for s in services]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--import-count", type=int, default=2_000)
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="bench-oruk-")
    config = {"CONFIG": "test", "SEARCH_SYNC_ON_COMMIT": False, "ORUK_RATE_LIMIT": "1000000 per minute",
              "SEARCH_INDEX_DIR": os.path.join(tmp, "index"), "GEO_DATABASE": os.path.join(tmp, "geo.sqlite")}
    db_path = os.path.join(tmp, "bench.db")
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
    with app.app_context():
        db.create_all()
        seed_taxonomy()
        db.session.commit()
        started = time.perf_counter()
        ids = bulk_insert(args.services)
        print(f"Inserted {len(ids):,} services (bulk core INSERT) in {time.perf_counter() - started:.1f} s; SQLite {db_path}")
    client = app.test_client()
    rng = random.Random(11)
    pages = (len(ids) + 49) // 50
    raw = sqlite3.connect(db_path)

    def api_page() -> None:
        response = client.get(f"/api/oruk/services?page={rng.randint(1, pages)}&per_page=50")
        assert response.status_code == 200
        response.get_data()

    def bare_page() -> None:
        raw.execute("SELECT * FROM service WHERE listing_status = 'published' ORDER BY name, id LIMIT 50 OFFSET ?",
                    ((rng.randint(1, pages) - 1) * 50,)).fetchall()

    row("/services?page=N&per_page=50", *timed_pair(api_page, bare_page, 300), "bare SELECT of the page")

    def api_full_page() -> None:
        response = client.get(f"/api/oruk/services?page={rng.randint(1, pages)}&per_page=50&full=true")
        assert response.status_code == 200
        response.get_data()

    row("/services?full=true (50)", *timed_pair(api_full_page, bare_page, 100), "bare SELECT of the page")

    def api_one() -> None:
        response = client.get(f"/api/oruk/services/{rng.choice(ids)}")
        assert response.status_code == 200
        response.get_data()

    def api_root() -> None:
        response = client.get("/api/oruk/")
        assert response.status_code == 200
        response.get_data()

    def orm_select_one() -> None:
        with app.app_context():
            db.session.get(Service, rng.choice(ids))

    # Random ids from 10,000: almost every call is the first for its id, as a crawler's would be.
    row("/services/{id}", *timed_pair(api_one, api_root, 500), "GET /api/oruk/ (trivial)")
    row("/services/{id}", *timed_pair(api_one, orm_select_one, 500), "ORM get() of the service")

    # Import: feed an export of the first N services into a fresh database (organisations embedded).
    exported = [json.loads(line) for line in client.get("/api/oruk/download").get_data(as_text=True).splitlines()[: args.import_count]]
    from microdir.oruk import importer, validate

    started = time.perf_counter()
    for record in exported:
        validate.record_errors(record, "service")  # the importer's own check
    validate_rate = len(exported) / (time.perf_counter() - started)
    target = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'import.db')}"})
    with target.app_context():
        db.create_all()
        seed_taxonomy()
        db.session.commit()
        started = time.perf_counter()
        report = importer.import_services(exported, publish=True, source="bench")
        db.session.commit()
        seconds = time.perf_counter() - started
        again_started = time.perf_counter()
        again = importer.import_services(exported, publish=True, source="bench")
        db.session.commit()
        again_seconds = time.perf_counter() - again_started
    # The same import with the search index following each commit (as `flask oruk import` runs by default).
    synced = create_app({**config, "SEARCH_SYNC_ON_COMMIT": True,
                         "SEARCH_INDEX_DIR": os.path.join(tmp, "index-synced"),
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{os.path.join(tmp, 'import-synced.db')}"})
    with synced.app_context():
        db.create_all()
        seed_taxonomy()
        db.session.commit()
        started = time.perf_counter()
        importer.import_services(exported, publish=True, source="bench")
        written = time.perf_counter() - started
        db.session.commit()  # the after-commit hook indexes every imported service here
        synced_seconds = time.perf_counter() - started
    rate = len(exported) / seconds
    print(f"import (new)                       {rate:8.0f} services/s ({report.summary()})  | its schema check alone "
          f"{validate_rate:8.0f}/s  | ratio {validate_rate / rate:5.1f}x")
    print(f"import (same file again)           {len(exported) / again_seconds:8.0f} services/s ({again.summary()})")
    print(f"import (new, index synced)         {len(exported) / synced_seconds:8.0f} services/s (write {written:.1f} s, "
          f"commit + index {synced_seconds - written:.1f} s)")


if __name__ == "__main__":
    main()
