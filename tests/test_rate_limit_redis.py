"""With MICRODIR_REDIS_URL set, sign-in limits are counted in Redis, so every app node shares them."""

from __future__ import annotations

from typing import Any

import pytest
import redis

from microdir import create_app
from microdir.extensions import db

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return client


def test_sign_in_limit_is_shared_through_redis(tmp_path: Any) -> None:
    store = _redis_or_skip()
    store.flushdb()
    settings = {"CONFIG": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/db.sqlite",
                "REDIS_URL": REDIS_URL, "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False,
                "GEO_DATABASE": str(tmp_path / "geo.sqlite"), "SEARCH_INDEX_DIR": str(tmp_path / "index")}
    node_a, node_b = create_app(settings), create_app(settings)
    assert node_a.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    with node_a.app_context():
        db.create_all()
    try:
        data = {"email": "someone@example.com", "password": "wrong password here"}
        statuses = [node_a.test_client().post("/sign-in", data=data).status_code for _ in range(2)]
        statuses.append(node_b.test_client().post("/sign-in", data=data).status_code)
        statuses.append(node_b.test_client().post("/sign-in", data=data).status_code)
        assert statuses == [200, 200, 200, 429]
        assert store.keys("LIMITS*"), "the limiter wrote nothing to Redis"
    finally:
        store.flushdb()
        for app in (node_a, node_b):
            with app.app_context():
                db.engine.dispose()
