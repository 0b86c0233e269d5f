"""The micro-provider rule at its boundaries: at most 5 FTE, paid and unpaid together, and independent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from microdir.domain.listings import assess_micro_provider
from microdir.models import LegalForm, MicroProviderProfile


def profile(paid: str = "0", unpaid: str = "0", independent: bool = True, **kw: object) -> MicroProviderProfile:
    return MicroProviderProfile(
        legal_form=LegalForm.SOLE_TRADER,
        paid_workers_fte=Decimal(paid),
        unpaid_workers_fte=Decimal(unpaid),
        independent=independent,
        **kw,
    )


@pytest.mark.parametrize(
    ("paid", "unpaid", "expected"),
    [
        ("0", "0", True),
        ("5", "0", True),
        ("0", "5", True),
        ("2.5", "2.5", True),
        ("4.99", "0.01", True),
        ("5", "0.01", False),
        ("5.01", "0", False),
        ("3", "2.5", False),
        ("0", "5.5", False),
    ],
)
def test_size_limit_counts_paid_and_unpaid_together(paid: str, unpaid: str, expected: bool) -> None:
    verdict = assess_micro_provider(profile(paid, unpaid))
    assert verdict.is_micro_provider is expected
    total = format((Decimal(paid) + Decimal(unpaid)).normalize(), "f")
    assert f"It has {total} full-time equivalent workers" in verdict.reasons[0]


def test_a_small_group_run_by_a_larger_body_is_not_a_micro_provider() -> None:
    verdict = assess_micro_provider(profile("1", "1", independent=False, parent_body="Age Concern Region"))
    assert not verdict.is_micro_provider
    assert "part of, or run by, a larger organisation (Age Concern Region)" in verdict.reasons[1]
    assert verdict.summary == "This is not a micro-provider"


def test_both_reasons_are_given_when_both_fail() -> None:
    verdict = assess_micro_provider(profile("6", "0", independent=False))
    assert not verdict.is_micro_provider
    assert "A micro-provider has 5 or fewer" in verdict.reasons[0]
    assert "A micro-provider is independent" in verdict.reasons[1]


def test_a_moderator_override_wins_and_says_why() -> None:
    verdict = assess_micro_provider(
        profile("5.5", "0", moderator_override=True, moderator_override_reason="Two workers are on a fixed-term grant")
    )
    assert verdict.is_micro_provider
    assert verdict.overridden
    assert verdict.reasons[-1] == "A moderator decided it is a micro-provider: Two workers are on a fixed-term grant"


def test_an_override_that_agrees_with_the_rule_changes_nothing() -> None:
    verdict = assess_micro_provider(profile("1", "0", moderator_override=True))
    assert verdict.is_micro_provider and not verdict.overridden


def test_unknown_workforce_is_not_a_micro_provider_yet() -> None:
    verdict = assess_micro_provider(None)
    assert not verdict.is_micro_provider
    assert verdict.reasons == ["We do not know yet how many people work for it or who runs it."]


def test_weekly_hours_become_full_time_equivalents_paid_and_unpaid_apart() -> None:
    from microdir.domain.listings import WorkforceFigures, workforce_figures

    people = [(True, Decimal("37.5")), (True, Decimal("18.75")), (False, Decimal("7.5")), (False, Decimal("3"))]
    assert workforce_figures(people) == WorkforceFigures(2, Decimal("1.50"), 2, Decimal("0.28"))  # 10.5 / 37.5 = 0.28
    assert workforce_figures([]) == WorkforceFigures(0, Decimal("0"), 0, Decimal("0"))


def test_rounding_never_brings_a_workforce_within_the_limit() -> None:
    from microdir.domain.listings import workforce_figures

    # 187.6 hours is 5.0027 full-time equivalents: rounded to the hundredth the profile keeps, it must stay over 5.
    figures = workforce_figures([(True, Decimal("37.5"))] * 4 + [(True, Decimal("37.6"))])
    assert figures.paid_workers_fte == Decimal("5.01")
    assert not assess_micro_provider(profile(str(figures.paid_workers_fte))).is_micro_provider
    exactly = workforce_figures([(True, Decimal("37.5"))] * 4 + [(False, Decimal("37.5"))])
    assert assess_micro_provider(profile(str(exactly.paid_workers_fte), str(exactly.unpaid_workers_fte))).is_micro_provider


def test_figures_from_before_are_split_evenly_into_weekly_hours() -> None:
    from microdir.domain.listings import weekly_hours_of

    assert weekly_hours_of(3, Decimal("1")) == [Decimal("12.50")] * 3
    assert weekly_hours_of(0, Decimal("0.5")) == [Decimal("18.75")]
    assert weekly_hours_of(0, Decimal("0")) == []
