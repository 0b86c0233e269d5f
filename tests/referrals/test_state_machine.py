"""The referral state machine: the table, who may act, and properties over random sequences."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import AuditEvent, CloseOutcome, DeclineReason, ReferralEvent, Role
from tests import factories
from tests.referrals.helpers import PATHS, S, make_referral, provider_for

# The issue's rules, written out independently of the module's table so the two check each other.
ALLOWED = {
    (S.DRAFT, "send"): S.SENT,
    (S.SENT, "accept"): S.ACCEPTED,
    (S.SENT, "decline"): S.DECLINED,
    (S.SENT, "expire"): S.EXPIRED,
    (S.ACCEPTED, "first_contact"): S.FIRST_CONTACT,
    (S.FIRST_CONTACT, "engage"): S.ENGAGED,
    (S.ENGAGED, "close"): S.CLOSED,
    (S.ACCEPTED, "did_not_start"): S.CLOSED,  # issue 15: the person never started
    (S.FIRST_CONTACT, "did_not_start"): S.CLOSED,
    **{(s, "withdraw"): S.WITHDRAWN for s in (S.DRAFT, S.SENT, S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED)},
    **{(s, "close_inactive"): S.CLOSED for s in (S.ACCEPTED, S.FIRST_CONTACT, S.ENGAGED)},
}
WHO = {"send": "team", "accept": "provider", "decline": "provider", "expire": "system", "first_contact": "provider",
       "engage": "provider", "close": "provider", "withdraw": "team", "did_not_start": "team",
       "close_inactive": "system"}
# Who else may take the action (issue 15: either side closes, either side records "did not start").
ALSO = {"close": {"team"}, "did_not_start": {"provider"}, "withdraw": {"person"}}
ACTIONS = sorted({a for _, a in ALLOWED})


def test_the_table_is_the_issue_s_table() -> None:
    assert {key: step.to for key, step in ops.TRANSITIONS.items()} == ALLOWED
    assert ops.TERMINAL == {S.DECLINED, S.EXPIRED, S.CLOSED, S.WITHDRAWN}


def _actor(kind: str, referral: Any, team_user: Any) -> Any:
    return {"team": lambda: team_user, "provider": lambda: provider_for(referral.service),
            "system": lambda: ops.SYSTEM, "person": lambda: ops.PERSON}[kind]()


def _extra(action: str) -> dict[str, Any]:
    return {"reason": DeclineReason.NOT_ELIGIBLE} if action == "decline" else (
        {"outcome": CloseOutcome.MOVED_AWAY} if action == "close" else (
            {"outcome": CloseOutcome.CHANGED_MIND} if action == "did_not_start" else {}))


@pytest.mark.parametrize("status", list(S), ids=lambda s: s.value)
def test_every_action_from_every_status(app_ctx: Any, status: Any) -> None:
    team_user = factories.create_user(Role.LINK_WORKER)
    for action in ACTIONS:
        referral = make_referral(status, team_user=team_user)
        version, events = referral.version, len(referral.events)
        actor = _actor(WHO[action], referral, team_user)
        if (status, action) in ALLOWED:
            event = ops.transition(referral, action, actor=actor, expected_version=version, **_extra(action))
            db.session.commit()
            assert referral.status is ALLOWED[(status, action)]
            assert event.from_status is status and event.to_status is referral.status
            assert len(referral.events) == events + 1
        else:
            with pytest.raises(ops.TransitionError) as refused:
                ops.transition(referral, action, actor=actor, expected_version=version, **_extra(action))
            assert "cannot be" in str(refused.value)
            db.session.rollback()
            db.session.refresh(referral)
            assert (referral.status, referral.version, len(referral.events)) == (status, version, events)


def test_a_refusal_says_why_in_words(app_ctx: Any) -> None:
    referral = make_referral(S.CLOSED)
    with pytest.raises(ops.TransitionError, match="This referral is closed, so it cannot be accepted now"):
        ops.transition(referral, "accept", actor=provider_for(referral.service), expected_version=referral.version)
    with pytest.raises(ops.TransitionError, match="is not something that can be done"):
        ops.transition(referral, "delete", actor=provider_for(referral.service), expected_version=referral.version)


@pytest.mark.parametrize(
    ("status", "action", "who"),
    [
        (S.DRAFT, "send", "provider"),  # only the referring team sends
        (S.SENT, "accept", "team"),  # only the receiving organisation answers
        (S.SENT, "accept", "system"),
        (S.SENT, "expire", "provider"),  # only the job expires
        (S.ENGAGED, "close", "system"),
        (S.ACCEPTED, "did_not_start", "system"),
        (S.SENT, "withdraw", "provider"),  # the provider declines or closes; it does not withdraw
        (S.SENT, "withdraw", "system"),
    ],
)
def test_only_the_right_people_may_act(app_ctx: Any, status: Any, action: str, who: str) -> None:
    team_user = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(status, team_user=team_user)
    with pytest.raises(ops.TransitionError, match="You cannot"):
        ops.transition(referral, action, actor=_actor(who, referral, team_user),
                       expected_version=referral.version, **_extra(action))
    assert referral.status is status


def test_outsiders_cannot_act_on_a_referral(app_ctx: Any) -> None:
    referral = make_referral(S.SENT)
    other_provider = factories.create_user(Role.PROVIDER)  # a member of a different organisation
    other_team = factories.create_user(Role.LINK_WORKER)
    for actor, action in ((other_provider, "accept"), (other_team, "withdraw"),
                          (factories.create_user(Role.ADMIN), "withdraw"),
                          (factories.create_user(Role.MODERATOR), "accept")):
        with pytest.raises(ops.TransitionError, match="You cannot"):
            ops.transition(referral, action, actor=actor, expected_version=referral.version)
    assert referral.status is S.SENT


def test_the_person_can_withdraw_through_their_receipt(app_ctx: Any) -> None:
    referral = make_referral(S.ACCEPTED)
    event = ops.transition(referral, "withdraw", actor=ops.PERSON, expected_version=referral.version)
    assert (referral.status, event.actor_kind, event.actor_id) == (S.WITHDRAWN, "person", None)


def test_decline_needs_a_reason_and_close_an_outcome(app_ctx: Any) -> None:
    sent, engaged = make_referral(S.SENT), make_referral(S.ENGAGED)
    with pytest.raises(ops.TransitionError, match="Select why"):
        ops.transition(sent, "decline", actor=provider_for(sent.service), expected_version=sent.version)
    with pytest.raises(ops.TransitionError, match="Select the outcome"):
        ops.transition(engaged, "close", actor=provider_for(engaged.service), expected_version=engaged.version)
    assert (sent.status, engaged.status) == (S.SENT, S.ENGAGED)


def test_a_transition_records_who_when_and_the_note_and_is_audited(app_ctx: Any) -> None:
    referral = make_referral(S.SENT)
    provider = provider_for(referral.service)
    event = ops.transition(referral, "decline", actor=provider, note="  Try the Tuesday walking group  ",
                           reason=DeclineReason.NO_CAPACITY, expected_version=referral.version)
    db.session.commit()
    assert (event.actor_id, event.actor_kind, event.note) == (provider.id, "provider", "Try the Tuesday walking group")
    assert referral.decline_reason is DeclineReason.NO_CAPACITY and referral.responded_at is not None
    audit = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.decline")).one()
    assert (audit.actor_id, audit.object_id) == (provider.id, referral.id)
    assert audit.detail == {"actor_kind": "provider", "from_status": "sent", "to_status": "declined",
                            "decline_reason": "no_capacity"}
    assert "Tuesday" not in str(audit.detail)  # notes may name the person: never in the audit log


def test_a_stale_version_changes_nothing(app_ctx: Any) -> None:
    referral = make_referral(S.SENT)
    with pytest.raises(ops.ConflictError, match="changed by someone else"):
        ops.transition(referral, "accept", actor=provider_for(referral.service),
                       expected_version=referral.version - 1)
    assert referral.status is S.SENT


# ---- properties --------------------------------------------------------------------------------------------------

steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.sampled_from(["team", "provider", "system", "person"]),
              st.booleans()),  # with or without the reason/outcome the action may need
    max_size=8,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(sequence=[("send", "team", False), ("accept", "provider", False)])  # the provider's first act succeeds
@given(sequence=steps)
def test_random_sequences_keep_the_machine_sound(app_ctx: Any, sequence: list[tuple[str, str, bool]]) -> None:
    team_user = factories.create_user(Role.LINK_WORKER)
    referral = make_referral(S.DRAFT, team_user=team_user)
    for action, who, with_extra in sequence:
        actor = _actor(who, referral, team_user)  # may create the provider's account (itself audited): first
        before = (referral.status, referral.version, len(referral.events))
        audits = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
        allowed = (before[0], action) in ALLOWED and (
            who == WHO[action] or who in ALSO.get(action, set())
        ) and (with_extra or action not in ("decline", "close", "did_not_start"))
        try:
            ops.transition(referral, action, actor=actor, expected_version=referral.version,
                           **(_extra(action) if with_extra else {}))
        except ops.TransitionError:
            assert not allowed, f"{action} by {who} from {before[0]} should have worked"
            db.session.rollback()
            db.session.refresh(referral)
            assert (referral.status, referral.version, len(referral.events)) == before
            continue
        db.session.commit()
        assert allowed, f"{action} by {who} from {before[0]} should have been refused"
        assert before[0] not in ops.TERMINAL
        assert referral.status is ALLOWED[(before[0], action)]
        assert referral.version == before[1] + 1
        assert len(referral.events) == before[2] + 1
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == audits + 1
    assert referral.status in set(S)
    events = db.session.scalars(db.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.id)).all()
    # The history is a chain: each event starts where the one before ended.
    assert events[0].to_status is S.DRAFT
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.from_status is earlier.to_status
    assert events[-1].to_status is referral.status


def test_did_not_start_takes_only_its_outcomes_and_close_only_its_own(app_ctx: Any) -> None:
    team_user = factories.create_user(Role.LINK_WORKER)
    accepted, engaged = make_referral(S.ACCEPTED, team_user=team_user), make_referral(S.ENGAGED, team_user=team_user)
    with pytest.raises(ops.TransitionError, match="Select one of the outcomes offered"):
        ops.transition(accepted, "did_not_start", actor=team_user, outcome=CloseOutcome.COMPLETED,
                       expected_version=accepted.version)
    with pytest.raises(ops.TransitionError, match="Select one of the outcomes offered"):
        ops.transition(engaged, "close", actor=team_user, outcome=CloseOutcome.NOT_REACHED,
                       expected_version=engaged.version)
    event = ops.transition(accepted, "did_not_start", actor=provider_for(accepted.service),
                           outcome=CloseOutcome.NOT_REACHED, expected_version=accepted.version)
    assert (accepted.status, accepted.outcome, event.actor_kind) == (S.CLOSED, CloseOutcome.NOT_REACHED, "provider")
    ops.transition(engaged, "close", actor=team_user, outcome=CloseOutcome.COMPLETED, expected_version=engaged.version)
    assert (engaged.status, engaged.outcome, engaged.closed_at is not None) == (S.CLOSED, CloseOutcome.COMPLETED, True)


def test_paths_used_by_the_helpers_are_valid() -> None:
    for status, path in PATHS.items():
        current = S.DRAFT
        for action in path:
            current = ALLOWED[(current, action)]
        assert current is status
