"""Migrations 0004 and 0008 create exactly what the referral models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from microdir.extensions import db

MINE = {"referral", "referral_event", "wellbeing_score", "referral_nudge"}


def _table_of(diff: Any) -> str | None:
    for part in diff if isinstance(diff, tuple) else (diff,):
        for candidate in (part, *(part if isinstance(part, tuple | list) else ())):
            table = getattr(candidate, "table", None)
            name = getattr(table, "name", None) or getattr(candidate, "name", None)
            if isinstance(candidate, str) and candidate in MINE:
                return candidate
            if name in MINE:
                return name
    return None


def test_the_migrated_schema_matches_the_models(app_ctx: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    mine = [d for d in differences if _table_of(d) in MINE]
    assert mine == []
