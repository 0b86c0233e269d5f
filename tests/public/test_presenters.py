"""The listing's words for residents: cost, distance, descriptions (no database needed)."""

from __future__ import annotations

from decimal import Decimal

from microdir.models import CostOption, CostType
from microdir.public.presenters import cost_summary, short_description, where_text


def test_cost_summary() -> None:
    from microdir.models import Service

    service = Service(cost_options=[CostOption(cost_type=CostType.FREE)])
    assert cost_summary(service) == "Free"
    service = Service(cost_options=[
        CostOption(cost_type=CostType.FIXED, amount=Decimal("3.50"), amount_description="a session"),
        CostOption(cost_type=CostType.PERSONAL_BUDGET),
    ])
    assert cost_summary(service) == "£3.50 a session; You can pay with a personal budget or direct payment"
    assert cost_summary(Service(cost_options=[CostOption(cost_type=CostType.FIXED, amount=Decimal("4"))])) == "£4"
    assert cost_summary(Service(cost_options=[], fees_description="Donations welcome")) == "Donations welcome"


def test_where_text_uses_distance_only_for_venues() -> None:
    assert where_text(0.84, "venue", "0.8 miles") == "0.8 miles away"
    assert where_text(None, "comes_to_you", "Comes to you") == "Comes to you"
    assert where_text(None, "remote", None) == "By phone or online"
    assert where_text(None, None, None) is None


def test_short_description_cuts_at_a_word() -> None:
    text = "word " * 100
    cut = short_description(text, 30)
    assert cut.endswith("…") and len(cut) <= 31 and "wor…" not in cut
