"""Wellbeing scales: ONS4 built in, others from configuration; validation and change."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.domain import outcomes
from microdir.domain.outcomes import ONS4, ScaleConfigError, ScoreError, change, total, validate_scores

# SWEMWBS for the test only: 7 items scored 1-5, raw total converted to a metric score (table excerpt).
SWEMWBS = {
    "name": "Short Warwick-Edinburgh Mental Wellbeing Scale",
    "licence": "test only",
    "scoring": "sum",
    "items": [{"code": f"q{n}", "question": f"Statement {n}", "min": 1, "max": 5} for n in range(1, 8)],
    "conversion": {"7": 7.00, "8": 9.51, "21": 20.00, "35": 35.00},
}


def test_ons4_accepts_whole_numbers_from_0_to_10() -> None:
    assert validate_scores(ONS4, {"life_satisfaction": "0", "worthwhile": 10, "happiness": " 7 ", "anxiety": "3"}) == {
        "life_satisfaction": 0, "worthwhile": 10, "happiness": 7, "anxiety": 3}
    assert total(ONS4, {"life_satisfaction": 1, "worthwhile": 1, "happiness": 1, "anxiety": 1}) is None


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"worthwhile": "5", "happiness": "5", "anxiety": "5"}, {"life_satisfaction": "Enter a score for question 1"}),
        ({"life_satisfaction": "11", "worthwhile": "5", "happiness": "5", "anxiety": "5"},
         {"life_satisfaction": "Score for question 1 must be between 0 and 10"}),
        ({"life_satisfaction": "5", "worthwhile": "-1", "happiness": "5", "anxiety": "5"},
         {"worthwhile": "Score for question 2 must be between 0 and 10"}),
        ({"life_satisfaction": "5", "worthwhile": "5", "happiness": "7.5", "anxiety": "five"},
         {"happiness": "Score for question 3 must be a whole number between 0 and 10",
          "anxiety": "Score for question 4 must be a whole number between 0 and 10"}),
    ],
)
def test_bad_answers_get_a_message_each(answers: dict[str, str], expected: dict[str, str]) -> None:
    with pytest.raises(ScoreError) as error:
        validate_scores(ONS4, answers)
    assert error.value.errors == expected


def test_change_reads_anxiety_the_right_way_round() -> None:
    before = {"life_satisfaction": 4, "worthwhile": 5, "happiness": 6, "anxiety": 8}
    after = {"life_satisfaction": 7, "worthwhile": 5, "happiness": 5, "anxiety": 3}
    found = {c.item.code: (c.difference, c.improved, c.description) for c in change(ONS4, before, after)}
    assert found == {
        "life_satisfaction": (3, True, "3 points better"),
        "worthwhile": (0, None, "No change"),
        "happiness": (-1, False, "1 point worse"),
        "anxiety": (-5, True, "5 points better"),
    }


def test_a_configured_scale_validates_and_converts(app: Any) -> None:
    app.config["OUTCOME_SCALES"] = {"swemwbs": SWEMWBS}
    try:
        with app.app_context():
            scale = outcomes.get_scale("swemwbs")
            assert set(outcomes.scales()) == {"ons4", "swemwbs"}
            scores = validate_scores(scale, {f"q{n}": "3" for n in range(1, 8)})
            assert total(scale, scores) == 20.00  # raw 21 -> metric 20.00
            with pytest.raises(ScoreError, match="question 2 must be between 1 and 5"):
                validate_scores(scale, {"q1": "1", "q2": "0", **{f"q{n}": "1" for n in range(3, 8)}})
            with pytest.raises(ScaleConfigError, match="no conversion for a raw total of 9"):
                total(scale, {"q1": 3, **{f"q{n}": 1 for n in range(2, 8)}})
    finally:
        app.config["OUTCOME_SCALES"] = {}


@pytest.mark.parametrize(
    "definition",
    [
        {"items": []},
        {"items": [{"code": "a", "question": "?", "min": 5, "max": 1}]},
        {"items": [{"code": "a", "question": "?"}]},
        {"items": [{"code": "a", "question": "?", "min": 0, "max": 1}], "scoring": "median"},
        {"items": [{"code": "a", "question": "?", "min": 0, "max": 1}] * 2},
    ],
)
def test_malformed_scales_are_refused(definition: dict[str, Any]) -> None:
    with pytest.raises(ScaleConfigError):
        outcomes.scale_from_config("broken", definition)
