"""Two people acting at once on the same referral: exactly one wins, the other is told."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import Referral, ReferralEvent, Role, User
from tests import factories
from tests.referrals.helpers import S, make_referral, provider_for


def test_two_simultaneous_accepts_one_wins_one_is_told(app: Any) -> None:
    with app.app_context():
        referral = make_referral(S.SENT)
        first = provider_for(referral.service)
        second = factories.create_user(Role.PROVIDER, organizations=[referral.service.organization])
        ids = referral.id, first.id, second.id
        db.session.remove()

    # Two app contexts = two independent SQLAlchemy sessions (and connections) on the same database,
    # like two web requests: both load version N before either writes.
    outer = app.app_context()
    outer.push()
    try:
        mine = db.session.get(Referral, ids[0])
        seen_by_me = mine.version
        inner = app.app_context()
        inner.push()
        try:
            theirs = db.session.get(Referral, ids[0])
            assert theirs.version == seen_by_me
            ops.transition(theirs, "accept", actor=db.session.get(User, ids[2]), expected_version=theirs.version)
            db.session.commit()
        finally:
            db.session.remove()
            inner.pop()
        # My copy still says SENT at version N, so the pre-check passes; the UPDATE ... WHERE version = N loses.
        assert mine.status is S.SENT
        with pytest.raises(ops.ConflictError, match="This referral was changed by someone else"):
            ops.transition(mine, "accept", actor=db.session.get(User, ids[1]), expected_version=seen_by_me)
        db.session.rollback()
    finally:
        db.session.remove()
        outer.pop()

    with app.app_context():
        stored = db.session.get(Referral, ids[0])
        assert stored.status is S.ACCEPTED
        accepts = db.session.scalars(
            db.select(ReferralEvent).where(ReferralEvent.referral_id == ids[0], ReferralEvent.action == "accept")
        ).all()
        assert [e.actor_id for e in accepts] == [ids[2]]
        db.session.remove()


def test_accept_after_someone_else_declined_is_refused_over_http(app_ctx: Any, client_request: Any) -> None:
    referral = make_referral(S.SENT)
    me = provider_for(referral.service)
    colleague = factories.create_user(Role.PROVIDER, organizations=[referral.service.organization])
    client_request.sign_in(me)
    page = client_request.get(f"/inbox/{referral.id}")
    seen = page.select("form[action$='/act/accept'] input[name=expected_version]")[0]["value"]
    ops.transition(referral, "decline", actor=colleague, reason=ops.DeclineReason.NOT_ELIGIBLE,
                   expected_version=referral.version)
    db.session.commit()
    token = page.form_data("form[action$='/act/accept']")["csrf_token"]
    response = client_request.client.post(f"/inbox/{referral.id}/act/accept",
                                          data={"csrf_token": token, "expected_version": seen})
    assert response.status_code == 302
    after = client_request.get(f"/inbox/{referral.id}")
    assert "This referral was changed by someone else" in after.text()
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.DECLINED
