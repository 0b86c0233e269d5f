"""Migration 0007 builds exactly the tables the upkeep models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from microdir.extensions import db

MINE = {"listing_reminder", "quality_check_notice", "listing_hold"}


def _tables_named(diff: Any) -> set[str]:
    found: set[str] = set()
    for part in diff if isinstance(diff, (tuple, list)) else (diff,):
        if isinstance(part, (tuple, list)):
            found |= _tables_named(part)
        elif isinstance(part, str) and part in MINE:
            found.add(part)
        else:
            table = getattr(part, "table", None)
            name = getattr(table, "name", None) or getattr(part, "name", None)
            if name in MINE:
                found.add(name)
    return found


def test_the_migrated_schema_matches_the_upkeep_models(app_ctx: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert [d for d in differences if _tables_named(d)] == []
