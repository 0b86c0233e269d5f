"""Venues within a radius: the geocell shortcut (whole cells inside the circle) agrees with exact distances."""

from __future__ import annotations

import random
from pathlib import Path

from microdir.search import indexer
from microdir.search.queries import _Cache, _venues_within, from_bits, miles_between
from microdir.search.schema import geocell

CENTRES = [(52.49643, -1.97264), (57.14, -2.10), (50.37, -4.14), (51.5, -0.01)]  # Smethwick, Aberdeen, Plymouth, London


def _build(root: Path, count: int) -> tuple[indexer.IndexManager, dict[str, list[list[float]]]]:
    from whoosh import index as whoosh_index

    rng = random.Random(4)
    directory = indexer._new_generation(str(root))
    ix = whoosh_index.open_dir(directory)
    points_by_id: dict[str, list[list[float]]] = {}
    with ix.writer() as writer:
        for i in range(count):
            lat, lon = rng.choice(CENTRES)
            points = [[lat + rng.uniform(-0.8, 0.8), lon + rng.uniform(-1.2, 1.2)] for _ in range(rng.choice([1, 1, 2]))]
            service_id = f"s{i}"
            points_by_id[service_id] = points
            writer.add_document(id=service_id, version=1, name=service_id, text="club", mode="venue",
                                geocell=",".join(geocell(a, b) for a, b in points), points=points)
    indexer._point_current_at(str(root), directory)
    return indexer.IndexManager(str(root)), points_by_id


def test_venues_within_matches_an_exact_distance_check(tmp_path: Path) -> None:
    manager, points_by_id = _build(tmp_path / "index", 1500)
    with manager.use() as state:
        cache = _Cache(state)
        everyone = cache.live()
        for lat, lon in CENTRES + [(52.0, -1.0)]:
            for miles in (0.5, 3.0, 5.0, 10.0, 25.0, 50.0):
                distances: dict[int, float | None] = {}
                found = {cache.stored(d)[0] for d in from_bits(_venues_within(cache, everyone, lat, lon, miles, distances))}
                exact = {i for i, points in points_by_id.items()
                         if min(miles_between(lat, lon, a, b) for a, b in points) <= miles}
                assert found == exact, (lat, lon, miles)
                assert exact or miles < 5  # the check is not vacuous: every centre has venues within 5 miles
    manager.close()
