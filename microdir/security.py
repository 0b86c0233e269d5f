"""Security headers and cookies, set in the app so tests can assert them."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS, whatever the config says."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def content_security_policy(nonce: str) -> str:
    """Return the CSP: our own origin only, scripts by nonce, and never 'unsafe-inline'."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if app.config.get("PROXY_FIX"):
        # Trust the client address and scheme the proxy adds. The host only when configured: a proxy that passes a
        # client's X-Forwarded-Host through would let anyone choose the host of every link we build.
        x_host = 1 if app.config.get("PROXY_FIX_HOST") else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=x_host)  # type: ignore[method-assign]

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce", "none")))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint not in ("static", "govuk_assets") and "Cache-Control" not in response.headers:
            # Pages may show personal data; never let shared caches keep them.
            response.headers["Cache-Control"] = "no-store"
        return response
