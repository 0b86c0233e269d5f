"""The Open Referral UK 3.0 read API at ``/api/oruk``: public, no key, CORS open, rate limited.

Only publicly visible listings appear: published and not hidden for staleness; never a private-home venue,
never referral or account data. Every list answers with the standard's Page envelope.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, stream_with_context, url_for
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db, limiter
from ..geo import METRES_PER_MILE, is_standard_postcode
from ..models import (
    Attribute,
    ListingStatus,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    utcnow,
)
from ..permissions import public
from ..search import services_covering
from ..search.queries import find_service_ids, miles_between
from . import serialise
from .loading import attach_children, load_full_services

bp = Blueprint("oruk_api", __name__, url_prefix="/api/oruk")

VERSION = "HSDS-UK-3.0"
PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # beyond this an OFFSET overflows SQLite's integer; nobody pages that far
MAX_PROXIMITY_METRES = 1_000_000
MAX_MINIMAL_PAGE = 50_000  # minimal=true without per_page: every service in one page, as the spec asks
NDJSON_BATCH = 200


def _rate_limit() -> str:
    return str(current_app.config.get("ORUK_RATE_LIMIT", "600 per minute"))


limiter.limit(_rate_limit)(bp)


@bp.after_app_request
def _open_to_all(response: Response) -> Response:
    """Let any web page read the feed (ORUK: ``Access-Control-Allow-Origin: *`` on every response)."""
    if request.path.startswith(bp.url_prefix or "/api/oruk"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    return response


# ---- loading: a fully nested service comes from loading.py (one plain query per table) -------------------------

# ``FULL`` is a marker, not loader options: see loading.py for why selectinload chains were replaced.
FULL = "full"
SUMMARY_OPTIONS = (joinedload(Service.organization),)


def visible_clause(now: datetime) -> Any:
    """Return the SQL form of ``domain.listings.is_publicly_visible``: published and checked recently enough."""
    cutoff = now - timedelta(days=current_app.config["STALE_HIDE_DAYS"])
    checked = func.coalesce(Service.last_verified_at, Service.first_published_at, Service.created_at)
    return and_(Service.listing_status == ListingStatus.PUBLISHED, checked >= cutoff)


# ---- parameters: anything out of range is a 400 with a JSON body, never a 500 ---------------------------------


def _arg(name: str) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    return value.replace("\x00", "").strip()


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = _arg(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[+-]?\d{1,12}", raw):
        abort(400, description=f"{name} must be a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        abort(400, description=f"{name} must be a whole number from {low} to {high}")
    return value


def _bool_arg(name: str) -> bool:
    raw = _arg(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    abort(400, description=f"{name} must be true or false")


def _uuid_arg(name: str) -> str | None:
    raw = _arg(name)
    if raw is None:
        return None
    return _uuid(raw, name)


def _uuid(raw: str, name: str = "id") -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        abort(400, description=f"{name} must be a UUID, like ac148810-d857-441c-9679-408f346de14b")


def _datetime_arg(name: str) -> datetime | None:
    raw = _arg(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        except ValueError:
            abort(400, description=f"{name} must be a date-time, like 2023-03-15T10:30:45.123Z")
    if value.tzinfo is not None:
        try:
            value = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-23:59 is after the last date a datetime can hold
            abort(400, description=f"{name} must be a date-time between 0001-01-02 and 9999-12-30")
    return value


def _format_arg() -> str:
    raw = _arg("format")
    raw = "json" if raw is None else raw.lower()
    if raw not in ("json", "ndjson"):
        abort(400, description="format must be json or ndjson")
    return raw


@dataclass
class Paging:
    page: int
    per_page: int

    @classmethod
    def from_request(cls, default_per_page: int = DEFAULT_PER_PAGE) -> Paging:
        page = _int_arg("page", 1, 1, MAX_PAGE)
        per_page = _int_arg("per_page", None, 1, MAX_PER_PAGE)
        return cls(page or 1, per_page or default_per_page)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_envelope(contents: list[dict[str, Any]], total: int, paging: Paging) -> dict[str, Any]:
    """Wrap a page of results in the ORUK ``Page`` envelope (an empty result: 0 pages, first and last)."""
    total_pages = math.ceil(total / paging.per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": len(contents),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": total == 0,
        "contents": contents,
    }


# ---- responses ------------------------------------------------------------------------------------------------


def json_response(body: Any, *, last_modified: datetime | None = None) -> Response:
    """Answer with JSON, an ETag and Last-Modified, and 304 when the client's copy is current."""
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/json"
    )
    response.add_etag()
    if last_modified is not None:
        response.last_modified = last_modified.replace(tzinfo=UTC)
    # Public open data: caches may keep it, but must ask again (cheaply, with the ETag) before reusing it.
    response.headers["Cache-Control"] = "public, no-cache"
    response.make_conditional(request)  # answers 304 in place when the client's copy is current
    return response


