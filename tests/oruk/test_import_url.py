"""Importing from a web address: off by default; when on, a real HTTP server on loopback serves the feed."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from microdir.extensions import db
from microdir.models import ListingStatus, Role, Service
from microdir.oruk.fetch import FetchLimits, FetchRefused, fetch_records
from tests import factories
from tests.pages import ClientRequest

ORG = {"id": str(uuid.uuid4()), "name": "Feed Organisation", "description": "Runs groups."}


def _service(name: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": name, "status": "active", "organization_id": ORG["id"], "organization": ORG}


PAGES = [[_service("Paged Walk"), _service("Paged Choir")], [_service("Paged Lunch")]]
LISTED = [_service("Listed Craft Club")]


class Feed(BaseHTTPRequestHandler):
    """A tiny ORUK feed: /services in two pages, /list.json an array, and some misbehaving addresses."""

    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        Feed.requests.append(self.path)
        parts = urlsplit(self.path)
        if parts.path == "/services":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            contents = PAGES[page - 1]
            body: Any = {"total_items": 3, "total_pages": 2, "page_number": page, "size": len(contents),
                         "first_page": page == 1, "last_page": page == 2, "empty": False, "contents": contents}
            self._send(200, json.dumps(body).encode())
        elif parts.path == "/list.json":
            self._send(200, json.dumps(LISTED).encode())
        elif parts.path == "/big":
            self._send(200, b"[" + b" " * 5000 + b"]")
        elif parts.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/feed.json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/slow":
            time.sleep(1.5)
            self._send(200, b"[]")
        else:
            self._send(404, b"not here")

    def _send(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def feed() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def url_import_on(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ORUK_IMPORT_FROM_URL_ENABLED", True)


def _names() -> list[str]:
    return sorted(db.session.scalars(db.select(Service.name)))


def test_url_import_is_refused_while_turned_off(app_ctx: Any, cli_runner: Any, client_request: ClientRequest, feed: str) -> None:
    assert app_ctx.config["ORUK_IMPORT_FROM_URL_ENABLED"] is False  # the default
    Feed.requests.clear()
    result = cli_runner.invoke(args=["oruk", "import", f"{feed}/services"])
    assert result.exit_code != 0
    assert "Importing from a web address is turned off" in result.output
    assert "ORUK_IMPORT_FROM_URL_ENABLED" in result.output
    assert Feed.requests == []  # nothing was fetched
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.get("/admin/open-data/import")
    assert page.select("input[name='feed_url']") == []  # no web address form is offered
    # A hand-made post to the hidden form is not acted on: the file form answers, asking for a file.
    page = client_request.post("/admin/open-data/import", {"feed_url": f"{feed}/services",
                                                           "feed_then": "publish", "feed_submit": "y"},
                               expected_status=200)
    assert "Select an Open Referral UK file to import" in page.error_summary()
    assert Feed.requests == [] and _names() == []


def test_cli_imports_every_page_of_a_feed(app_ctx: Any, cli_runner: Any, url_import_on: None, feed: str) -> None:
    Feed.requests.clear()
    result = cli_runner.invoke(args=["oruk", "import", f"{feed}/services?per_page=2", "--publish"])
    assert result.exit_code == 0, result.output
    assert "fetched page 1 of 2" in result.output and "fetched page 2 of 2" in result.output
    assert "3 created, 0 updated, 0 unchanged, 0 rejected" in result.output
    assert Feed.requests == ["/services?per_page=2", "/services?per_page=2&page=2"]
    assert _names() == ["Paged Choir", "Paged Lunch", "Paged Walk"]
    service = db.session.scalar(db.select(Service).where(Service.name == "Paged Lunch"))
    assert service.listing_status is ListingStatus.PUBLISHED and service.source == f"url:{feed}/services?per_page=2"
    again = cli_runner.invoke(args=["oruk", "import", f"{feed}/services?per_page=2", "--publish"])
    assert "0 created, 0 updated, 3 unchanged, 0 rejected" in again.output


def test_a_feed_that_is_not_paged_is_one_file(app_ctx: Any, url_import_on: None, feed: str) -> None:
    records, problems = fetch_records(f"{feed}/list.json")
    assert [r["name"] for r in records] == ["Listed Craft Club"] and problems == []


@pytest.mark.parametrize(
    ("path", "limits", "message"),
    [
        ("/big", FetchLimits(5, 1000, 10), "larger than the limit of 1,000 bytes"),
        ("/slow", FetchLimits(0.3, 10_000, 10), "Could not fetch"),
        ("/to-ftp", FetchLimits(5, 10_000, 10), "not an http or https address"),
        ("/missing", FetchLimits(5, 10_000, 10), "answered 404"),
    ],
)
def test_fetching_stops_with_a_reason(app_ctx: Any, url_import_on: None, feed: str, path: str, limits: FetchLimits,
                                      message: str) -> None:
    with pytest.raises(FetchRefused, match=message):
        fetch_records(feed + path, limits=limits)


def test_the_page_limit_stops_a_long_feed_and_says_so(app_ctx: Any, url_import_on: None, feed: str) -> None:
    records, problems = fetch_records(f"{feed}/services", limits=FetchLimits(5, 100_000, 1))
    assert len(records) == 2 and "stopped after 1 pages" in problems[0].reason


@pytest.mark.parametrize("address", ["ftp://127.0.0.1/feed.json", "file:///etc/passwd", "https://"])
def test_only_http_and_https_addresses_are_fetched(app_ctx: Any, cli_runner: Any, url_import_on: None, address: str) -> None:
    result = cli_runner.invoke(args=["oruk", "import", address])
    assert result.exit_code != 0 and "starts with http:// or https://" in result.output


def test_admin_imports_from_a_web_address(app_ctx: Any, client_request: ClientRequest, url_import_on: None, feed: str) -> None:
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.get("/admin/open-data/import")
    assert page.select("input[name='feed_url']")
    page = client_request.post("/admin/open-data/import", {"feed_url": "ftp://example.org/x", "feed_then": "queue",
                                                           "feed_submit": "y"}, expected_status=200)
    assert page.error_summary() == ["Enter a web address that starts with http:// or https://, like https://example.org/api/services"]
    assert page.title.startswith("Error: ") and _names() == []
    page = client_request.post("/admin/open-data/import", {"feed_url": f"{feed}/services", "feed_then": "queue",
                                                           "feed_submit": "y"}, expected_status=200)
    assert "Import finished: 3 created, 0 updated, 0 unchanged, 0 rejected" in page.text()
    statuses = set(db.session.scalars(db.select(Service.listing_status)))
    assert statuses == {ListingStatus.PENDING_REVIEW}
