"""Problem reports: residents tell us a listing is wrong; moderators close the reports they have dealt with."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func

from ..extensions import db
from ..models import ProblemReport, ReportStatus, Service, User, utcnow
from . import audit

# code -> what the resident ticked, in their words
REASONS: dict[str, str] = {
    "closed": "The service has closed or stopped",
    "wrong_time": "The days or times are wrong",
    "wrong_contact": "The contact details are wrong",
    "other": "Something else is wrong",
}

MAX_DETAILS = 1000


class ReportError(ValueError):
    """A report that cannot be saved as given."""


def report_problem(service: Service, reasons: list[str], details: str | None = None) -> ProblemReport:
    """Record an anonymous report that ``service``'s listing is wrong; it joins the moderation queue."""
    chosen = [code for code in REASONS if code in set(reasons)]  # keep REASONS order, drop unknown codes
    if not chosen:
        raise ReportError("Select what is wrong with this listing")
    text = (details or "").strip()[:MAX_DETAILS] or None
    report = ProblemReport(service=service, reasons=chosen, details=text, status=ReportStatus.OPEN)
    db.session.add(report)
    db.session.flush()
    return report


def close_report(report: ProblemReport, actor: User | None = None, reason: str | None = None) -> ProblemReport:
    """Close a report a moderator has dealt with, and audit who closed it."""
    if report.status is ReportStatus.CLOSED:
        return report
    report.status = ReportStatus.CLOSED
    report.closed_at = utcnow()
    report.closed_by_id = actor.id if actor is not None else None
    audit.record(
        "problem_report.close", "problem_report", report.id, actor=actor, reason=reason,
        service_id=report.service_id, reasons=list(report.reasons),
    )
    db.session.flush()
    return report


def open_reports() -> list[ProblemReport]:
    """Return open reports, oldest first, so nothing waits longest by accident."""
    return list(
        db.session.scalars(
            db.select(ProblemReport)
            .where(ProblemReport.status == ReportStatus.OPEN)
            .order_by(ProblemReport.created_at, ProblemReport.id)
        )
    )


def open_report_counts(reports: list[ProblemReport] | None = None) -> dict[str, Any]:
    """Count open reports: in total, by reason, and per listing."""
    reports = open_reports() if reports is None else reports
    by_reason: Counter[str] = Counter(code for report in reports for code in report.reasons)
    by_service: Counter[str] = Counter(report.service_id for report in reports)
    return {
        "total": len(reports),
        "by_reason": {code: by_reason.get(code, 0) for code in REASONS},
        "by_service": dict(by_service),
    }


def count_open() -> int:
    """Return how many reports are waiting."""
    return int(
        db.session.scalar(
            db.select(func.count()).select_from(ProblemReport).where(ProblemReport.status == ReportStatus.OPEN)
        )
        or 0
    )


def reason_labels(codes: list[str]) -> list[str]:
    """Return the words for a report's reason codes."""
    return [REASONS.get(code, code) for code in codes]