def ndjson_response(lines: Iterable[dict[str, Any]], filename: str | None = None) -> Response:
    def generate() -> Iterator[str]:
        for line in lines:
            yield json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"

    response = current_app.response_class(stream_with_context(generate()), mimetype="application/x-ndjson")
    response.headers["Cache-Control"] = "public, no-cache"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _newest(services: Iterable[Service]) -> datetime | None:
    stamps = [s.last_modified for s in services if s.last_modified is not None]
    return max(stamps) if stamps else None


# ---- services ------------------------------------------------------------------------------------------------


def load_services(ids: list[str], options: tuple[Any, ...] | str) -> list[Service]:
    """Load services by id, in the order of ``ids``: fully nested for ``FULL``, else with loader ``options``."""
    if not ids:
        return []
    if options == FULL:
        return load_full_services(ids)
    rows = db.session.scalars(select(Service).where(Service.id.in_(ids)).options(*options)).all()
    by_id = {s.id: s for s in rows}
    return [by_id[i] for i in ids if i in by_id]


def _service_filters(query: Select[Any]) -> Select[Any]:
    """Apply the filters ``/services`` and ``/service_at_locations`` share; they are cumulative (AND)."""
    term_id = _uuid_arg("taxonomy_term_id")
    if term_id:
        tagged = select(Attribute.link_id).where(Attribute.link_type == "service", Attribute.taxonomy_term_id == term_id)
        query = query.where(Service.id.in_(tagged))
    taxonomy_id = _uuid_arg("taxonomy_id")
    if taxonomy_id:
        tagged = (
            select(Attribute.link_id)
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(Attribute.link_type == "service", TaxonomyTerm.taxonomy_id == taxonomy_id)
        )
        query = query.where(Service.id.in_(tagged))
    organization_id = _uuid_arg("organization_id")
    if organization_id:
        query = query.where(Service.organization_id == organization_id)
    modified_after = _datetime_arg("modified_after")
    if modified_after is not None:
        query = query.where(Service.last_modified >= modified_after)
    return query


def _ranked(ids_query: Select[Any], ranking: list[tuple[str, float | None]]) -> list[str]:
    """Keep the search module's order, but only the ids the other filters allow."""
    allowed = set(db.session.scalars(ids_query))
    return [service_id for service_id, _ in ranking if service_id in allowed]


@bp.get("/")
@public
def root() -> Response:
    """Describe the API, as ORUK's validator expects first."""
    return json_response(
        {"version": VERSION, "profile": PROFILE, "openapi_url": url_for("oruk_api.openapi", _external=True)}
    )


@bp.get("/openapi.json")
@public
def openapi() -> Response:
    """Serve the OpenAPI document for exactly what this API implements."""
    from .openapi import build_openapi

    base = url_for("oruk_api.root", _external=True).rstrip("/")
    return json_response(build_openapi(base))


@bp.get("/services")
@public
def services() -> Response:
    """List published services, one-to-one fields (``full=true``: fully nested), filtered and paged."""
    now = utcnow()
    minimal, full, fmt = _bool_arg("minimal"), _bool_arg("full"), _format_arg()
    default_per_page = MAX_MINIMAL_PAGE if minimal and _arg("per_page") is None else DEFAULT_PER_PAGE
    paging = Paging.from_request(default_per_page)
    ids_query = _service_filters(select(Service.id).where(visible_clause(now)))
    text = _arg("search")
    options: tuple[Any, ...] | str = FULL if full else SUMMARY_OPTIONS

    def render(service: Service) -> dict[str, Any]:
        if minimal:
            return serialise.minimal_service(service)
        return serialise.service(service, today=now.date()) if full else serialise.service_summary(service)

    if text:
        ordered = _ranked(ids_query, find_service_ids(text))
        if fmt == "ndjson":
            return ndjson_response(render(s) for s in _batched(ordered, options))
        total, page_ids = len(ordered), ordered[paging.offset : paging.offset + paging.per_page]
    else:
        ordered_query = ids_query.order_by(Service.name, Service.id)
        if fmt == "ndjson":
            return ndjson_response(render(s) for s in _batched(list(db.session.scalars(ordered_query)), options))
        total = db.session.scalar(select(func.count()).select_from(ids_query.subquery())) or 0
        page_ids = list(db.session.scalars(ordered_query.offset(paging.offset).limit(paging.per_page)))
    rows = load_services(page_ids, () if minimal else options)
    return json_response(page_envelope([render(s) for s in rows], total, paging), last_modified=_newest(rows))


