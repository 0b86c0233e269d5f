"""The insight pages under /insights: commissioners and admins only, aggregate figures only, every page works without
JavaScript. Thin: read the pickers, ask ``queries`` for the page, render it or its CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..extensions import db
from ..forms import BaseForm, submit_button
from ..models import InsightSubscription
from ..permissions import requires
from . import disclosure, queries
from .cache import cached_page, councils_known
from .filters import PERIODS, parse_filters
from .refresh import last_refreshed
from .reports import FREQUENCIES, subscribe
from .tables import to_csv

bp = Blueprint("insights", __name__, url_prefix="/insights")

PAGE_INTROS = {
    "overview": "The main figures for the period, each with the change on the period before.",
    "unmet-need": "What people look for and cannot find: searches with no or few results, referrals declined for "
                  "capacity or eligibility, and the listings that are full, brought together as gaps.",
    "coverage": "What the directory offers where, and how well it is kept up to date.",
    "funnel": "What happens to referrals, from sent to completed, and where they drop out.",
    "timeliness": "How quickly providers answer referrals and make first contact, against the deployment's rules.",
    "outcomes": "Change in wellbeing for people with both a score when referred and a score at close (paired only).",
    "providers": "Referrals each provider received and how they went.",
}


class SubscriptionForm(BaseForm):
    frequency = RadioField(
        "How often do you want a summary email?",
        choices=[*(SelectChoice(k, v) for k, v in FREQUENCIES.items()), SelectChoice("none", "Never (stop the emails)")],
        validators=[InputRequired("Select how often you want a summary email")],
    )
    submit = submit_button("Save")


def _context(slug: str) -> dict[str, Any]:
    filters = parse_filters(request.args)
    title, _builder = queries.PAGES[slug]
    page = cached_page(slug, filters)
    return {
        "slug": slug, "title": title, "intro": PAGE_INTROS[slug], "page": page, "filters": filters,
        "periods": PERIODS, "councils": councils_known(), "area_name": queries.area_label(filters),
        "pages": [(key, value[0]) for key, value in queries.PAGES.items()],
        "rule": disclosure.rule(), "refreshed": last_refreshed(),
    }


def _to_the_page_that_says_why(slug: str) -> Any:
    """Send a download or summary whose pickers are wrong to the page, whose error summary says what to correct:
    a file of other dates than those asked for, with nothing to say so, would be worse than none."""
    args: dict[str, Any] = request.args.to_dict()
    if slug != "overview":
        args["slug"] = slug
    return redirect(url_for("insights.overview" if slug == "overview" else "insights.page", **args))


@bp.get("/")
@requires("insights.view")
def overview() -> Any:
    return render_template("insights/page.html", **_context("overview"))


@bp.get("/<slug>")
@requires("insights.view")
def page(slug: str) -> Any:
    if slug not in queries.PAGES:
        abort(404)
    if slug == "overview":
        filters: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("insights.overview", **filters))
    return render_template("insights/page.html", **_context(slug))


@bp.get("/<slug>/<table_id>.csv")
@requires("insights.view")
def csv(slug: str, table_id: str) -> Any:
    if slug not in queries.PAGES:
        abort(404)
    filters = parse_filters(request.args)
    if filters.errors:
        return _to_the_page_that_says_why(slug)
    only = queries.CSV_ONLY.get((slug, table_id))
    table = cached_page(f"{slug}/{table_id}", filters, only) if only else cached_page(slug, filters).table(table_id)
    if table is None:
        abort(404)
    name = f"{slug}-{table_id}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    return Response(to_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/summary")
@requires("insights.view")
def summary() -> Any:
    filters = parse_filters(request.args)
    if filters.errors:
        return _to_the_page_that_says_why("overview")
    return render_template(
        "insights/summary.html", title="Insight summary", filters=filters, area_name=queries.area_label(filters),
        overview=cached_page("overview", filters), gaps=cached_page("unmet-need", filters).table("gaps"),
        funnel=cached_page("funnel/stages", filters), rule=disclosure.rule(), refreshed=last_refreshed(),
    )


@bp.route("/subscription", methods=["GET", "POST"])
@requires("insights.view")
def subscription() -> Any:
    current = db.session.scalar(select(InsightSubscription).where(InsightSubscription.user_id == current_user.id))
    form = SubscriptionForm(data={"frequency": current.frequency if current else "none"})
    if form.validate_on_submit():
        choice = form.frequency.data
        subscribe(current_user._get_current_object(), None if choice == "none" else choice)  # type: ignore[attr-defined]
        db.session.commit()
        flash("You will not get summary emails" if choice == "none" else
              f"You will get a summary email {'every week' if choice == 'weekly' else 'every month'}", "success")
        return redirect(url_for("insights.subscription"))
    return render_template("insights/subscription.html", title="Summary emails", form=form, current=current)
