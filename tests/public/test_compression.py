"""Pages, CSS and JavaScript go out gzipped when the browser accepts it (issue 17: 62 KB pages went out plain)."""

from __future__ import annotations

import gzip
from typing import Any

from microdir.compression import accepts_gzip
from tests import factories


def test_results_page_is_sent_gzipped_and_reads_the_same(app_ctx: Any, client: Any) -> None:
    factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat every week.")
    plain = client.get("/search?q=lunch")
    packed = client.get("/search?q=lunch", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    html = gzip.decompress(packed.data).decode()
    assert "Smethwick Lunch Club" in html
    assert len(packed.data) < len(plain.data) / 3


def test_stylesheet_and_scripts_are_sent_gzipped(app_ctx: Any, client: Any) -> None:
    for path in ("/static/build/microdir.css", "/static/js/shortlist.js"):
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        again = client.get(path, headers={"Accept-Encoding": "gzip"})  # from the worker's cache of compressed files
        assert packed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(packed.data) == plain.data == gzip.decompress(again.data)
        plain.close(), packed.close(), again.close()


def test_gzip_refused_with_q0_is_not_used() -> None:
    assert accepts_gzip("gzip, br") and accepts_gzip("*") and accepts_gzip("br;q=1, gzip;q=0.5")
    assert not accepts_gzip("gzip;q=0") and not accepts_gzip("identity") and not accepts_gzip("")