def _batched(ids: list[str], options: tuple[Any, ...] | str) -> Iterator[Service]:
    for start in range(0, len(ids), NDJSON_BATCH):
        yield from load_services(ids[start : start + NDJSON_BATCH], options)
        db.session.expunge_all()  # keep memory flat while streaming the whole directory


def _visible_service(service_id: str) -> Service:
    service_id = _uuid(service_id)
    service = db.session.scalar(select(Service).where(Service.id == service_id, visible_clause(utcnow())))
    if service is None:
        abort(404, description="No published service has this id")
    attach_children([service])
    return service


@bp.get("/services/<service_id>")
@public
def service(service_id: str) -> Response:
    """Return one published service, fully nested."""
    found = _visible_service(service_id)
    return json_response(serialise.service(found, today=utcnow().date()), last_modified=found.last_modified)


@bp.get("/download")
@public
def download() -> Response:
    """Stream the whole published directory as ndjson of fully nested services."""
    return ndjson_response(export_services(), filename="microdir-services.ndjson")


def export_services() -> Iterator[dict[str, Any]]:
    """Yield every publicly visible service, fully nested, ordered by name."""
    now = utcnow()
    ids = list(db.session.scalars(select(Service.id).where(visible_clause(now)).order_by(Service.name, Service.id)))
    for item in _batched(ids, FULL):
        yield serialise.service(item, today=now.date())


# ---- service at location ----------------------------------------------------------------------------------------


