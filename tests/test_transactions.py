"""microdir/transactions.py: the one way views commit, roll back, and turn a refusal into a message."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from microdir.extensions import db
from microdir.models import Team, TeamKind
from microdir.transactions import transaction


class Refused(ValueError):
    pass


class Conflict(Refused):
    pass


def _teams() -> list[str]:
    db.session.rollback()  # read what was committed, not what is pending
    return list(db.session.scalars(select(Team.name).order_by(Team.name)))


def test_the_block_is_committed_when_it_ends(app_ctx: Any) -> None:
    with transaction(Refused) as outcome:
        db.session.add(Team(name="Kept", kind=TeamKind.OTHER))
    assert not outcome.refused and outcome.message == ""
    assert _teams() == ["Kept"]


def test_a_refusal_rolls_back_and_keeps_its_message(app_ctx: Any) -> None:
    with transaction(Refused) as outcome:
        db.session.add(Team(name="Dropped", kind=TeamKind.OTHER))
        db.session.flush()
        raise Refused("That cannot be done")
    assert outcome.refused and outcome.refused_by(Refused) and outcome.message == "That cannot be done"
    assert _teams() == []


def test_a_fixed_message_wins_for_its_kind(app_ctx: Any) -> None:
    with transaction(Refused, messages={Conflict: "Someone else changed it"}) as outcome:
        raise Conflict("internal words")
    assert outcome.refused_by(Conflict) and outcome.message == "Someone else changed it"


def test_any_other_error_rolls_back_and_propagates(app_ctx: Any) -> None:
    with pytest.raises(KeyError):
        with transaction(Refused):
            db.session.add(Team(name="Dropped", kind=TeamKind.OTHER))
            raise KeyError("bug")
    assert _teams() == []
