"""Commissioner insight: small summary tables the insight pages read, kept by the ``insights.refresh`` job.

Nothing here is personal. The referral facts have no foreign key to the referral, so every figure outlives the
retention purge and even the deletion of a referral. Pages read these tables with GROUP BY over indexed columns
instead of aggregating raw search-log rows or referrals per request (at 1M searches and 100k referrals an earlier
attempt that did took 5–17 s a page; these take well under a second, see bench/insights.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import utcnow


class InsightState(Model):
    """Where each summary has got to (the last search-log id, referral-event id and score id rolled up)."""

    __tablename__ = "insight_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InsightPageCache(Model):
    """A page's figures as shown (after disclosure control), shared by every web process and warmed by the
    ``insights.refresh`` job. ``key`` covers the page, period, area, small-number rule and the refresh marker; each
    refresh that changes the summaries empties the table, so a row is never older than the figures it came from."""

    __tablename__ = "insight_page_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    figures: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InsightSearchDay(Model):
    """Searches per day × council × postcode district × topic.

    ``facet`` is "" for every search (the total), or "category" / "need" with ``code`` the filter's code: a search
    filtered by two categories counts once under each and once in the total.
    """

    __tablename__ = "insight_search_day"
    __table_args__ = (
        UniqueConstraint("day", "lad_code", "outcode", "facet", "code", name="uq_insight_search_day_key"),
        Index("ix_insight_search_day_facet_day", "facet", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    lad_code: Mapped[str] = mapped_column(String(12), default="")
    outcode: Mapped[str] = mapped_column(String(8), default="")
    facet: Mapped[str] = mapped_column(String(10), default="")
    code: Mapped[str] = mapped_column(String(100), default="")
    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero_results: Mapped[int] = mapped_column(Integer, default=0)
    few_results: Mapped[int] = mapped_column(Integer, default=0)  # 1 to FEW_RESULTS results


class InsightZeroQuery(Model):
    """Zero-result searches per day × area × normalised text. Shown only when one text reaches the threshold."""

    __tablename__ = "insight_zero_query"
    __table_args__ = (
        UniqueConstraint("day", "lad_code", "outcode", "query", name="uq_insight_zero_query_key"),
        Index("ix_insight_zero_query_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    lad_code: Mapped[str] = mapped_column(String(12), default="")
    outcode: Mapped[str] = mapped_column(String(8), default="")
    query: Mapped[str] = mapped_column(String(255))
    searches: Mapped[int] = mapped_column(Integer, default=0)


class InsightReferralFact(Model):
    """One sent referral as anonymous facts: where, what, who referred (the team), how fast, how it ended."""

    __tablename__ = "insight_referral_fact"
    __table_args__ = (
        Index("ix_insight_referral_fact_sent_day", "sent_day"),
        Index("ix_insight_referral_fact_lad_sent", "lad_code", "sent_day"),
        Index("ix_insight_referral_fact_outcode_sent", "outcode", "sent_day"),
    )

    referral_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # no foreign key: outlives the referral
    service_id: Mapped[str] = mapped_column(String(36), index=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    team_id: Mapped[str] = mapped_column(String(36))
    team_kind: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(100), default="")  # the service's first category
    lad_code: Mapped[str] = mapped_column(String(12), default="")  # the service's council
    outcode: Mapped[str] = mapped_column(String(8), default="")  # the service's first venue's postcode district
    status: Mapped[str] = mapped_column(String(20))
    sent_day: Mapped[date] = mapped_column(Date)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)  # accepted or declined
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)  # ever accepted
    answer_days: Mapped[int | None] = mapped_column(Integer)  # calendar days, sent to accept/decline
    answer_working_days: Mapped[int | None] = mapped_column(Integer)
    answered_in_rule: Mapped[bool] = mapped_column(Boolean, default=False)  # within REFERRAL_OVERDUE_WORKING_DAYS
    first_contact: Mapped[bool] = mapped_column(Boolean, default=False)  # ever reached first contact
    contact_days: Mapped[int | None] = mapped_column(Integer)  # calendar days, accepted to first contact
    contact_working_days: Mapped[int | None] = mapped_column(Integer)
    engaged: Mapped[bool] = mapped_column(Boolean, default=False)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    decline_reason: Mapped[str] = mapped_column(String(30), default="")
    outcome: Mapped[str] = mapped_column(String(30), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InsightReferralNeed(Model):
    """The needs a referral was made for (taxonomy codes)."""

    __tablename__ = "insight_referral_need"

    referral_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    need: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    sent_day: Mapped[date | None] = mapped_column(Date, index=True)  # the fact's, so a few days are read alone


class InsightScorePair(Model):
    """One wellbeing item with both a baseline (at referral) and a close answer: paired change only."""

    __tablename__ = "insight_score_pair"

    referral_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scale: Mapped[str] = mapped_column(String(40), primary_key=True)
    item: Mapped[str] = mapped_column(String(60), primary_key=True)
    baseline: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    sent_day: Mapped[date | None] = mapped_column(Date, index=True)  # the fact's, so a few days are read alone


class _WeeklyRollup:
    """The key every weekly roll-up shares: the week (its Monday) × council × postcode district × topic."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date)  # the Monday
    lad_code: Mapped[str] = mapped_column(String(12), default="")
    outcode: Mapped[str] = mapped_column(String(8), default="")
    facet: Mapped[str] = mapped_column(String(10), default="")
    code: Mapped[str] = mapped_column(String(100), default="")