def _sal_query(now: datetime) -> Select[Any]:
    return (
        select(ServiceAtLocation.id, ServiceAtLocation.service_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(visible_clause(now), or_(Location.is_private_home.is_(False), Location.is_private_home.is_(None)))
    )


SAL_OPTIONS = (
    joinedload(ServiceAtLocation.location).options(selectinload(Location.addresses), selectinload(Location.accessibility)),
    joinedload(ServiceAtLocation.service).joinedload(Service.organization),
)


def _render_sal(item: ServiceAtLocation, *, full: bool) -> dict[str, Any]:
    data = serialise.service_at_location(item, nested=full)
    data["service"] = serialise.service_summary(item.service)
    return data


def _place_from_postcode(postcode: str) -> Any:
    """Return the postcode as a search place, or None when it is not a known postcode (an empty result, not an error)."""
    from ..geo import PlaceNotFound, resolve_place

    try:
        return resolve_place(postcode)
    except PlaceNotFound:
        return None


def _venues_serving(rows: Sequence[Any], place: Any, text: str | None, proximity: int | None) -> list[Any]:
    """Keep the venues of services that serve ``place``, strictly (see the OpenAPI ``postcode`` description).

    ``services_covering`` (the search module, as the resident pages use) answers which services serve it: those
    whose area served covers the postcode (their council, postcode district or a radius around a point), and with
    ``proximity`` also those with a venue within that many metres. No widening radius, and services offered only
    by phone or online never count. With ``proximity``, only the venues within it are listed. Nearest venue first.
    """
    covering = services_covering(place, text or None, within_metres=proximity)
    rank = {service_id: n for n, (service_id, _) in enumerate(covering)}
    metres = {
        r.id: miles_between(place.lat, place.lon, r.latitude, r.longitude) * METRES_PER_MILE
        for r in rows
        if r.latitude is not None and r.longitude is not None
    }
    kept = [r for r in rows if r.service_id in rank and (proximity is None or metres.get(r.id, math.inf) <= proximity)]
    return sorted(kept, key=lambda r: (metres.get(r.id, math.inf), rank[r.service_id], r.id))


@bp.get("/service_at_locations")
@public
def service_at_locations() -> Response:
    """List the venues of published services; ``postcode`` (and ``proximity`` in metres) narrow by place."""
    now = utcnow()
    full, fmt, paging = _bool_arg("full"), _format_arg(), Paging.from_request()
    query = _service_filters(_sal_query(now))
    postcode, text = _arg("postcode"), _arg("search")
    if postcode is not None and not is_standard_postcode(postcode):
        abort(400, description="postcode must be a full UK postcode, like B66 1AA")
    proximity = _int_arg("proximity", None, 1, MAX_PROXIMITY_METRES)
    # proximity without a postcode has nothing to measure from; the OpenAPI document says it is then ignored.
    rows = db.session.execute(
        query.add_columns(Location.latitude, Location.longitude).order_by(Service.name, ServiceAtLocation.id)
    ).all()
    if postcode:
        place = _place_from_postcode(postcode)
        rows = [] if place is None else _venues_serving(rows, place, text, proximity)
    elif text:
        order = {service_id: n for n, (service_id, _) in enumerate(find_service_ids(text))}
        rows = sorted((r for r in rows if r.service_id in order), key=lambda r: order[r.service_id])
    sal_ids = [r.id for r in rows]
    if fmt == "ndjson":
        return ndjson_response([_render_sal(s, full=full) for s in _load_sals(sal_ids)])
    page = _load_sals(sal_ids[paging.offset : paging.offset + paging.per_page])
    body = page_envelope([_render_sal(s, full=full) for s in page], len(sal_ids), paging)
    return json_response(body, last_modified=_newest(s.service for s in page))


def _load_sals(ids: list[str]) -> list[ServiceAtLocation]:
    if not ids:
        return []
    found = db.session.scalars(select(ServiceAtLocation).where(ServiceAtLocation.id.in_(ids)).options(*SAL_OPTIONS))
    by_id = {s.id: s for s in found}
    return [by_id[i] for i in ids if i in by_id]


@bp.get("/service_at_locations/<sal_id>")
@public
def service_at_location(sal_id: str) -> Response:
    """Return one venue of a published service, with its location nested."""
    sal_id = _uuid(sal_id)
    row = db.session.execute(_sal_query(utcnow()).where(ServiceAtLocation.id == sal_id)).first()
    if row is None:
        abort(404, description="No published service is offered at a location with this id")
    item = _load_sals([row.id])[0]
    return json_response(_render_sal(item, full=True), last_modified=item.service.last_modified)


# ---- taxonomies and terms (small lists: paged in memory, with microdir's listing-facts taxonomy added) ---------


def _matches(text: str | None, *fields: str | None) -> bool:
    if not text:
        return True
    needle = text.casefold()
    return any(needle in (f or "").casefold() for f in fields)


def _in_memory_page(items: list[dict[str, Any]], paging: Paging, fmt: str) -> Response:
    if fmt == "ndjson":
        return ndjson_response(items)
    page = items[paging.offset : paging.offset + paging.per_page]
    return json_response(page_envelope(page, len(items), paging))


def _all_taxonomies() -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Taxonomy).order_by(Taxonomy.name, Taxonomy.id)).all()
    items = [serialise.taxonomy(t) for t in rows] + [dict(serialise.FACTS_TAXONOMY)]
    return sorted(items, key=lambda t: (t["name"].casefold(), t["id"]))


def _all_terms() -> list[dict[str, Any]]:
    rows = db.session.scalars(select(TaxonomyTerm).options(selectinload(TaxonomyTerm.taxonomy_obj))).all()
    items = [serialise.taxonomy_term(t) for t in rows] + [dict(t) for t in serialise.FACT_TERMS.values()]
    return sorted(items, key=lambda t: (t.get("taxonomy", "").casefold(), t["name"].casefold(), t["id"]))


@bp.get("/taxonomies")
@public
def taxonomies() -> Response:
    """List the taxonomies services are tagged with."""
    fmt, paging, text = _format_arg(), Paging.from_request(), _arg("search")
    items = [t for t in _all_taxonomies() if _matches(text, t["name"], t.get("description"))]
    return _in_memory_page(items, paging, fmt)


@bp.get("/taxonomies/<taxonomy_id>")
@public
def taxonomy(taxonomy_id: str) -> Response:
    """Return one taxonomy with its terms."""
    taxonomy_id = _uuid(taxonomy_id)
    if taxonomy_id == serialise.FACTS_TAXONOMY_ID:
        return json_response({**serialise.FACTS_TAXONOMY, "taxonomy_terms": list(serialise.FACT_TERMS.values())})
    found = db.session.get(Taxonomy, taxonomy_id)
    if found is None:
        abort(404, description="No taxonomy has this id")
    terms = sorted(found.terms, key=lambda t: (t.name.casefold(), t.id))
    return json_response(serialise.taxonomy(found, terms=terms))


