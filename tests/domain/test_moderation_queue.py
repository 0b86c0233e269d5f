"""domain/moderation_queue.py: one queue of everything waiting for a moderator, oldest first."""

from __future__ import annotations

from typing import Any

from microdir.domain import moderation_queue, reports
from microdir.extensions import db
from tests import factories


def test_an_empty_queue_counts_every_kind_as_nothing(app_ctx: Any) -> None:
    items = moderation_queue.build_queue()
    assert items == []
    assert moderation_queue.queue_counts(items) == dict.fromkeys(moderation_queue.KINDS, 0)
    assert moderation_queue.count_waiting() == 0


def test_reports_join_the_queue_oldest_first(app_ctx: Any) -> None:
    first = factories.create_service(name="Choir")
    second = factories.create_service(name="Allotment")
    reason = next(iter(reports.REASONS))
    reports.report_problem(first, [reason])
    db.session.flush()
    reports.report_problem(second, [reason])
    db.session.commit()
    items = moderation_queue.build_queue()
    assert [(item.kind, item.name) for item in items] == [("report", "Choir"), ("report", "Allotment")]
    assert moderation_queue.queue_counts(items)["report"] == 2
    assert moderation_queue.count_waiting() == 2
