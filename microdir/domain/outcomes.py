"""Wellbeing outcome scales: ONS4 built in; further scales (SWEMWBS, MYCaW…) defined in configuration.

A scale in ``OUTCOME_SCALES`` config, for a deployment or service that holds the licence::

    OUTCOME_SCALES = {
        "swemwbs": {
            "name": "Short Warwick-Edinburgh Mental Wellbeing Scale",
            "licence": "© University of Warwick; used under licence",
            "items": [{"code": "optimistic", "question": "I've been feeling optimistic about the future",
                       "min": 1, "max": 5}, ...],
            "scoring": "sum",                      # "sum" | "mean" | "none" (items only, no total)
            "conversion": {"7": 7.00, "8": 9.51, ...},   # optional raw total -> metric score table
        }
    }

Each item may set ``"lower_is_better": true`` (like ONS4 anxiety) so a change is read the right way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context


@dataclass(frozen=True)
class Item:
    code: str
    question: str
    minimum: int
    maximum: int
    lower_is_better: bool = False
    hint: str = ""


@dataclass(frozen=True)
class Scale:
    code: str
    name: str
    items: tuple[Item, ...]
    scoring: str = "none"  # "sum" | "mean" | "none"
    conversion: Mapping[int, float] = field(default_factory=dict)
    licence: str = ""

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)


class ScoreError(ValueError):
    """Some answers are missing or out of range; ``errors`` maps item code to a message for the person."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class ScaleConfigError(ValueError):
    """A scale in OUTCOME_SCALES is malformed."""


_ONS4_HINT = "0 is “not at all” and 10 is “completely”"

# ONS4 personal wellbeing questions, Office for National Statistics, Crown copyright, Open Government Licence v3.0.
ONS4 = Scale(
    code="ons4",
    name="ONS4 personal wellbeing",
    licence="Crown copyright, Office for National Statistics, Open Government Licence v3.0",
    scoring="none",  # ONS reports the four measures separately, never as a total
    items=(
        Item("life_satisfaction", "Overall, how satisfied are you with your life nowadays?", 0, 10, hint=_ONS4_HINT),
        Item("worthwhile", "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
             0, 10, hint=_ONS4_HINT),
        Item("happiness", "Overall, how happy did you feel yesterday?", 0, 10, hint=_ONS4_HINT),
        Item("anxiety", "On a scale where 0 is “not at all anxious” and 10 is “completely anxious”, overall, how "
             "anxious did you feel yesterday?", 0, 10, lower_is_better=True,
             hint="0 is “not at all anxious” and 10 is “completely anxious”. Lower is better."),
    ),
)

BUILT_IN = {ONS4.code: ONS4}


def scale_from_config(code: str, definition: Mapping[str, Any]) -> Scale:
    """Build a scale from its OUTCOME_SCALES entry, refusing anything malformed."""
    try:
        items = tuple(
            Item(
                code=str(raw["code"]),
                question=str(raw["question"]),
                minimum=int(raw["min"]),
                maximum=int(raw["max"]),
                lower_is_better=bool(raw.get("lower_is_better", False)),
                hint=str(raw.get("hint", f"From {raw['min']} to {raw['max']}")),
            )
            for raw in definition["items"]
        )
        conversion = {int(raw): float(metric) for raw, metric in (definition.get("conversion") or {}).items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ScaleConfigError(f"Outcome scale {code!r} is malformed: {error!r}") from error
    scoring = definition.get("scoring", "sum")
    if scoring not in {"sum", "mean", "none"}:
        raise ScaleConfigError(f"Outcome scale {code!r}: scoring must be sum, mean or none, not {scoring!r}")
    if not items or any(item.minimum > item.maximum for item in items):
        raise ScaleConfigError(f"Outcome scale {code!r} needs items whose min is not above max")
    if len({item.code for item in items}) != len(items):
        raise ScaleConfigError(f"Outcome scale {code!r} has two items with the same code")
    return Scale(code=code, name=str(definition.get("name", code)), items=items, scoring=scoring,
                 conversion=conversion, licence=str(definition.get("licence", "")))


def scales() -> dict[str, Scale]:
    """Return every scale available: built in, then configured."""
    found = dict(BUILT_IN)
    configured = current_app.config.get("OUTCOME_SCALES", {}) if has_app_context() else {}
    for code, definition in configured.items():
        found[code] = scale_from_config(code, definition)
    return found


def get_scale(code: str) -> Scale:
    """Return one scale by code; KeyError when there is none."""
    return scales()[code]


def validate_scores(scale: Scale, answers: Mapping[str, Any]) -> dict[str, int]:
    """Return whole-number scores for every item, or raise ScoreError with a message per bad answer."""
    scores: dict[str, int] = {}
    errors: dict[str, str] = {}
    for number, item in enumerate(scale.items, start=1):
        raw = answers.get(item.code)
        text = str(raw).strip() if raw is not None else ""
        span = f"{item.minimum} and {item.maximum}"
        if text == "":
            errors[item.code] = f"Enter a score for question {number}"
            continue
        try:
            value = int(text)
        except ValueError:
            errors[item.code] = f"Score for question {number} must be a whole number between {span}"
            continue
        if not item.minimum <= value <= item.maximum:
            errors[item.code] = f"Score for question {number} must be between {span}"
            continue
        scores[item.code] = value
    if errors:
        raise ScoreError(errors)
    return scores


def total(scale: Scale, scores: Mapping[str, int]) -> float | None:
    """Return the scale's total (converted through its table when it has one), or None for unscored scales."""
    if scale.scoring == "none":
        return None
    raw = sum(scores[item.code] for item in scale.items)
    if scale.scoring == "mean":
        return raw / len(scale.items)
    if scale.conversion:
        if raw not in scale.conversion:
            raise ScaleConfigError(f"Outcome scale {scale.code!r}: no conversion for a raw total of {raw}")
        return scale.conversion[raw]
    return float(raw)


@dataclass(frozen=True)
class ItemChange:
    item: Item
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        """True when better, False when worse, None when unchanged; anxiety-like items count a fall as better."""
        if self.difference == 0:
            return None
        return (self.difference < 0) if self.item.lower_is_better else (self.difference > 0)

    @property
    def description(self) -> str:
        if self.improved is None:
            return "No change"
        points = abs(self.difference)
        word = "point" if points == 1 else "points"
        direction = "better" if self.improved else "worse"
        return f"{points} {word} {direction}"


def change(scale: Scale, before: Mapping[str, int], after: Mapping[str, int]) -> list[ItemChange]:
    """Return the change in each item answered at both stages, in the scale's order."""
    return [
        ItemChange(item, int(before[item.code]), int(after[item.code]))
        for item in scale.items
        if item.code in before and item.code in after
    ]
