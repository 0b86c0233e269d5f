"""The resident's pages: search, results, a listing, report a problem, and the shortlist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import shortlist
from ..domain import reports, taxonomy
from ..domain.listing_edits import LANGUAGES
from ..domain.listings import is_publicly_visible
from ..domain.schedules import service_next_sessions
from ..extensions import db, limiter
from ..mail import email_link
from ..models import ACCESSIBILITY_FEATURES, CostType, Service, TaxonomyTerm, utcnow
from ..pagination import govuk_pagination
from ..permissions import can, public
from ..wording import CAPACITY_LABELS, session_in_words
from .forms import EmailShortlistForm, ReportProblemForm, ShortlistForm
from .fragments import small_checkboxes
from .presenters import MICRO_PROVIDER_MEANING, present_listing, present_result
from .result_cards import result_views

bp = Blueprint("resident", __name__)

MAX_TEXT = 200
MAX_FILTER_VALUES = 20
PER_PAGE = 20

# facet name -> legend shown above its checkboxes, in display order
FACETS: dict[str, str] = {
    "category": "Type of service",
    "need": "What it helps with",
    "cost": "Cost",
    "day": "Day",
    "time": "Time of day",
    "access": "Accessibility",
    "language": "Language",
    "capacity": "Taking new people",
    "verified": "Micro-provider",
    "age": "Age",
}
CHECKBOX_FACETS = [name for name in FACETS if name != "age"]  # age is a number the resident types
DISTANCES = ("1", "3", "5", "10", "25")  # the distance filter, in miles

DAY_LABELS = {"mo": "Monday", "tu": "Tuesday", "we": "Wednesday", "th": "Thursday", "fr": "Friday",
              "sa": "Saturday", "su": "Sunday"}
VALUE_LABELS: dict[str, dict[str, str]] = {
    "cost": {
        CostType.FREE.value: "Free",
        CostType.FIXED.value: "Fixed charge",
        CostType.PAY_WHAT_YOU_CAN.value: "Pay what you can",
        CostType.PERSONAL_BUDGET.value: "Personal budget or direct payment",
        CostType.TIME_CREDITS.value: "Time credits",
    },
    "capacity": {status.value: label for status, label in CAPACITY_LABELS.items()},
    "access": dict(ACCESSIBILITY_FEATURES),
    "day": {**DAY_LABELS, **{name.lower(): name for name in DAY_LABELS.values()}},
    "verified": {"yes": "Run by a micro-provider", "no": "Run by a larger organisation"},
    "language": dict(LANGUAGES),
}


def _hide_after() -> int:
    return int(current_app.config["STALE_HIDE_DAYS"])


def _safe_next(target: str | None, fallback: str) -> str:
    """Only follow a `next` that stays on this site (and has no CR/LF to put in a Location header)."""
    if target and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return fallback


def _visible_or_404(service_id: str, *, allow_staff: bool = False) -> tuple[Service, bool]:
    """Load a listing residents may see; staff allowed to see unpublished ones get it with published=False."""
    service = db.session.get(Service, service_id) if len(service_id) <= 36 else None
    if service is None:
        abort(404)
    if is_publicly_visible(service, utcnow(), _hide_after()):
        return service, True
    if allow_staff and can(current_user, "listing.view_unpublished", service):
        return service, False
    abort(404)


# ---- search ---------------------------------------------------------------------------------------------------

def _term_names() -> dict[str, str]:
    """Return category and need names by code, read once per request (one query per label was ~80 a page)."""
    if "term_names" not in g:
        g.term_names = dict(db.session.execute(db.select(TaxonomyTerm.code, TaxonomyTerm.name).where(TaxonomyTerm.code.is_not(None))).tuples().all())
    return g.term_names  # type: ignore[no-any-return]


def facet_label(facet: str, value: str) -> str:
    """Return the words for a facet value, e.g. "dementia" -> "Dementia and memory"."""
    if facet == "age":
        return f"Age {value}"
    if facet in ("category", "need"):
        name = _term_names().get(value)
        if name is not None:
            return name
    known = VALUE_LABELS.get(facet, {}).get(value.lower())
    if known:
        return known
    return value.replace("_", " ").replace("-", " ").capitalize()


@dataclass
class SearchArgs:
    """What the resident asked for, read from the query string (so every results page is a link)."""

    text: str
    where: str
    filters: dict[str, list[str]]
    order: str
    page: int
    within: str = ""  # the distance filter: "1", "3", "5", "10", "25" miles, or "" for the default

    @classmethod
    def from_request(cls) -> SearchArgs:
        args = request.args
        filters: dict[str, list[str]] = {}
        for name in CHECKBOX_FACETS:
            values = [v.strip().lower()[:60] for v in args.getlist(name) if v.strip()]
            if values:
                filters[name] = list(dict.fromkeys(values))[:MAX_FILTER_VALUES]
        age = args.get("age", "").strip()
        if age.isdigit() and int(age) <= 120:
            filters["age"] = [str(int(age))]
        try:
            page = max(1, min(int(args.get("page", "1")), 1000))
        except ValueError:
            page = 1
        order = args.get("order", "relevance")
        within = args.get("within", "").strip()
        return cls(
            text=" ".join(args.get("q", "").split())[:MAX_TEXT],
            where=" ".join(args.get("where", "").split())[:100],
            filters=filters,
            order=order if order in ("relevance", "nearest") else "relevance",
            page=page,
            within=within if within in DISTANCES else "",
        )

    def query(self, **changes: Any) -> list[tuple[str, str]]:
        """Return the query-string pairs for these arguments with ``changes`` applied."""
        state = {"q": self.text, "where": self.where, "order": self.order, "page": self.page, "within": self.within,
                 **changes}
        filters = changes.get("filters", self.filters)
        pairs: list[tuple[str, str]] = []
        if state["q"]:
            pairs.append(("q", state["q"]))
        if state["where"]:
            pairs.append(("where", state["where"]))
        for name in FACETS:
            pairs.extend((name, value) for value in filters.get(name, []))
        if state["within"] and state["where"]:
            pairs.append(("within", state["within"]))
        if state["order"] != "relevance":
            pairs.append(("order", state["order"]))
        if int(state["page"]) > 1:
            pairs.append(("page", str(state["page"])))
        return pairs

    def url(self, **changes: Any) -> str:
        pairs = self.query(**changes)
        return url_for("resident.search") + ("?" + urlencode(pairs) if pairs else "")

    def without(self, facet: str, value: str) -> str:
        filters = {k: [v for v in vs if not (k == facet and v == value)] for k, vs in self.filters.items()}
        return self.url(filters=filters, page=1)


def _filter_groups(args: SearchArgs, facets: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    """Build the checkbox groups: every value the results have, plus any the resident already ticked."""
    groups = []
    for name in CHECKBOX_FACETS:
        legend = FACETS[name]
        counts = dict(facets.get(name, {}))
        for value in args.filters.get(name, []):
            counts.setdefault(value, 0)
        if not counts:
            continue
        selected = set(args.filters.get(name, []))
        labelled = sorted(((-count, facet_label(name, value), value) for value, count in counts.items()))
        items = [
            {"value": value, "text": f"{label} ({-negative})", "checked": value in selected}
            for negative, label, value in labelled
        ]
        groups.append({"name": name, "legend": legend, "items": items, "open": bool(selected),
                       "html": small_checkboxes(name, legend, items)})
    return groups


# What werkzeug's URL building leaves unescaped in a path segment and in a query value (werkzeug/routing): a
# listing link built here is the same text url_for builds (tests/public/test_result_links.py checks it).
_PATH_SAFE = "!$&'()*+,/:;=@"
_QUERY_SAFE = "!$'()*,/:;?@"


def listing_links(back_base: str) -> Callable[[str], str]:
    """Return id -> url_for("resident.listing", service_id=id, back=back_base + id), with url_for called once.

    One url_for per result (with a long ``back``) was ~5% of a results page's render time.
    """
    prefix = url_for("resident.listing", service_id="-")[:-1]

    def href(service_id: str) -> str:
        return (prefix + quote(service_id, safe=_PATH_SAFE) + "?"
                + urlencode([("back", back_base + service_id)], safe=_QUERY_SAFE))
    return href


def _pagination(args: SearchArgs, total: int, per_page: int) -> dict[str, Any] | None:
    pages = max(1, -(-total // per_page))
    return govuk_pagination(min(args.page, pages), pages, lambda number: args.url(page=number))


@bp.route("/search")
@public
def search() -> Any:
    from ..geo import GazetteerUnavailable, PlaceAmbiguous, PlaceNotFound, resolve_place
    from ..search.queries import SearchRequest, log_search, search_services

    args = SearchArgs.from_request()
    place = None
    place_error: dict[str, Any] | None = None
    if args.where:
        try:
            place = resolve_place(args.where)
        except PlaceAmbiguous as ambiguous:
            return render_template("resident/place_choice.html", args=args, name=ambiguous.name,
                                   choices=ambiguous.choices, categories=taxonomy.categories())
        except PlaceNotFound as error:
            place_error = {
                "message": error.message,
                "suggestions": [{"text": s, "href": args.url(where=s, page=1)} for s in error.suggestions],
            }
        except GazetteerUnavailable:
            current_app.logger.exception("Gazetteer unavailable")
            place_error = {"message": "We cannot search by place at the moment. Try again later, or search "
                                      "without a place.", "suggestions": []}
    if place_error is not None:
        return render_template(
            "resident/results.html", args=args, place_error=place_error, results=None, views=[],
            groups=[], selected=[], pagination=None, shortlist_ids=shortlist.ids(),
        )

    order = args.order if place is not None else "relevance"
    if place is not None and place.is_area:
        order = "relevance"  # an area has no point to measure from
    within = float(args.within) if args.within and place is not None and not place.is_area else None
    search_request = SearchRequest(text=args.text, place=place, filters=args.filters, order=order,
                                   page=args.page, per_page=PER_PAGE, within_miles=within)
    results = search_services(search_request)
    log_search(search_request, results)

    views = result_views(results.hits, utcnow(), _hide_after())

    back_base = args.url() + "#result-"  # a result's "back to results" link: this page, at that result
    selected = [
        {"legend": FACETS[name], "label": facet_label(name, value), "href": args.without(name, value)}
        for name, values in args.filters.items() for value in values
    ]
    if within is not None and place is not None:  # the panel closes after filtering: say what narrowed the list
        miles = "1 mile" if args.within == "1" else f"{args.within} miles"
        selected.append({"legend": f"Distance from {place.label}", "label": f"Within {miles}",
                         "href": args.url(within="", page=1)})
    return render_template(
        "resident/results.html",
        args=args,
        place=place,
        place_error=None,
        results=results,
        views=views,
        groups=_filter_groups(args, results.facets),
        selected=selected,
        pagination=_pagination(args, results.total, results.per_page or PER_PAGE),
        suggestion_url=args.url(q=results.suggestion, page=1) if results.suggestion else None,
        clear_filters_url=args.url(filters={}, within="", page=1),
        wider_url=args.url(where="", page=1) if args.where else None,
        distances=DISTANCES,
        max_widen=float(current_app.config.get("SEARCH_MAX_WIDEN_MILES", 25)),
        order_urls={"relevance": args.url(order="relevance", page=1), "nearest": args.url(order="nearest", page=1)},
        shortlist_ids=shortlist.ids(),
        back_base=back_base,
        listing_href=listing_links(back_base),
    )


# ---- a listing ------------------------------------------------------------------------------------------------

@bp.route("/services/<service_id>")
@public
def listing(service_id: str) -> Any:
    service, published = _visible_or_404(service_id, allow_staff=True)
    view = present_listing(service, utcnow())
    return render_template(
        "resident/listing.html", view=view, service=service, published=published,
        on_shortlist=shortlist.contains(service.id), micro_provider_meaning=MICRO_PROVIDER_MEANING,
        shortlist_form=ShortlistForm(), back_to_results=_results_url(request.args.get("back")),
    )


def _results_url(target: str | None) -> str | None:
    """Return the results page a listing was opened from (query, place, filters, order, page, anchor), if safe."""
    if not target or len(target) > 2000:
        return None
    safe = _safe_next(target, "")
    return safe if urlsplit(safe).path == url_for("resident.search") else None


# ---- report a problem -----------------------------------------------------------------------------------------

def _report_rate() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


@bp.route("/services/<service_id>/report", methods=["GET", "POST"])
@public
@limiter.limit(_report_rate, methods=["POST"])
def report_problem(service_id: str) -> Any:
    service, _ = _visible_or_404(service_id)
    form = ReportProblemForm()
    if form.validate_on_submit():
        reports.report_problem(service, form.reasons.data or [], form.details.data)
        db.session.commit()
        return redirect(url_for("resident.report_sent", service_id=service.id))
    return render_template("resident/report.html", form=form, service=service)


@bp.route("/services/<service_id>/report/sent")
@public
def report_sent(service_id: str) -> Any:
    service, _ = _visible_or_404(service_id)
    return render_template("resident/report_sent.html", service=service)


# ---- the shortlist --------------------------------------------------------------------------------------------

def _shortlist_items(services: list[Service]) -> list[dict[str, Any]]:
    now = utcnow()
    items = []
    for service in services:
        view = present_result(service, now)
        sessions = service_next_sessions(service, now, 3)
        items.append({"view": view, "service": service, "sessions": [session_in_words(s) for s in sessions],
                      "listing": present_listing(service, now)})
    return items


def _my_shortlist() -> list[Service]:
    return shortlist.visible_services(shortlist.ids(), utcnow(), _hide_after())


def _share_url(services: list[Service], external: bool = False) -> str | None:
    if not services:
        return None
    ids = shortlist.encode_ids([s.id for s in services])
    if external:
        return email_link("resident.shortlist_shared", ids=ids)
    return url_for("resident.shortlist_shared", ids=ids)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _change_shortlist(adding: bool) -> Any:
    form = ShortlistForm()
    service_id = (form.service_id.data or "").strip()
    if not form.validate_on_submit() or not service_id:
        abort(400)
    service, _ = _visible_or_404(service_id)
    full = False
    if adding:
        full = not shortlist.add(service.id)
    else:
        shortlist.remove(service.id)
    if _wants_json():
        return jsonify({"on_shortlist": shortlist.contains(service.id), "count": len(shortlist.ids()),
                        "full": full})
    link = Markup('<a class="govuk-notification-banner__link" href="{}">view your shortlist ({})</a>').format(
        url_for("resident.shortlist_page"), shortlist.count())
    if full:
        flash(f"Your shortlist is full. Remove a service before you add another (the most is "
              f"{shortlist.MAX_ITEMS}).", "info")
    elif adding:
        flash(Markup("Added {} — {}").format(service.name, link), "success")
    else:
        flash(Markup("Removed {} — {}").format(service.name, link), "success")
    # Back to the same result: the form's next carries the results page and the result's anchor.
    return redirect(_safe_next(form.next.data, url_for("resident.listing", service_id=service.id)))


@bp.route("/shortlist/clear", methods=["POST"])
@public
def shortlist_clear() -> Any:
    form = ShortlistForm()
    if not form.validate_on_submit():
        abort(400)
    shortlist.clear()
    flash("Your shortlist is now empty.", "success")
    return redirect(url_for("resident.shortlist_page"))


@bp.route("/shortlist/add", methods=["POST"])
@public
def shortlist_add() -> Any:
    return _change_shortlist(adding=True)


@bp.route("/shortlist/remove", methods=["POST"])
@public
def shortlist_remove() -> Any:
    return _change_shortlist(adding=False)


@bp.route("/shortlist")
@public
def shortlist_page() -> Any:
    services = _my_shortlist()
    return render_template("resident/shortlist.html", items=_shortlist_items(services),
                           share_url=_share_url(services, external=True), shortlist_form=ShortlistForm())


@bp.route("/shortlist/print")
@public
def shortlist_print() -> Any:
    services = _my_shortlist()
    return render_template("resident/shortlist_print.html", items=_shortlist_items(services),
                           printed_on=utcnow().date(), back_url=url_for("resident.shortlist_page"))


@bp.route("/shortlist/shared")
@public
def shortlist_shared() -> Any:
    try:
        ids = shortlist.decode_ids(request.args.get("ids", ""))
    except ValueError:
        ids = []
    services = shortlist.visible_services(ids, utcnow(), _hide_after())
    return render_template("resident/shortlist_shared.html", items=_shortlist_items(services),
                           shortlist_form=ShortlistForm(), shortlist_ids=shortlist.ids())


def _email_rate() -> str:
    return current_app.config["SHORTLIST_EMAIL_RATE_LIMIT"]


def _email_body(services: list[Service]) -> str:
    now = utcnow()
    lines = [f"Here is the shortlist you made on {current_app.config['SERVICE_NAME']}.", ""]
    for service in services:
        view = present_listing(service, now)
        lines.append(service.name)
        lines.append(f"Run by {service.organization.name}")
        if view.next_sessions:
            lines.append(f"Next: {view.next_sessions[0]}")
        elif view.schedules:
            lines.append(view.schedules[0])
        for location in view.locations:
            lines.append("Where: " + ", ".join(location["lines"]))
        lines.append(f"Cost: {view.cost}")
        for phone in view.phones:
            lines.append(f"Phone: {phone['number']}")
        for address in view.emails:
            lines.append(f"Email: {address}")
        lines.append(email_link("resident.listing", service_id=service.id))
        lines.append("")
    share = _share_url(services, external=True)
    lines += ["See the whole list again:", share or "", "",
              "We have not kept your email address. You do not need to reply to this email."]
    return "\n".join(lines)


@bp.route("/shortlist/email", methods=["GET", "POST"])
@public
@limiter.limit(_email_rate, methods=["POST"])
def shortlist_email() -> Any:
    services = _my_shortlist()
    if not services:
        flash("Your shortlist is empty. Add services to it before you email it.", "info")
        return redirect(url_for("resident.shortlist_page"))
    form = EmailShortlistForm()
    if form.validate_on_submit():
        sent = shortlist.email_shortlist(form.email.data or "", "Your shortlist of local services",
                                         _email_body(services))
        db.session.commit()
        if sent:
            flash("We are sending the list to your email address. It should arrive in a few minutes.", "success")
            return redirect(url_for("resident.shortlist_page"))
        form.email.errors = [*form.email.errors, "We could not send the email just now. Try again later."]
    return render_template("resident/shortlist_email.html", form=form, count=len(services))


def init_resident(app: Any) -> None:
    """Register the resident pages, and the category list the home page (public.home) shows."""
    app.register_blueprint(bp)
    app.add_template_global(taxonomy.categories, "popular_categories")
