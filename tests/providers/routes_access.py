"""Providers' pages and moderators' revision pages in the role x route matrix.

Objects are made per role: the "mine" listing belongs to the signed-in provider's organisation, so providers
(and moderators and admins, who manage every listing) may use it; the "theirs" listing belongs to another
organisation, so providers are refused it.
"""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import Route

MANAGERS = frozenset({Role.PROVIDER, Role.MODERATOR, Role.ADMIN})
MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
# A POST with missing answers re-renders the form (200); one with a stale version redirects with a message.
FORM_STATUSES = frozenset({200, 302, 409})


def _objects(objects: dict[str, Any]) -> dict[str, str]:
    if "providers" not in objects:
        from tests import factories
        from tests.providers.helpers import new_listing, pending_change

        user = objects.get("user")
        mine = user.organizations[0] if user is not None and user.role is Role.PROVIDER else factories.create_organization()
        owner = user if user is not None and user.role is Role.PROVIDER else factories.create_user(Role.PROVIDER, organizations=[mine])
        published = factories.create_service(mine)
        revision = pending_change(published, owner, name="Renamed for the matrix")
        draft, new_revision = new_listing(mine, owner)
        theirs_org = factories.create_organization()
        theirs = factories.create_service(theirs_org)
        objects["providers"] = {
            "mine": published.id, "org": mine.id, "theirs": theirs.id, "theirs_org": theirs_org.id,
            "revision": revision.id, "new_revision": new_revision.id, "draft": draft.id,
            "check": _check_with_document(mine, owner), "check_to_delete": _check_with_document(mine, owner),
            "theirs_check": _check_with_document(theirs_org, owner),
            "theirs_check_to_delete": _check_with_document(theirs_org, owner),
        }
    return objects["providers"]


def _check_with_document(organization: Any, actor: Any) -> str:
    from microdir.domain import provider_profiles
    from microdir.extensions import db
    from microdir.models import QualityCheck, QualityCheckType

    check = QualityCheck(organization=organization, check_type=QualityCheckType.DBS, reference="001234567890")
    db.session.add(check)
    db.session.flush()
    provider_profiles.attach_document(check, b"%PDF-1.4\n%%EOF\n", "dbs.pdf", actor)
    db.session.commit()
    return check.id


def _url(template: str) -> Any:
    return lambda o: template.format(**_objects(o))


ROUTES = [
    Route("providers.listings", "/provider/", MANAGERS),
    Route("providers.edit", _url("/provider/services/{mine}/edit"), MANAGERS),
    Route("providers.edit", _url("/provider/services/{theirs}/edit"), MODERATORS),
    Route("providers.edit", _url("/provider/services/{mine}/edit"), MANAGERS, method="POST", ok_statuses=FORM_STATUSES),
    Route("providers.edit", _url("/provider/services/{theirs}/edit"), MODERATORS, method="POST", ok_statuses=FORM_STATUSES),
    Route("providers.submit_for_review", _url("/provider/services/{mine}/submit"), MANAGERS, method="POST",
          data={"version": "0"}),
    Route("providers.submit_for_review", _url("/provider/services/{theirs}/submit"), MODERATORS, method="POST",
          data={"version": "0"}),
    Route("providers.workers", _url("/provider/organisations/{org}/workers"), MANAGERS),
    Route("providers.workers", _url("/provider/organisations/{theirs_org}/workers"), MODERATORS),
    Route("providers.workers", _url("/provider/organisations/{theirs_org}/workers"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("providers.new_service", _url("/provider/organisations/{org}/services/new"), MANAGERS),
    Route("providers.new_service", _url("/provider/organisations/{theirs_org}/services/new"), MODERATORS),
    Route("providers.new_service", _url("/provider/organisations/{theirs_org}/services/new"), MODERATORS,
          method="POST", ok_statuses=FORM_STATUSES),
    Route("providers.new_check", _url("/provider/organisations/{org}/checks/new"), MANAGERS),
    Route("providers.new_check", _url("/provider/organisations/{theirs_org}/checks/new"), MODERATORS),
    Route("providers.new_check", _url("/provider/organisations/{theirs_org}/checks/new"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("revisions.queue", "/moderation/revisions/", MODERATORS),
    Route("revisions.show", _url("/moderation/revisions/{revision}"), MODERATORS),
    Route("revisions.show", _url("/moderation/revisions/{new_revision}"), MODERATORS),
    # A stale view: the moderator is told the listing changed and sent back to look again; nothing is decided.
    Route("revisions.approve", _url("/moderation/revisions/{revision}/approve"), MODERATORS, method="POST",
          data={"seen": "0"}),
    Route("revisions.reject", _url("/moderation/revisions/{revision}/reject"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("revisions.quality_checks", "/moderation/revisions/quality-checks", MODERATORS),
    Route("revisions.verify_check", "/moderation/revisions/quality-checks/not-a-check/verify", MODERATORS,
          method="POST", ok_statuses=frozenset({404})),
]

# The listing editor's sections: one route, a section per page; a POST without answers re-renders with errors.
ROUTES += [
    Route("providers.edit_section", _url("/provider/services/{mine}/edit/when"), MANAGERS),
    Route("providers.edit_section", _url("/provider/services/{mine}/edit/where"), MANAGERS),
    Route("providers.edit_section", _url("/provider/services/{theirs}/edit/where"), MODERATORS),
    Route("providers.edit_section", _url("/provider/services/{mine}/edit/accessibility"), MANAGERS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("providers.edit_section", _url("/provider/services/{theirs}/edit/when"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
]


# Documents backing quality checks: the organisation's members, moderators and admins; never link workers or anyone
# else. A POST without a file re-renders the form with its message; deleting goes back to the listings.
ROUTES += [
    Route("providers.check_document", _url("/provider/checks/{check}/document"), MANAGERS),
    Route("providers.check_document", _url("/provider/checks/{theirs_check}/document"), MODERATORS),
    Route("providers.check_document", _url("/provider/checks/{theirs_check}/document"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("providers.download_document", _url("/provider/checks/{check}/document/file"), MANAGERS),
    Route("providers.download_document", _url("/provider/checks/{theirs_check}/document/file"), MODERATORS),
    Route("providers.delete_check", _url("/provider/checks/{check}/delete"), MANAGERS),
    Route("providers.delete_check", _url("/provider/checks/{theirs_check}/delete"), MODERATORS),
    Route("providers.delete_check", _url("/provider/checks/{check_to_delete}/delete"), MANAGERS, method="POST"),
    Route("providers.delete_check", _url("/provider/checks/{theirs_check_to_delete}/delete"), MODERATORS,
          method="POST"),
]
