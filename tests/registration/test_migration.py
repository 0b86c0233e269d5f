"""Migration 0006 creates exactly what the registration and claim models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from microdir.extensions import db

MINE = {"email_verification", "organization_setup", "listing_claim"}


def _tables_in(diff: Any) -> set[str]:
    """Every table name mentioned anywhere in one autogenerate difference."""
    found: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple | list):
            stack.extend(item)
            continue
        if isinstance(item, str):
            found.add(item)
        for attribute in ("table", "name"):
            value = getattr(item, attribute, None)
            name = getattr(value, "name", value)
            if isinstance(name, str):
                found.add(name)
    return found


def test_the_migrated_schema_matches_the_models(app_ctx: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert [d for d in differences if _tables_in(d) & MINE] == []
    assert MINE <= set(db.inspect(db.engine).get_table_names())
