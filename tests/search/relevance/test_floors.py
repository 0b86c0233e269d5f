"""Floors on the judged collection: `make relevance` figures may not fall below these (see run.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.search.relevance.collection import COLLECTION, check_collection
from tests.search.relevance.run import TYPES

ROOT = Path(__file__).resolve().parents[3]

# Overall and per query type. success@5 and nDCG@10 over queries with a relevant listing; zero-result rate over
# the same queries (a query with nothing relevant may, and should, come back empty).
FLOORS: dict[str, dict[str, float]] = {
    "all": {"success5": 0.97, "ndcg10": 0.86, "zero_rate_max": 0.02},
    "plain": {"success5": 0.95, "ndcg10": 0.85},
    "need": {"success5": 1.0, "ndcg10": 0.89},
    "typo": {"success5": 0.95, "ndcg10": 0.85},
    "place": {"success5": 0.94, "ndcg10": 0.84},
    "filter": {"success5": 0.95, "ndcg10": 0.88},
}


def test_the_collection_is_big_enough_and_covers_every_kind_of_query() -> None:
    counts = check_collection()
    assert len(COLLECTION) >= 120
    assert set(counts) == set(TYPES)
    assert all(n >= 15 for n in counts.values()), counts
    # Graded: both "what was asked for" and "a partial answer" are used.
    grades = {g for q in COLLECTION for g in q.rules.values()}
    assert grades == {1, 2}


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("relevance")
    done = subprocess.run([sys.executable, "-m", "tests.search.relevance.run", "--json", "--no-save",
                           "--workdir", str(workdir)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", list(FLOORS))
def test_relevance_stays_above_its_floors(figures: dict[str, Any], kind: str) -> None:
    row = figures["summary"][kind]
    floor = FLOORS[kind]
    assert row["success5"] >= floor["success5"], (kind, row)
    assert row["ndcg10"] >= floor["ndcg10"], (kind, row)
    if "zero_rate_max" in floor:
        assert row["zero_rate"] <= floor["zero_rate_max"], (kind, row)
