"""Moderators' listing pages and the providers' one-click "still right" page in the role x route matrix.

A provider can never act on a listing through these pages, their own or another organisation's: only moderators
(and admins) can. The "still right" page needs no sign-in; its token decides, so everyone gets the same answer.
"""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import EVERYONE, Route

MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
# A POST with a missing reason re-renders the page with an error (200); a decision redirects.
FORM_STATUSES = frozenset({200, 302})


def _objects(objects: dict[str, Any]) -> dict[str, str]:
    if "moderation" not in objects:
        from tests import factories

        user = objects.get("user")
        mine = user.organizations[0] if user is not None and user.role is Role.PROVIDER else factories.create_organization()
        theirs = factories.create_service(factories.create_organization())
        objects["moderation"] = {"mine": factories.create_service(mine).id, "theirs": theirs.id}
    return objects["moderation"]


def _url(template: str) -> Any:
    return lambda o: template.format(**_objects(o))


ROUTES = [
    Route("moderation.listing", _url("/moderation/listings/{mine}"), MODERATORS),
    Route("moderation.listing", _url("/moderation/listings/{theirs}"), MODERATORS),
    Route("moderation.suspend", _url("/moderation/listings/{mine}/suspend"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("moderation.suspend", _url("/moderation/listings/{theirs}/suspend"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("moderation.archive", _url("/moderation/listings/{theirs}/archive"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("moderation.reinstate", _url("/moderation/listings/{mine}/reinstate"), MODERATORS, method="POST",
          ok_statuses=frozenset({302})),
    Route("moderation.phoned", _url("/moderation/listings/{theirs}/phoned"), MODERATORS, method="POST"),
    Route("moderation.override_micro_provider", _url("/moderation/listings/{mine}/micro-provider"), MODERATORS,
          method="POST", ok_statuses=FORM_STATUSES),
    Route("moderation.override_micro_provider", _url("/moderation/listings/{theirs}/micro-provider"), MODERATORS,
          method="POST", ok_statuses=FORM_STATUSES),
    Route("upkeep.confirm", "/listing-check/not-a-real-token", EVERYONE, ok_statuses=frozenset({404})),
]
