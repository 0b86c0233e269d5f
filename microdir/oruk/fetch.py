"""Fetch an ORUK feed from a web address for import: off unless ``ORUK_IMPORT_FROM_URL_ENABLED`` is set.

Only http and https (redirects included), a timeout per request, a size limit over all pages together, and a
page limit. A ``/services`` page envelope is followed page by page (``page=2``, ``page=3`` … on the same address)
until its ``last_page`` is true; anything else (a JSON list of services, one service, ndjson) is one file.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app

from .importer import Rejection, read_records


class FetchRefused(Exception):
    """The address cannot be imported; the message says why, in the user's terms."""


@dataclass(frozen=True)
class FetchLimits:
    timeout_seconds: float
    max_bytes: int
    max_pages: int

    @classmethod
    def from_config(cls) -> FetchLimits:
        config = current_app.config
        return cls(
            timeout_seconds=float(config.get("ORUK_IMPORT_URL_TIMEOUT_SECONDS", 30)),
            max_bytes=int(config.get("ORUK_IMPORT_URL_MAX_BYTES", 50_000_000)),
            max_pages=int(config.get("ORUK_IMPORT_URL_MAX_PAGES", 1_000)),
        )


def url_import_enabled() -> bool:
    return bool(current_app.config.get("ORUK_IMPORT_FROM_URL_ENABLED", False))


def check_address(url: str) -> str:
    """Return the address if it may be fetched, or raise FetchRefused saying why not."""
    if not url_import_enabled():
        raise FetchRefused(
            "Importing from a web address is turned off. Download the file and import it, or set "
            "ORUK_IMPORT_FROM_URL_ENABLED = True in the instance config."
        )
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchRefused("Enter a web address that starts with http:// or https://, like https://example.org/api/services")
    return url


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http and https addresses (urllib would also follow one to ftp)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchRefused(f"The address redirected to {newurl}, which is not an http or https address")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"] + [("page", str(page))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _get(url: str, limits: FetchLimits, budget: int) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "microdir ORUK import"})
    try:
        with _OPENER.open(request, timeout=limits.timeout_seconds) as response:
            body = response.read(budget + 1)
    except urllib.error.HTTPError as error:
        raise FetchRefused(f"{url} answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FetchRefused(f"Could not fetch {url}: {reason}") from error
    if len(body) > budget:
        raise FetchRefused(f"The feed is larger than the limit of {limits.max_bytes:,} bytes (ORUK_IMPORT_URL_MAX_BYTES)")
    return body


def fetch_records(
    url: str, *, limits: FetchLimits | None = None, progress: Callable[[int, int | None], None] | None = None
) -> tuple[list[Any], list[Rejection]]:
    """Fetch every page of the feed at ``url`` and return its records and any unreadable lines.

    ``progress(page_number, total_pages or None)`` is called after each page.
    """
    url = check_address(url)
    limits = limits or FetchLimits.from_config()
    records: list[Any] = []
    problems: list[Rejection] = []
    used = 0
    page_url, page = url, None
    for _ in range(limits.max_pages):
        body = _get(page_url, limits, limits.max_bytes - used)
        used += len(body)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FetchRefused(f"{page_url} did not send UTF-8 text") from error
        envelope = _envelope(text)
        if envelope is None:  # not a page: a list, one service or ndjson, all in one answer
            found, bad = read_records(text)
            records.extend(found)
            problems.extend(bad)
            if progress is not None:
                progress(1, 1)
            return records, problems
        records.extend(envelope["contents"])
        number = envelope.get("page_number")
        # Trust the feed's page number only when it moves forward, so a feed that repeats a page cannot loop.
        page = number if isinstance(number, int) and number > (page or 0) else (page or 0) + 1
        total = envelope.get("total_pages")
        if progress is not None:
            progress(page, total if isinstance(total, int) else None)
        finished = envelope.get("last_page") is True or not envelope["contents"]
        if isinstance(total, int) and page >= total:
            finished = True
        if finished:
            return records, problems
        page_url = _with_page(url, page + 1)
    problems.append(Rejection(None, f"stopped after {limits.max_pages:,} pages (ORUK_IMPORT_URL_MAX_PAGES); the rest was not imported"))
    return records, problems


def _envelope(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return data
    return None
