"""An admin's grant is handed to the access rule, not looked up in a browser session: it works the same in a job,
the CLI or a request, and opens one referral, to one admin, until it runs out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from microdir.domain import referrals as ops
from microdir.models import Role, utcnow
from microdir.permissions import can
from tests import factories
from tests.referrals.helpers import S, make_referral

REASON = "Complaint C-2026-114 from the person's daughter"


def test_an_admin_grant_opens_one_referral_to_one_admin_until_it_runs_out(app_ctx: Any) -> None:
    referral, other = make_referral(S.SENT), make_referral(S.SENT)
    admin, colleague = factories.create_user(Role.ADMIN), factories.create_user(Role.ADMIN)

    grant = ops.grant_admin_access(referral, admin, REASON)  # no request: nothing to keep it in but the caller

    assert (grant.referral_id, grant.admin_id) == (referral.id, admin.id)
    assert can(admin, "referral.view", referral, grant=grant)
    assert not can(admin, "referral.view", referral)  # no grant handed in: nothing seen
    assert not can(admin, "referral.view", other, grant=grant)
    assert not can(colleague, "referral.view", referral, grant=grant)
    assert not can(admin, "referral.respond", referral, grant=grant)  # admins read, never act
    assert not grant.opens(referral, admin, now=grant.expires + timedelta(seconds=1))
    assert grant.expires - utcnow() <= timedelta(minutes=30)  # REFERRAL_ADMIN_ACCESS_MINUTES
