"""A test client that checks every page the way a careful person would: status, title, ids, forms."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup
from flask import Flask, has_app_context
from flask.testing import FlaskClient


class Page:
    def __init__(self, response: Any) -> None:
        self.response = response
        self.status = response.status_code
        self.soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        response.close()

    @property
    def title(self) -> str:
        return self.soup.title.get_text(strip=True) if self.soup.title else ""

    @property
    def h1(self) -> str:
        heading = self.soup.find("h1")
        return heading.get_text(" ", strip=True) if heading else ""

    def text(self) -> str:
        return re.sub(r"\s+", " ", self.soup.get_text(" ", strip=True))

    def error_summary(self) -> list[str]:
        summary = self.soup.select(".govuk-error-summary__list a")
        return [a.get_text(" ", strip=True) for a in summary]

    def select(self, css: str) -> list[Any]:
        return self.soup.select(css)

    def form_data(self, css: str = "form[method=post]") -> dict[str, str]:
        """Return the hidden fields of a form, the CSRF token among them."""
        form = self.soup.select_one(css)
        assert form is not None, f"no form matches {css}"
        return {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]") if i.get("name")}


def check_page(page: Page) -> None:
    """Assert what every HTML page must get right."""
    ctype = page.response.headers.get("Content-Type", "")
    if "text/html" not in ctype or page.status in (301, 302, 303):
        return
    assert page.title, "page has no <title>"
    assert page.title.endswith("microdir"), f"title {page.title!r} does not end with the service name"
    ids = [el["id"] for el in page.soup.select("[id]")]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate ids: {duplicates}"
    for form in page.soup.select("form"):
        method = (form.get("method") or "get").lower()
        assert form.get("action"), f"form without an action: {str(form)[:120]}"
        if method == "post":
            assert form.select_one("input[name=csrf_token]"), f"POST form without a CSRF token: {form.get('action')}"
    if page.soup.select(".govuk-error-summary"):
        assert page.title.startswith("Error: "), "a page with errors must say so in its title"


class ClientRequest:
    """Wraps the Flask test client: fetches, posts with the page's CSRF token, signs in, checks pages."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()

    def get(self, url: str, expected_status: int = 200, **kwargs: Any) -> Page:
        page = Page(self.client.get(url, **kwargs))
        assert page.status == expected_status, f"GET {url}: {page.status}, expected {expected_status}"
        check_page(page)
        return page

    def post(
        self, url: str, data: dict[str, Any] | None = None, expected_status: int = 302, form_url: str | None = None,
        **kwargs: Any,
    ) -> Page:
        """POST like a browser: first load the form page to get its CSRF token."""
        form_page = Page(self.client.get(form_url or url))
        payload = {**form_page.form_data(), **(data or {})} if form_page.soup.select_one("form[method=post]") else dict(data or {})
        page = Page(self.client.post(url, data=payload, **kwargs))
        assert page.status == expected_status, f"POST {url}: {page.status}, expected {expected_status}\n{page.text()[:800]}"
        check_page(page)
        return page

    def sign_in(self, user: Any, password: str = "correct horse battery staple", next: str | None = None) -> Page:
        """Sign in through the forms, giving the two-factor code too when the person has it, and setting it up
        when their role needs it and they have none yet (an invited person's first sign-in). Return the last
        response: its redirect goes where the person lands (after setting up: the recovery codes page)."""
        url = "/sign-in" + (f"?next={quote(next, safe='')}" if next else "")
        page = self.post(url, {"email": user.email, "password": password}, expected_status=302)
        location = page.response.headers["Location"]
        if location.endswith("/sign-in/code"):
            from tests.factories import totp_code

            if has_app_context():  # the test's own session, so what it holds stays current
                code = totp_code(user)
            else:
                with self.app.app_context():
                    code = totp_code(user)
            page = self.post("/sign-in/code", {"code": code}, expected_status=302)
        elif location.startswith("/account/two-factor/set-up"):
            page = self.set_up_two_factor(location)
        return page

    def set_up_two_factor(self, url: str = "/account/two-factor/set-up") -> Page:
        """Set up two-factor sign-in as a signed-in person would, with the key shown; return the recovery codes page."""
        import pyotp

        setup = self.get(url)
        key = setup.soup.select_one("#manual-key")
        assert key is not None, "the set-up page shows no key"
        code = pyotp.TOTP(key.get_text().replace(" ", "")).now()
        return self.post(url, {"code": code}, expected_status=200)

    def sign_out(self) -> None:
        self.post("/sign-out", expected_status=302)
