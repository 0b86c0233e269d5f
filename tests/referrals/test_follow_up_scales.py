"""The follow-up offers every configured wellbeing scale, not only ONS4 (issue 15 follow-up)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from microdir.domain import caseload
from microdir.domain import referrals as ops
from microdir.extensions import db
from microdir.models import Referral, Role, utcnow
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import S, make_referral
from tests.referrals.test_outcomes import SWEMWBS


@pytest.fixture
def swemwbs(app: Any) -> Iterator[None]:
    app.config["OUTCOME_SCALES"] = {"swemwbs": SWEMWBS}
    yield
    app.config["OUTCOME_SCALES"] = {}


def _worker(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.LINK_WORKER)
    client_request.sign_in(user)
    return user


def test_the_follow_up_offers_the_configured_scales(
    app_ctx: Any, client_request: ClientRequest, swemwbs: None
) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ENGAGED, team_user=user)
    referral.follow_up_on = utcnow().date()
    db.session.commit()
    timeline = client_request.get(f"/referrals/{referral.id}")
    (link,) = timeline.select("#record-follow-up-swemwbs")
    assert link["href"] == f"/referrals/{referral.id}/follow-up?scale=swemwbs"

    ons4 = client_request.get(f"/referrals/{referral.id}/follow-up")
    assert [a.get_text(strip=True) for a in ons4.select("#scales a")] == [SWEMWBS["name"]]
    page = client_request.get(link["href"])
    assert [i["name"] for i in page.select("form input[type=text]")] == [f"q{n}" for n in range(1, 8)]
    assert "Statement 3" in page.text() and "test only" in page.text()

    bad = client_request.post(link["href"], {f"q{n}": "3" for n in range(1, 7)} | {"q7": "6"}, expected_status=200)
    assert bad.error_summary() == ["Score for question 7 must be between 1 and 5"]
    assert not ops.has_follow_up_scores(db.session.get(Referral, referral.id))

    client_request.post(link["href"], {f"q{n}": "3" for n in range(1, 8)})
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    score = ops.scores_at(stored, "swemwbs", "follow_up")
    assert score is not None and score.total == 20.00 and ops.scores_at(stored, "ons4", "follow_up") is None
    timeline = client_request.get(f"/referrals/{referral.id}")
    assert "At follow-up: 3" in timeline.select("#follow-up-swemwbs")[0].get_text(" ")
    # Follow-up scores on any offered scale are the follow-up the caseload was waiting for.
    assert "follow-up" not in caseload.next_action(stored).text
    assert ops.count_follow_ups_due(stored.team_id, utcnow().date()) == 0


def test_an_unknown_scale_is_not_found(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _worker(client_request)
    referral = make_referral(S.ENGAGED, team_user=user)
    client_request.get(f"/referrals/{referral.id}/follow-up?scale=nope", expected_status=404)
    page = client_request.get(f"/referrals/{referral.id}/follow-up")
    assert not page.select("#scales")  # ONS4 alone: no choice to make
