"""Page numbers for GOV.UK pagination: which page is shown, and the links to the others."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def page_number(raw: str | None) -> int:
    """The page asked for in the query string: 1 for anything missing or not a positive whole number."""
    try:
        return max(1, min(int(raw or "1"), 100000))
    except ValueError:
        return 1


def one_page(items: Sequence[T], page: int, per_page: int) -> tuple[list[T], int, int]:
    """Return the items on ``page`` (clamped to the last page), that page's number and the number of pages."""
    pages = max(1, -(-len(items) // per_page))
    current = min(page, pages)
    start = (current - 1) * per_page
    return list(items[start:start + per_page]), current, pages


def govuk_pagination(current: int, pages: int, href: Callable[[int], str]) -> dict[str, Any] | None:
    """Parameters for govukPagination: previous, next, first, last and the pages either side of this one."""
    if pages <= 1:
        return None
    params: dict[str, Any] = {"items": []}
    if current > 1:
        params["previous"] = {"href": href(current - 1)}
    if current < pages:
        params["next"] = {"href": href(current + 1)}
    shown: list[int | None] = []
    for number in range(1, pages + 1):
        if number in (1, pages) or abs(number - current) <= 1:
            shown.append(number)
        elif shown and shown[-1] is not None:
            shown.append(None)
    for link in shown:
        if link is None:
            params["items"].append({"ellipsis": True})
        else:
            params["items"].append({"number": link, "href": href(link), "current": link == current})
    return params
