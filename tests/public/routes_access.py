"""Resident pages and the moderation queue in the role x route matrix."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import EVERYONE, Route

MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})


def _service(objects: dict[str, Any]) -> Any:
    from tests import factories

    if "resident_service" not in objects:
        objects["resident_service"] = factories.create_service(name="Matrix Lunch Club")
    return objects["resident_service"]


def _report(objects: dict[str, Any]) -> Any:
    from microdir.domain.reports import report_problem
    from microdir.extensions import db

    if "problem_report" not in objects:
        objects["problem_report"] = report_problem(_service(objects), ["closed"])
        db.session.commit()
    return objects["problem_report"]


ROUTES = [
    Route("resident.search", "/search?q=lunch&where=B66+1AA", EVERYONE),
    Route("resident.listing", lambda o: f"/services/{_service(o).id}", EVERYONE),
    Route("resident.report_problem", lambda o: f"/services/{_service(o).id}/report", EVERYONE),
    Route("resident.report_sent", lambda o: f"/services/{_service(o).id}/report/sent", EVERYONE),
    Route("resident.shortlist_page", "/shortlist", EVERYONE),
    Route("resident.shortlist_print", "/shortlist/print", EVERYONE),
    Route("resident.shortlist_shared", "/shortlist/shared?ids=not-valid", EVERYONE),
    Route("resident.shortlist_email", "/shortlist/email", EVERYONE),  # empty shortlist: redirects to /shortlist
    # The matrix posts no listing id, so the allowed answer is 400; adding for real is tested in test_shortlist.py.
    Route("resident.shortlist_add", "/shortlist/add", EVERYONE, method="POST", ok_statuses=frozenset({400})),
    Route("resident.shortlist_remove", "/shortlist/remove", EVERYONE, method="POST", ok_statuses=frozenset({400})),
    Route("resident.shortlist_clear", "/shortlist/clear", EVERYONE, method="POST"),
    Route("moderation.queue", "/moderation/", MODERATORS),
    Route("moderation.close_report", lambda o: f"/moderation/reports/{_report(o).id}/close", MODERATORS,
          method="POST"),
]