@bp.get("/taxonomy_terms")
@public
def taxonomy_terms() -> Response:
    """List taxonomy terms; ``taxonomy_id``, ``top_only`` and ``parent_id`` narrow the list."""
    fmt, paging, text = _format_arg(), Paging.from_request(), _arg("search")
    taxonomy_id, parent_id, top_only = _uuid_arg("taxonomy_id"), _uuid_arg("parent_id"), _bool_arg("top_only")
    checks: list[Callable[[dict[str, Any]], bool]] = [
        lambda t: _matches(text, t["name"], t.get("description"), t.get("term")),
    ]
    if taxonomy_id:
        checks.append(lambda t: t.get("taxonomy_id") == taxonomy_id)
    if parent_id:
        checks.append(lambda t: t.get("parent_id") == parent_id)
    if top_only:
        checks.append(lambda t: "parent_id" not in t)
    items = [t for t in _all_terms() if all(check(t) for check in checks)]
    return _in_memory_page(items, paging, fmt)


@bp.get("/taxonomy_terms/<term_id>")
@public
def taxonomy_term(term_id: str) -> Response:
    """Return one taxonomy term."""
    term_id = _uuid(term_id)
    fact = serialise.fact_terms_by_id().get(term_id)
    if fact is not None:
        return json_response(fact)
    found = db.session.get(TaxonomyTerm, term_id)
    if found is None:
        abort(404, description="No taxonomy term has this id")
    return json_response(serialise.taxonomy_term(found))


# ---- organisations: only those with at least one published service -------------------------------------------


def _organization_query(now: datetime) -> Select[Any]:
    with_service = select(Service.organization_id).where(visible_clause(now))
    return select(Organization).where(Organization.id.in_(with_service))


def _render_organization(item: Organization, services: list[Service], *, full: bool, full_service: bool, today: date) -> dict[str, Any]:
    data = serialise.organization(item, nested=full or full_service)
    if full or full_service:
        if full_service:
            data["services"] = [serialise.service(s, today=today) for s in services]
        else:
            data["services"] = [{k: v for k, v in serialise.service_summary(s).items() if k != "organization"} for s in services]
    return data


def _services_of(organization_ids: list[str], now: datetime, full_service: bool) -> dict[str, list[Service]]:
    if not organization_ids:
        return {}
    rows = db.session.scalars(
        select(Service)
        .where(Service.organization_id.in_(organization_ids), visible_clause(now))
        .order_by(Service.name, Service.id)
    ).all()
    if full_service:
        attach_children(rows)
    grouped: dict[str, list[Service]] = {}
    for row in rows:
        grouped.setdefault(row.organization_id, []).append(row)
    return grouped


@bp.get("/organizations")
@public
def organizations() -> Response:
    """List organisations with published services; ``full_service=true`` nests their services in full."""
    now = utcnow()
    fmt, paging, text = _format_arg(), Paging.from_request(), _arg("search")
    full, full_service = _bool_arg("full"), _bool_arg("full_service")
    query = _organization_query(now)
    if text:
        needle = f"%{text.lower()}%"
        query = query.where(or_(func.lower(Organization.name).like(needle), func.lower(Organization.description).like(needle)))
    query = query.order_by(Organization.name, Organization.id).options(selectinload(Organization.identifiers))
    if fmt == "ndjson":
        rows = db.session.scalars(query).all()
        grouped = _services_of([o.id for o in rows], now, full_service) if full or full_service else {}
        lines = [  # rendered now, not while streaming: a handful of organisations, and no session to keep open
            _render_organization(o, grouped.get(o.id, []), full=full, full_service=full_service, today=now.date())
            for o in rows
        ]
        return ndjson_response(lines)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.offset(paging.offset).limit(paging.per_page)).all()
    grouped = _services_of([o.id for o in rows], now, full_service) if full or full_service else {}
    contents = [
        _render_organization(o, grouped.get(o.id, []), full=full, full_service=full_service, today=now.date())
        for o in rows
    ]
    return json_response(page_envelope(contents, total, paging))


@bp.get("/organizations/<organization_id>")
@public
def organization(organization_id: str) -> Response:
    """Return one organisation, nested, with its published services (in full with ``full_service=true``)."""
    now = utcnow()
    organization_id = _uuid(organization_id)
    full_service = _bool_arg("full_service")
    found = db.session.scalar(_organization_query(now).where(Organization.id == organization_id))
    if found is None:
        abort(404, description="No organisation with published services has this id")
    services = _services_of([found.id], now, full_service).get(found.id, [])
    body = _render_organization(found, services, full=True, full_service=full_service, today=now.date())
    return json_response(body, last_modified=_newest(services))
