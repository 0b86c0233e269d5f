"""Pages, CSS and JavaScript go out gzipped when the browser accepts it (issue 17: 62 KB pages went out plain);
the JSON APIs, streamed downloads, small bodies, ranges and revalidations go out as they were."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from flask import current_app

from tests import factories

CSS = "/static/build/microdir.css"


def test_results_page_is_sent_gzipped_and_reads_the_same(app_ctx: Any, client: Any) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat every week.")
    plain = client.get("/search?q=lunch")
    packed = client.get("/search?q=lunch", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"].replace(
        _nonce(plain), _nonce(packed))
    html = gzip.decompress(packed.data).decode()
    assert "Smethwick Lunch Club" in html
    assert len(packed.data) < len(plain.data) / 3


def _nonce(response: Any) -> str:
    policy = response.headers["Content-Security-Policy"]
    return policy.split("'nonce-", 1)[1].split("'", 1)[0] if "'nonce-" in policy else ""


def test_stylesheet_and_scripts_are_sent_gzipped(app_ctx: Any, client: Any) -> None:
    for path in (CSS, "/static/js/shortlist.js"):
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        again = client.get(path, headers={"Accept-Encoding": "gzip"})  # from the worker's cache of compressed files
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.data) == plain.data == gzip.decompress(again.data)
        assert int(packed.headers["Content-Length"]) == len(packed.data)
        plain.close(), packed.close(), again.close()


def test_a_static_file_is_compressed_once_per_file_version(app_ctx: Any, client: Any, monkeypatch: Any) -> None:
    compressed: list[int] = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda data, *args, **kwargs: compressed.append(len(data)) or real(
        data, *args, **kwargs))
    path = "/static/js/shortlist.js?cache-test"  # the query string does not make it another file
    for _ in range(3):
        client.get(path, headers={"Accept-Encoding": "gzip"}).close()
    assert len(compressed) <= 1  # once, or not at all when an earlier test in this worker cached it


@pytest.mark.parametrize(("accept", "expected"), [
    ("gzip, br", "gzip"), ("*", "gzip"), ("br;q=1, gzip;q=0.5", "gzip"), ("gzip;q=0", None), ("identity", None),
    ("", None), ("br", None),
])
def test_gzip_is_used_only_when_the_browser_accepts_it(app_ctx: Any, client: Any, accept: str,
                                                      expected: str | None) -> None:
    response = client.get("/", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == expected
    body = gzip.decompress(response.data) if expected else response.data
    assert b"</html>" in body


def test_a_revalidated_static_file_is_not_sent_again(app_ctx: Any, client: Any) -> None:
    for accept in ("gzip", ""):
        first = client.get(CSS, headers={"Accept-Encoding": accept})
        again = client.get(CSS, headers={"Accept-Encoding": accept, "If-None-Match": first.headers["ETag"]})
        assert (first.status_code, again.status_code, again.data) == (200, 304, b""), accept
        first.close(), again.close()


def test_a_range_of_a_static_file_is_sent_as_is(app_ctx: Any, client: Any) -> None:
    whole = client.get(CSS)
    part = client.get(CSS, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    # Compressing a range would label a slice of the plain file as gzip: the browser could not read it.
    assert part.status_code == 206 and "Content-Encoding" not in part.headers
    assert part.data == whole.data[:100]
    whole.close(), part.close()


def test_json_apis_streamed_downloads_and_small_bodies_are_sent_as_they_are(app_ctx: Any, client: Any) -> None:
    for n in range(30):
        factories.create_service(name=f"Open Data Lunch Club {n}", description="A hot lunch and a chat. " * 20)
    gzip_please = {"Accept-Encoding": "gzip"}
    api = client.get("/api/oruk/services?per_page=30", headers=gzip_please)
    assert len(api.data) > 5000 and "Content-Encoding" not in api.headers  # clients may read the body as sent
    assert json.loads(api.data)["total_items"] == 30
    lines = client.get("/api/oruk/services?format=ndjson", headers=gzip_please)
    assert lines.is_streamed and "Content-Encoding" not in lines.headers
    assert len(lines.get_data().splitlines()) == 30
    small = client.get("/static/images/favicon.svg", headers=gzip_please)
    assert len(small.data) < current_app.config["COMPRESS_MIN_SIZE"] and "Content-Encoding" not in small.headers
    small.close()
