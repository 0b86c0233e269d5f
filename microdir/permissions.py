"""Who may do what: the one place that decides.

Views declare what they need with ``@requires("capability")`` or ``@public``; object-level checks call
``can(user, capability, obj)`` or ``require(capability, obj)``. A structural test fails when any endpoint
has neither decorator, so a new route cannot be left unguarded by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import abort, redirect, request, url_for
from flask_login import current_user

from .models import Organization, Role, Service

if TYPE_CHECKING:
    from .domain.referrals import AdminGrant

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "_microdir_access"

# capability -> roles that hold it (before any object-level check below)
CAPABILITIES: dict[str, frozenset[Role]] = {
    "account.view": frozenset(Role),  # any signed-in person: their own account
    "listing.manage": frozenset({Role.PROVIDER, Role.MODERATOR, Role.ADMIN}),  # obj: Organization or Service
    "listing.view_unpublished": frozenset({Role.PROVIDER, Role.MODERATOR, Role.ADMIN}),
    "organisation.create": frozenset({Role.PROVIDER}),  # register a new organisation and its first listing
    "listing.claim": frozenset({Role.PROVIDER}),  # ask to manage a listing nobody manages yet
    "organisation.invite": frozenset({Role.PROVIDER}),  # obj: Organization -> its members only
    "moderation.review": frozenset({Role.MODERATOR, Role.ADMIN}),
    "quality_check.verify": frozenset({Role.MODERATOR, Role.ADMIN}),
    "quality_check.view": frozenset({Role.PROVIDER, Role.LINK_WORKER, Role.MODERATOR, Role.ADMIN}),
    "synonyms.edit": frozenset({Role.MODERATOR, Role.ADMIN}),
    "referral.create": frozenset({Role.LINK_WORKER}),  # obj: Referral -> the referring team only
    # Personal data of a referral. obj: referring team, receiving organisation, or an admin who gave an audited
    # reason for this referral in this session (domain/referrals/access.py can_access_referral decides).
    "referral.view": frozenset({Role.LINK_WORKER, Role.PROVIDER, Role.ADMIN}),
    # Admins: find a referral, give a reason to open it, and export what is held about a person (subject access).
    "referral.admin": frozenset({Role.ADMIN}),
    "referral.respond": frozenset({Role.PROVIDER}),  # obj: Referral -> members of the receiving organisation
    "referral.view_response_figures": frozenset({Role.LINK_WORKER, Role.MODERATOR, Role.COMMISSIONER, Role.ADMIN}),
    "insights.view": frozenset({Role.COMMISSIONER, Role.ADMIN}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.ADMIN}),
    "open_data.manage": frozenset({Role.ADMIN}),
}


def _member_of(user: Any, organization_id: str) -> bool:
    return any(org.id == organization_id for org in user.organizations)


def can(user: Any, capability: str, obj: Any = None, *, grant: AdminGrant | None = None) -> bool:
    """Return True when ``user`` holds ``capability``, for ``obj`` when one is given.

    :param grant: an admin's ``AdminGrant`` for the referral ``obj``, which the view keeps; without one an admin
        never sees a referral.
    """
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role not in CAPABILITIES[capability]:
        return False
    if obj is not None and capability in {"referral.create", "referral.view", "referral.respond"}:
        # Decided before the moderator/admin shortcut below: nobody sees a person's data by role alone.
        from .domain.referrals import can_access_referral

        return can_access_referral(user, capability, obj, grant)
    if obj is None or user.role in (Role.MODERATOR, Role.ADMIN):
        return True
    if (
        capability in {"listing.manage", "listing.view_unpublished", "quality_check.view", "organisation.invite"}
        and user.role is Role.PROVIDER
    ):
        if isinstance(obj, Organization):
            return _member_of(user, obj.id)
        if isinstance(obj, Service):
            return _member_of(user, obj.organization_id)
        return False
    return True


def require(capability: str, obj: Any = None) -> None:
    """Abort with 403 unless the signed-in user holds ``capability`` for ``obj``."""
    if not can(current_user, capability, obj):
        abort(403)


def _mark(view: F, access: str) -> F:
    setattr(view, ACCESS_ATTRIBUTE, access)
    return view


def public(view: F) -> F:
    """Mark a view as open to everyone, signed in or not."""
    return _mark(view, "public")


def requires(capability: str) -> Callable[[F], F]:
    """Require a signed-in user holding ``capability``; sign-in first if nobody is signed in."""
    if capability not in CAPABILITIES:
        raise KeyError(f"Unknown capability {capability!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if request.blueprint == "api" or request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        return _mark(cast(F, guarded), capability)

    return decorator


def access_of(view: Callable[..., Any]) -> str | None:
    """Return the access a view declared: a capability, "public", or None when it is unguarded."""
    return getattr(view, ACCESS_ATTRIBUTE, None)
