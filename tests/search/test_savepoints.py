"""Releasing a savepoint is not a commit: the index waits for the real commit, and then has every change."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.search import indexer
from tests import factories


def test_changes_made_inside_savepoints_are_indexed_at_the_outer_commit(app: Any) -> None:
    with app.app_context():
        organization = factories.create_organization()
        before = indexer.read_position(indexer.current_dir(indexer.get_manager(app).root))
        with db.session.begin_nested():
            first = factories.build_service(organization, name="Savepoint Singers")
            db.session.add(first)
        # Released but not committed: the index must not have moved (nor lost the pending flag).
        assert indexer.read_position(indexer.current_dir(indexer.get_manager(app).root)) == before
        with db.session.begin_nested():
            second = factories.build_service(organization, name="Savepoint Strollers")
            db.session.add(second)
        db.session.commit()
        assert {first.id, second.id} <= set(indexer.indexed_versions(app))
