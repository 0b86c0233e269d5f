"""Registration, the set-up task list, claims and invitations in the role x route matrix.

Objects are made per role: "mine" is a draft in the signed-in provider's organisation (moderators and admins
manage every listing, so they may use it too); "theirs" belongs to another organisation, so providers are refused.
"""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import EVERYONE, Route

PROVIDERS = frozenset({Role.PROVIDER})
MANAGERS = frozenset({Role.PROVIDER, Role.MODERATOR, Role.ADMIN})
MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
NOBODY: frozenset[Role | None] = frozenset()
# A POST with missing answers re-renders the form (200); one with a stale version redirects with a message.
FORM_STATUSES = frozenset({200, 302})
BAD_LINK = frozenset({400})


def _objects(objects: dict[str, Any]) -> dict[str, str]:
    if "registration" not in objects:
        from microdir.extensions import db
        from microdir.models import ClaimMethod, ListingClaim, ListingStatus
        from tests import factories

        user = objects.get("user")
        is_provider = user is not None and user.role is Role.PROVIDER
        mine = user.organizations[0] if is_provider else factories.create_organization()
        if not is_provider:
            factories.create_user(Role.PROVIDER, organizations=[mine])
        draft = factories.create_service(mine, listing_status=ListingStatus.DRAFT, first_published_at=None)
        theirs_org = factories.create_organization()
        factories.create_user(Role.PROVIDER, organizations=[theirs_org])
        theirs = factories.create_service(theirs_org, listing_status=ListingStatus.DRAFT, first_published_at=None)
        unclaimed = factories.create_service(factories.create_organization(email=None))
        claimant = user if is_provider else factories.create_user(Role.PROVIDER)
        claim = ListingClaim(service_id=unclaimed.id, organization_id=unclaimed.organization_id,
                             claimant_id=claimant.id, method=ClaimMethod.MODERATOR, connection="I run it")
        db.session.add(claim)
        db.session.commit()
        objects["registration"] = {
            "mine": draft.id, "org": mine.id, "theirs": theirs.id, "theirs_org": theirs_org.id,
            "unclaimed": unclaimed.id, "claim": claim.id,
        }
    return objects["registration"]


def _url(template: str) -> Any:
    return lambda o: template.format(**_objects(o))


ROUTES = [
    Route("registration.start", "/register", EVERYONE),
    Route("registration.email", "/register/email", EVERYONE),
    Route("registration.email", "/register/email", EVERYONE, method="POST", data={"email": ""},
          ok_statuses=FORM_STATUSES),
    Route("registration.verify", "/register/verify/not-a-token", EVERYONE, ok_statuses=BAD_LINK),
    Route("registration.new_organisation", "/register/organisation", PROVIDERS),
    Route("registration.new_organisation", "/register/organisation", PROVIDERS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("registration.about", _url("/register/services/{mine}/about"), MANAGERS),
    Route("registration.about", _url("/register/services/{theirs}/about"), MODERATORS),
    Route("registration.about", _url("/register/services/{theirs}/about"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("registration.workers", _url("/register/services/{mine}/workers"), MANAGERS),
    Route("registration.workers", _url("/register/services/{theirs}/workers"), MODERATORS),
    Route("registration.workers", _url("/register/services/{theirs}/workers"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("registration.tasks", _url("/register/services/{mine}/tasks"), MANAGERS),
    Route("registration.tasks", _url("/register/services/{theirs}/tasks"), MODERATORS),
    Route("registration.quality_checks", _url("/register/services/{mine}/quality-checks"), MANAGERS),
    Route("registration.quality_checks", _url("/register/services/{theirs}/quality-checks"), MODERATORS),
    Route("registration.quality_checks", _url("/register/services/{theirs}/quality-checks"), MODERATORS,
          method="POST", ok_statuses=FORM_STATUSES),
    Route("registration.new_check", _url("/register/services/{mine}/quality-checks/new"), MANAGERS),
    Route("registration.new_check", _url("/register/services/{theirs}/quality-checks/new"), MODERATORS),
    Route("registration.new_check", _url("/register/services/{theirs}/quality-checks/new"), MODERATORS,
          method="POST", ok_statuses=FORM_STATUSES),
    Route("registration.check_answers", _url("/register/services/{mine}/check"), MANAGERS),
    Route("registration.check_answers", _url("/register/services/{theirs}/check"), MODERATORS),
    # A stale version: the person is sent back to check; nothing is submitted.
    Route("registration.submit", _url("/register/services/{mine}/submit"), MANAGERS, method="POST",
          data={"version": "0"}),
    Route("registration.submit", _url("/register/services/{theirs}/submit"), MODERATORS, method="POST",
          data={"version": "0"}),
    Route("registration.submitted", _url("/register/services/{mine}/submitted"), MANAGERS),
    Route("registration.submitted", _url("/register/services/{theirs}/submitted"), MODERATORS),
    Route("registration.claim_start", _url("/services/{unclaimed}/claim"), EVERYONE),
    Route("registration.claim_submit", _url("/services/{unclaimed}/claim"), PROVIDERS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("registration.claim_sent", _url("/claims/{claim}"), PROVIDERS),
    Route("registration.confirm_claim", "/claims/confirm/not-a-token", EVERYONE, ok_statuses=BAD_LINK),
    Route("registration.claims_queue", "/moderation/claims", MODERATORS),
    Route("registration.review_claim", _url("/moderation/claims/{claim}"), MODERATORS),
    Route("registration.reject_claim", _url("/moderation/claims/{claim}/reject"), MODERATORS, method="POST",
          ok_statuses=FORM_STATUSES),
    Route("registration.approve_claim", _url("/moderation/claims/{claim}/approve"), MODERATORS, method="POST"),
    Route("registration.invite", _url("/provider/organisations/{org}/members/invite"), PROVIDERS),
    Route("registration.invite", _url("/provider/organisations/{theirs_org}/members/invite"), NOBODY),
    Route("registration.invite", _url("/provider/organisations/{theirs_org}/members/invite"), NOBODY,
          method="POST", data={"name": "Sam", "email": "sam@example.com"}),
]
