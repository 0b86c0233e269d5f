"""Search admin routes in the role x route matrix: moderators and admins edit synonyms."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import Route

EDITORS = frozenset({Role.MODERATOR, Role.ADMIN})


def _synonym(objects: dict[str, Any]) -> int:
    """Create one synonym the first time a URL needs it."""
    if "synonym" not in objects:
        from microdir.extensions import db
        from microdir.models import Synonym

        synonym = Synonym(term=f"matrix term {len(objects)}", expansions="befriending")
        db.session.add(synonym)
        db.session.commit()
        objects["synonym"] = synonym.id
    return objects["synonym"]


ROUTES = [
    Route("search_admin.index", "/moderation/synonyms", EDITORS),
    Route("search_admin.add", "/moderation/synonyms/new", EDITORS),
    Route("search_admin.edit", lambda o: f"/moderation/synonyms/{_synonym(o)}/edit", EDITORS),
    Route("search_admin.delete", lambda o: f"/moderation/synonyms/{_synonym(o)}/delete", EDITORS),
]
