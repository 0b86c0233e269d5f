"""Benchmark "forgot your password": does the answer take longer for an address that has an account?

Usage: .venv/bin/python bench/forgot_password.py [--runs 300] [--min-seconds 0.25]

Builds a fresh SQLite database in a temporary folder, makes one account, then POSTs /forgot-password in-process,
alternating a known and an unknown address (so load on the machine hits both alike). It runs twice: without the
minimum response time (RESET_REQUEST_MIN_SECONDS = 0), the baseline, and with it. It prints the median, p10 and
p90 of each in milliseconds, the known − unknown median gap, and a Mann-Whitney style overlap: the share of
(known, unknown) pairs where the known one was slower (0.5 = indistinguishable, 1.0 = always slower).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from microdir import create_app  # noqa: E402
from microdir.extensions import db  # noqa: E402


def _app(folder: str, min_seconds: float) -> object:
    import flask_migrate

    from microdir.domain.accounts import create_user
    from microdir.models import Role

    app = create_app({
        "CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
        "SEARCH_INDEX_DIR": os.path.join(folder, "index"), "GEO_DATABASE": os.path.join(folder, "geo.sqlite"),
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "RESET_REQUEST_MIN_SECONDS": min_seconds,
        "PASSWORD_HASH_METHOD": "scrypt",
    })
    with app.app_context():
        if not db.inspect(db.engine).has_table("user_account"):
            flask_migrate.upgrade()
        if db.session.scalar(db.text("SELECT count(*) FROM user_account")) == 0:
            create_user("known@example.org", "Known Person", "a long enough password", Role.MODERATOR)
            db.session.commit()
    return app


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(app: object, runs: int) -> tuple[list[float], list[float]]:
    client = app.test_client()  # type: ignore[attr-defined]
    known: list[float] = []
    unknown: list[float] = []
    for i in range(runs * 2 + 20):
        address, bucket = ("known@example.org", known) if i % 2 == 0 else (f"nobody{i}@example.org", unknown)
        started = time.perf_counter()
        response = client.post("/forgot-password", data={"email": address})
        took = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.status_code
        if i >= 20:  # warm-up
            bucket.append(took)
    return known, unknown


def report(label: str, known: list[float], unknown: list[float]) -> float:
    slower = sum(1 for k in known for u in unknown if k > u) / (len(known) * len(unknown))
    gap = statistics.median(known) - statistics.median(unknown)
    for name, values in (("known", known), ("unknown", unknown)):
        print(f"{label:>26} {name:>8}: median {statistics.median(values):7.2f} ms  p10 "
              f"{_percentile(values, 0.1):7.2f}  p90 {_percentile(values, 0.9):7.2f}  (n={len(values)})")
    print(f"{label:>26}   gap: {gap:+.2f} ms; P(known slower) = {slower:.2f}")
    return gap


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--min-seconds", type=float, default=0.25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = report("no minimum (baseline)", *measure(_app(folder, 0.0), args.runs))
        padded = report(f"minimum {args.min_seconds:.2f} s", *measure(_app(folder, args.min_seconds), args.runs))
        print(f"gap with the minimum / gap without: {padded / base if base else float('nan'):.2f}")


if __name__ == "__main__":
    main()