class InsightReferralWeek(_WeeklyRollup, Model):
    """Referral facts rolled up per week sent × council × postcode district × topic: what the pages read.

    ``facet`` is "" for every referral (the total), "category" (the service's category) or "need" (a referral for
    two needs counts under each). The pages add whole weeks from here and the days at either end of a period from
    the facts, so a page reads a few thousand rows whatever the number of referrals.
    """

    __tablename__ = "insight_referral_week"
    __table_args__ = (
        UniqueConstraint("week", "lad_code", "outcode", "facet", "code", name="uq_insight_referral_week_key"),
        Index("ix_insight_referral_week_facet_week", "facet", "week"),
    )

    sent: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    first_contact: Mapped[int] = mapped_column(Integer, default=0)
    engaged: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    declined: Mapped[int] = mapped_column(Integer, default=0)
    expired: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_rule: Mapped[int] = mapped_column(Integer, default=0)
    declined_no_capacity: Mapped[int] = mapped_column(Integer, default=0)
    declined_not_eligible: Mapped[int] = mapped_column(Integer, default=0)
    declined_could_not_contact: Mapped[int] = mapped_column(Integer, default=0)
    declined_other: Mapped[int] = mapped_column(Integer, default=0)


class InsightTimingWeek(_WeeklyRollup, Model):
    """How many referrals took how many days, per week sent × area × topic: medians and percentiles come from these.

    ``measure`` is the fact column counted (answer_days, answer_working_days, contact_days, contact_working_days);
    ``facet`` "" is every referral, "category" is kept for answer_working_days only (the by-category table).
    """

    __tablename__ = "insight_timing_week"
    __table_args__ = (
        UniqueConstraint("week", "lad_code", "outcode", "facet", "code", "measure", "days",
                         name="uq_insight_timing_week_key"),
        Index("ix_insight_timing_week_measure_week", "measure", "facet", "week"),
    )

    measure: Mapped[str] = mapped_column(String(30))
    days: Mapped[int] = mapped_column(Integer)
    referrals: Mapped[int] = mapped_column(Integer, default=0)


class InsightOutcomeWeek(_WeeklyRollup, Model):
    """Paired wellbeing change per week sent × area × topic × scale × question: n, sum and sum of squares of the
    change (enough for the mean and its confidence interval). ``item`` "" counts the closed referrals with a pair
    on the scale (the follow-up rate's numerator)."""

    __tablename__ = "insight_outcome_week"
    __table_args__ = (
        UniqueConstraint("week", "lad_code", "outcode", "facet", "code", "scale", "item",
                         name="uq_insight_outcome_week_key"),
        Index("ix_insight_outcome_week_scale_week", "scale", "facet", "week"),
    )

    scale: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(60), default="")
    people: Mapped[int] = mapped_column(Integer, default=0)
    change_sum: Mapped[float] = mapped_column(Float, default=0.0)
    change_squares: Mapped[float] = mapped_column(Float, default=0.0)


class InsightSearchWeek(_WeeklyRollup, Model):
    """``insight_search_day`` rolled up per week (the Monday): the pages add whole weeks from here, the days at either
    end of a period from the daily rows."""

    __tablename__ = "insight_search_week"
    __table_args__ = (
        UniqueConstraint("week", "lad_code", "outcode", "facet", "code", name="uq_insight_search_week_key"),
        Index("ix_insight_search_week_facet_week", "facet", "week"),
    )

    searches: Mapped[int] = mapped_column(Integer, default=0)
    zero_results: Mapped[int] = mapped_column(Integer, default=0)
    few_results: Mapped[int] = mapped_column(Integer, default=0)


class InsightService(Model):
    """One listing's state for coverage figures, rebuilt by the job."""

    __tablename__ = "insight_service"

    service_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(36), index=True)
    listing_status: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=False)  # published and not hidden as stale
    stale_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)  # a moderator-checked quality check in force
    micro_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[str] = mapped_column(String(20), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class InsightServiceKey(Model):
    """Where and what a listing offers: one row per (topic, area). ``facet`` "" with ``code`` "" is every listing."""

    __tablename__ = "insight_service_key"

    service_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    facet: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    area: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)  # "lad:E08000028" or "pc:B66"


class InsightSubscription(Model):
    """A commissioner's weekly or monthly summary email (figures and a link only)."""

    __tablename__ = "insight_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    frequency: Mapped[str] = mapped_column(String(10))  # weekly | monthly
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InsightReportSent(Model):
    """One summary email sent for one period: recorded first, so a second run never sends it again."""

    __tablename__ = "insight_report_sent"
    __table_args__ = (UniqueConstraint("subscription_id", "period", name="uq_insight_report_sent_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("insight_subscription.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))  # "2026-W48" or "2026-11"
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
