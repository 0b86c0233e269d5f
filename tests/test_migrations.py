"""The migrations build exactly the schema the models describe: every table, column, type, key and index.

One check for the whole schema, so a model change without its migration fails here on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from microdir.extensions import db

REPO_MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def test_the_migrated_schema_matches_the_models(app_ctx: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    assert set(db.metadata.tables) <= set(db.inspect(db.engine).get_table_names())
