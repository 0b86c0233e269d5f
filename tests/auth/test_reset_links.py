"""Issue 13 item 1: a reset link never takes its host from the request (Host, X-Forwarded-Host)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from microdir.models import Role
from tests import factories
from tests.pages import Page


def _reset_link(smtpd: Any, email: str) -> str:
    (message,) = smtpd.to(email)
    match = re.search(r"\S+/reset-password/\S+", smtpd.body(message))
    assert match, smtpd.body(message)
    return match.group(0)


def _forgot_password(app: Flask, email: str, **kwargs: Any) -> None:
    """Ask for a reset link, fetching the form with the same host and headers as the post."""
    client = app.test_client()
    form = Page(client.get("/forgot-password", **kwargs)).form_data()
    response = client.post("/forgot-password", data={**form, "email": email}, **kwargs)
    assert response.status_code == 200
    response.close()


def test_production_refuses_to_start_without_public_url(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        make_app(CONFIG="production", PUBLIC_URL=None)


def test_a_malformed_public_url_stops_start_up(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        make_app(PUBLIC_URL="directory.example.org")


def test_reset_link_ignores_forwarded_host_in_production(app_ctx: Any, make_app: Callable[..., Flask],
                                                         smtpd: Any) -> None:
    user = factories.create_user(Role.ADMIN)
    prod = make_app(CONFIG="production", PROXY_FIX=True, PUBLIC_URL="https://directory.example.org/")
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
               "Referer": "https://evil.example/forgot-password"}
    _forgot_password(prod, user.email, headers=headers, base_url="https://evil.example")
    link = _reset_link(smtpd, user.email)
    assert link.startswith("https://directory.example.org/reset-password/")


def test_reset_link_ignores_forwarded_host(app_ctx: Any, make_app: Callable[..., Flask], smtpd: Any) -> None:
    """Development behind a proxy, no PUBLIC_URL: X-Forwarded-Host is not trusted unless PROXY_FIX_HOST is on."""
    user = factories.create_user(Role.MODERATOR)
    dev = make_app(PROXY_FIX=True, PUBLIC_URL=None)
    _forgot_password(dev, user.email, headers={"X-Forwarded-Host": "evil.example"})
    link = _reset_link(smtpd, user.email)
    assert "evil.example" not in link
    assert link.startswith("http://localhost/reset-password/")


def test_reset_link_ignores_a_host_header_off_the_allow_list(app_ctx: Any, app: Flask, smtpd: Any) -> None:
    user = factories.create_user(Role.LINK_WORKER)
    assert not app.config.get("PUBLIC_URL")
    _forgot_password(app, user.email, base_url="http://evil.example")
    link = _reset_link(smtpd, user.email)
    assert "evil.example" not in link
    assert link.startswith("http://localhost:5000/reset-password/")


def test_reset_link_uses_an_allowed_development_host(app_ctx: Any, app: Flask, smtpd: Any) -> None:
    user = factories.create_user(Role.COMMISSIONER)
    _forgot_password(app, user.email, base_url="http://127.0.0.1:8123")
    assert _reset_link(smtpd, user.email).startswith("http://127.0.0.1:8123/reset-password/")


def test_proxy_fix_trusts_forwarded_proto_and_address(app_ctx: Any, make_app: Callable[..., Flask]) -> None:
    prod = make_app(CONFIG="production", PROXY_FIX=True, PUBLIC_URL="https://directory.example.org")
    response = prod.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https",
                                                            "X-Forwarded-For": "203.0.113.9"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")  # the request counted as HTTPS
    response.close()


def test_proxy_fix_host_can_be_turned_on(app_ctx: Any, make_app: Callable[..., Flask], smtpd: Any) -> None:
    user = factories.create_user(Role.ADMIN)
    dev = make_app(PROXY_FIX=True, PROXY_FIX_HOST=True, PUBLIC_URL=None, LINK_HOSTS_ALLOWED=["directory.internal"])
    _forgot_password(dev, user.email, headers={"X-Forwarded-Host": "directory.internal"})
    assert _reset_link(smtpd, user.email).startswith("http://directory.internal/reset-password/")
