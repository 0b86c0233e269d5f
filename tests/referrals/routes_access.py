"""Referral routes in the role x route matrix. Objects are made per role: the referral belongs to the signed-in
link worker's team or provider's organisation when there is one, so only they are allowed; everyone else
(other roles, and moderators, commissioners and admins above all) is refused."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import EVERYONE, Route

LINK_WORKERS = frozenset({Role.LINK_WORKER})
PROVIDERS = frozenset({Role.PROVIDER})
ADMINS = frozenset({Role.ADMIN})  # and then only under a reason: /admin/referrals/<id> sends them to the reason form


def _objects(objects: dict[str, Any]) -> dict[str, str]:
    if "referrals" not in objects:
        from tests import factories
        from tests.referrals.helpers import S, make_referral

        user = objects.get("user")
        team_user = user if user is not None and user.role is Role.LINK_WORKER else None
        organization = user.organizations[0] if user is not None and user.role is Role.PROVIDER else None
        service = factories.create_service(organization) if organization else factories.create_service()
        sent = make_referral(S.SENT, team_user=team_user, service=service)
        draft = make_referral(S.DRAFT, team_user=sent.created_by, service=service)
        objects["referrals"] = {"sent": sent.id, "draft": draft.id, "service": service.id}
    return objects["referrals"]


def _sent(path: str = "") -> Any:
    return lambda o: f"/referrals/{_objects(o)['sent']}{path}"


def _draft(path: str) -> Any:
    return lambda o: f"/referrals/{_objects(o)['draft']}{path}"


def _inbox(path: str = "") -> Any:
    return lambda o: f"/inbox/{_objects(o)['sent']}{path}"


def _admin(path: str = "") -> Any:
    return lambda o: f"/admin/referrals/{_objects(o)['sent']}{path}"


def _receipt_link(objects: dict[str, Any]) -> str:
    from microdir.signed_links import LinkPurpose, make_link_token

    return f"/your-referral/withdraw/{make_link_token(LinkPurpose.REFERRAL_RECEIPT, {'r': _objects(objects)['sent']})}"


ROUTES = [
    Route("referrals.caseload", "/referrals/", LINK_WORKERS),
    Route("referrals.new", lambda o: f"/referrals/new?service={_objects(o)['service']}", LINK_WORKERS),
    Route("referrals.details", _draft("/details"), LINK_WORKERS),
    Route("referrals.consent", _draft("/consent"), LINK_WORKERS),
    Route("referrals.cannot_send", _draft("/cannot-send"), LINK_WORKERS),
    Route("referrals.delete_draft", _draft("/delete"), LINK_WORKERS),
    Route("referrals.wellbeing", _draft("/wellbeing"), LINK_WORKERS),
    Route("referrals.check", _draft("/check"), LINK_WORKERS),
    # A stale expected_version: the allowed role is told "changed by someone else" and redirected.
    Route("referrals.send", _draft("/send"), LINK_WORKERS, method="POST", data={"expected_version": "0"}),
    Route("referrals.timeline", _sent(), LINK_WORKERS),
    Route("referrals.sent", _sent("/sent"), LINK_WORKERS),
    Route("referrals.withdraw", _sent("/withdraw"), LINK_WORKERS, method="POST", data={"expected_version": "0"}),
    Route("inbox.index", "/inbox/", PROVIDERS),
    Route("inbox.referral", _inbox(), PROVIDERS),
    Route("inbox.act", _inbox("/act/accept"), PROVIDERS, method="POST", data={"expected_version": "0"}),
    Route("inbox.decline", _inbox("/decline"), PROVIDERS),
    Route("inbox.close", _inbox("/close"), PROVIDERS),
    Route("inbox.did_not_start", _inbox("/did-not-start"), PROVIDERS),
    Route("referrals.did_not_start", _sent("/did-not-start"), LINK_WORKERS),
    Route("referrals.team_close", _sent("/close"), LINK_WORKERS),
    Route("referrals.follow_up", _sent("/follow-up"), LINK_WORKERS),
    Route("referrals.follow_up_date", _sent("/follow-up-date"), LINK_WORKERS, method="POST",
          data={"expected_version": "0"}),
    Route("referrals.note", _sent("/note"), LINK_WORKERS, method="POST", data={"message": "Matrix note"}),
    Route("inbox.note", _inbox("/note"), PROVIDERS, method="POST", data={"message": "Matrix note"}),
    Route("referrals.gp_summary", _sent("/gp-summary"), LINK_WORKERS),
    Route("referrals.from_shortlist", "/referrals/from-shortlist", LINK_WORKERS),
    # The person's own pages: public, guarded by their reference and a detail, or a signed link.
    Route("referral_receipt.start", "/your-referral/", EVERYONE),
    Route("referral_receipt.confirm", _receipt_link, EVERYONE),
    Route("referral_receipt.done", "/your-referral/withdrawn", EVERYONE),
    Route("referral_admin.find", "/admin/referrals/", ADMINS),
    Route("referral_admin.access", _admin("/access"), ADMINS),
    Route("referral_admin.view", _admin(), ADMINS),
    Route("referral_admin.subject_access", "/admin/referrals/subject-access", ADMINS),
]
