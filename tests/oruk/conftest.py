"""Fixtures for the open-data tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED, start_with_empty_index

PUBLISHED_EXAMPLES = SHARED / "oruk" / "uk-profile" / "published" / "examples"
HSDS_EXAMPLES = SHARED / "oruk" / "examples"


def load_example(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def api(client: Any) -> Any:
    """GET an API path (relative to /api/oruk) and return (response, parsed JSON)."""

    def get(path: str, expected: int = 200, **kwargs: Any) -> Any:
        response = client.get("/api/oruk" + path, **kwargs)
        assert response.status_code == expected, f"{path}: {response.status_code} {response.get_data(as_text=True)[:500]}"
        return response.get_json(silent=True)

    get.client = client  # type: ignore[attr-defined]
    return get


@pytest.fixture(autouse=True)
def _forget_imported_terms(request: pytest.FixtureRequest) -> Any:
    """Taxonomy tables are kept between tests (seeded once); remove any term or taxonomy an import added."""
    yield
    if "app" not in request.fixturenames:
        return
    from microdir.domain.taxonomy import CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID
    from microdir.extensions import db
    from microdir.models import Attribute, Taxonomy, TaxonomyTerm

    app = request.getfixturevalue("app")
    ours = (CATEGORIES_TAXONOMY_ID, NEEDS_TAXONOMY_ID)
    with app.app_context():
        db.session.rollback()
        strays = list(db.session.scalars(db.select(TaxonomyTerm.id).where(
            db.or_(TaxonomyTerm.taxonomy_id.is_(None), TaxonomyTerm.taxonomy_id.not_in(ours))
        )))
        db.session.execute(db.delete(Attribute).where(Attribute.taxonomy_term_id.in_(strays)))
        db.session.execute(db.update(TaxonomyTerm).where(TaxonomyTerm.id.in_(strays)).values(parent_id=None))
        db.session.execute(db.delete(TaxonomyTerm).where(TaxonomyTerm.id.in_(strays)))
        db.session.execute(db.delete(Taxonomy).where(Taxonomy.id.not_in(ours)))
        db.session.commit()
        db.session.remove()


@pytest.fixture(autouse=True)
def _fresh_search_index(app: Any) -> Any:
    """Start each test from an empty search index, as the search tests do (the same reset hook, registered once)."""
    start_with_empty_index(app)
    yield
