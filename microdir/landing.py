"""Where each role lands after signing in, and the counts of what waits for them in the navigation.

The counts are single COUNT queries (no rows loaded), worked out at most once per request.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for
from sqlalchemy import func

from .extensions import db
from .models import Referral, ReferralStatus, Role

INSIGHTS_PATHS = ("/insights", "/insights/")


def _insights_endpoint() -> str | None:
    """Return the endpoint serving /insights when the insights feature is installed, else None."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule in INSIGHTS_PATHS and "GET" in (rule.methods or ()) and not rule.arguments:
            return rule.endpoint
    return None


def waiting_counts(user: Any) -> dict[str, int]:
    """Return what waits for ``user``, by navigation endpoint: e.g. {"inbox.index": 3}. Cached per request."""
    # Cached on the request (not ``g``, which outlives a request when an app context was pushed around it).
    store = request.environ if has_request_context() else {}
    cached = store.get("microdir.waiting_counts")
    if cached is not None and cached[0] == getattr(user, "id", None):
        return cached[1]
    counts: dict[str, int] = {}
    role = getattr(user, "role", None)
    if role is Role.PROVIDER:
        org_ids = [org.id for org in user.organizations]
        if org_ids:
            counts["inbox.index"] = _count(db.select(func.count()).select_from(Referral).where(
                Referral.organization_id.in_(org_ids), Referral.status == ReferralStatus.SENT))
    elif role is Role.LINK_WORKER and user.team_id is not None:
        from .domain import caseload

        counts["referrals.caseload"] = caseload.count_needing_action(user.team_id)
    elif role in (Role.MODERATOR, Role.ADMIN):
        from .domain import moderation_queue

        counts["moderation.queue"] = moderation_queue.count_waiting()
    store["microdir.waiting_counts"] = (getattr(user, "id", None), counts)
    return counts


def _count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def landing_url(user: Any) -> str:
    """Return the page ``user`` should land on after signing in (when there is no safe ``next``)."""
    role = getattr(user, "role", None)
    if role is Role.LINK_WORKER:
        return url_for("referrals.caseload")
    if role is Role.PROVIDER:
        # Referrals waiting for a reply come first; otherwise their listings (which link to the inbox).
        if waiting_counts(user).get("inbox.index"):
            return url_for("inbox.index")
        return url_for("providers.listings")
    if role is Role.MODERATOR:
        return url_for("moderation.queue")
    if role is Role.COMMISSIONER:
        endpoint = _insights_endpoint()
        return url_for(endpoint) if endpoint else url_for("account.home")
    if role is Role.ADMIN:
        return url_for("admin.home")
    return url_for("account.home")
