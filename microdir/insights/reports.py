"""Weekly or monthly summary emails to commissioners who subscribe: the overview figures and a link, nothing personal.

The job sends, for each subscription, the report for the last complete week (Monday to Sunday) or month. A row in
``insight_report_sent`` is written before the email is queued, in the same transaction, and is unique per
subscription and period: so running the job twice (or on two nodes) never sends a report twice.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..domain import audit
from ..extensions import db
from ..mail import email_link, queue_email
from ..models import InsightReportSent, InsightSubscription, User, utcnow
from .filters import Filters
from .queries import overview

FREQUENCIES = {"weekly": "Every week (on Monday, for the week before)",
               "monthly": "Every month (on the 1st, for the month before)"}


def last_complete_period(frequency: str, today: date) -> tuple[str, date, date]:
    """Return (period key, first day, last day) of the last complete week or month before ``today``."""
    if frequency == "weekly":
        end = today - timedelta(days=today.weekday() + 1)  # last Sunday
        start = end - timedelta(days=6)
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}", start, end
    end = today.replace(day=1) - timedelta(days=1)
    return f"{end:%Y-%m}", end.replace(day=1), end


def summary_text(filters: Filters, heading: str) -> str:
    """Return the plain-text body: the overview's headline figures (after disclosure control) and a link."""
    page = overview(filters)
    lines = [heading, ""]
    for headline in page.headlines:
        change = f" ({headline.change})" if headline.change else ""
        lines.append(f"- {headline.label}: {headline.figure.text}{change}")
    link = email_link("insights.page", slug="overview", **filters.query())
    lines += ["", "Counts from 1 to 7 are shown as “fewer than 8” and others are rounded to the nearest 5.",
              "", f"See every figure, table and chart: {link}", "",
              "You get this email because you subscribed on the insight pages; you can stop it there."]
    return "\n".join(lines)


def subscribe(user: User, frequency: str | None) -> None:
    """Start, change or (with None) stop a user's summary emails; audited."""
    subscription = db.session.scalar(select(InsightSubscription).where(InsightSubscription.user_id == user.id))
    if frequency is None:
        if subscription is not None:
            db.session.delete(subscription)
            audit.record("insights.unsubscribe", "user", user.id, actor=user)
        return
    if frequency not in FREQUENCIES:
        raise ValueError(frequency)
    if subscription is None:
        db.session.add(InsightSubscription(user_id=user.id, frequency=frequency))
    else:
        subscription.frequency = frequency
    audit.record("insights.subscribe", "user", user.id, actor=user, frequency=frequency)
    db.session.flush()


def send_due_reports(today: date | None = None) -> int:
    """Queue each subscriber's report for the last complete period they have not had yet; return how many."""
    from ..permissions import can

    today = today or utcnow().date()
    sent = 0
    for subscription in db.session.scalars(select(InsightSubscription).order_by(InsightSubscription.id)).all():
        user = db.session.get(User, subscription.user_id)
        if user is None or not user.active or not can(user, "insights.view"):
            continue
        period, start, end = last_complete_period(subscription.frequency, today)
        already = db.session.scalar(select(InsightReportSent.id).where(
            InsightReportSent.subscription_id == subscription.id, InsightReportSent.period == period))
        if already is not None:
            continue
        filters = Filters("custom", start, end)
        try:
            with db.session.begin_nested():
                db.session.add(InsightReportSent(subscription_id=subscription.id, period=period))
        except IntegrityError:  # another run recorded it first: it sends this one
            continue
        heading = f"Directory insight summary for {start:%-d %B %Y} to {end:%-d %B %Y} (the whole area)"
        queue_email(user.email, f"Directory insight summary: {period}", summary_text(filters, heading))
        audit.record("insights.report_sent", "user", user.id, actor=None, period=period,
                     frequency=subscription.frequency)
        sent += 1
    return sent
