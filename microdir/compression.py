"""Gzip for what the app sends itself: HTML, CSS, JavaScript and SVG, when the browser accepts gzip.

Why here and not in nginx: deploy/nginx proxies every path to the app (static files too), and the embedded setup
has no proxy at all, so compressing in the app covers both with one rule. nginx passes an encoded response on as is.
Measured (bench/http_load.py): a results page is ~63 KB of HTML and the stylesheet ~133 KB; gzipped, ~7 and ~16 KB.
Static files are compressed once per worker and kept (keyed by path and ETag); pages cost ~1 ms at level 6.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

# Pages and their assets. Not the JSON APIs: their clients (and the ORUK conformance test, through WSGI) may read the
# body as sent, and API pages are already small and paged.
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/plain", "text/javascript", "application/javascript",
                          "image/svg+xml"})
MIN_BYTES = 500  # below this gzip's header outweighs the saving
LEVEL = 6
_static: dict[tuple[str, str], bytes] = {}  # (path, ETag) -> gzipped body
STATIC_CACHE_ENTRIES = 256


def accepts_gzip(header: str) -> bool:
    """Return True when an Accept-Encoding header allows gzip (and does not refuse it with q=0)."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


def compress_response(response: Response) -> Response:
    """Gzip a complete 200 response of a compressible type when the request accepts it."""
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip(request.headers.get("Accept-Encoding", "")):
        return response
    if response.is_streamed and not response.direct_passthrough:
        return response  # a generator: leave it streaming
    etag, _weak = response.get_etag()  # the ETag stays: revalidation (304) of static files keeps working
    key = (request.path, etag) if response.direct_passthrough and etag else None
    body = _static.get(key) if key else None
    source = response.response  # a static file's wrapper, closed below once read or replaced
    if body is None:
        response.direct_passthrough = False  # a static file: read it so it can be compressed
        data = response.get_data()
        if source is not response.response and hasattr(source, "close"):
            source.close()
        if len(data) < MIN_BYTES:
            return response
        body = gzip.compress(data, LEVEL)
        if key:
            if len(_static) >= STATIC_CACHE_ENTRIES:
                _static.clear()
            _static[key] = body
    else:
        response.direct_passthrough = False
        if hasattr(source, "close"):
            source.close()
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress_response)
