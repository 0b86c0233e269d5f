"""Jinja set-up: our templates first, then the GOV.UK Frontend macros; globals every page needs."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, g, request, url_for
from flask_login import current_user
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup

from .models import Role
from .wording import in_sentence, plain_number


def navigation_items() -> list[dict[str, Any]]:
    """Return the service navigation links for whoever is signed in."""
    from .database import database_unavailable
    from .shortlist import count as shortlist_count

    if database_unavailable():  # who is signed in is in the database: do not ask it again
        return [{"text": "Find services", "href": url_for("public.home"), "active": False}]
    items: list[tuple[str, str]] = [("Find services", "public.home"),
                                    (f"Your shortlist ({shortlist_count()})", "resident.shortlist_page")]
    if current_user.is_authenticated:
        role = current_user.role
        if role is Role.PROVIDER:
            items.append(("Your listings", "providers.listings"))
            items.append(("Referrals", "inbox.index"))
        if role is Role.LINK_WORKER:
            items.append(("Your caseload", "referrals.caseload"))
        if role in (Role.MODERATOR, Role.ADMIN):
            items.append(("Moderation", "moderation.queue"))
        if role in (Role.COMMISSIONER, Role.ADMIN):
            items.append(("Insight", "insights.overview"))
        if role is Role.ADMIN:
            items.append(("Admin", "admin.home"))
            items.append(("Accounts", "admin.users"))
            items.append(("Referrals", "referral_admin.find"))
            items.append(("Open data", "oruk_admin.conformance"))
        items.append(("Your account", "account.home"))
        items.append(("Sign out", "auth.sign_out"))
    else:
        items.append(("Sign in", "auth.sign_in"))
    counts: dict[str, int] = {}
    if current_user.is_authenticated:
        from .landing import waiting_counts

        counts = waiting_counts(current_user)
    seen: set[str] = set()
    result = []
    for text, endpoint in items:
        if text in seen:
            continue
        seen.add(text)
        try:
            href = url_for(endpoint)
        except Exception:  # a blueprint from a later feature is not installed: leave the link out
            continue
        item: dict[str, Any] = {"text": text, "href": href, "active": request.endpoint == endpoint}
        waiting = counts.get(endpoint, 0)
        if waiting:
            # The number is read out with its meaning ("3 waiting"), not as a bare digit.
            item.pop("text")
            item["html"] = Markup('{} <strong class="app-nav-count">{}<span class="govuk-visually-hidden"> '
                                  'waiting</span></strong>').format(text, waiting)
        result.append(item)
    return result


def url_for_safe(endpoint: str, **values: Any) -> str | None:
    """Return the URL of ``endpoint``, or None when that feature is not installed."""
    try:
        return url_for(endpoint, **values)
    except Exception:
        return None


# GOV.UK Frontend macros whose output the layout reuses, by name -> component folder.
GOVUK_MACROS = {
    "govukSkipLink": "skip-link",
    "govukPhaseBanner": "phase-banner",
    "govukServiceNavigation": "service-navigation",
}
MEMO_ENTRIES = 256


def _params_key(params: Any) -> str:
    """Return a key that tells apart every params value a macro could render differently (Markup is not text)."""
    def kind(value: Any) -> Any:
        if isinstance(value, Markup):
            return {"__markup__": str(value)}
        raise TypeError(f"cannot key {type(value).__name__}")  # a value we cannot key is never guessed at

    return json.dumps(params, sort_keys=True, default=kind)


class MacroMemo:
    """The output of GOV.UK macros, kept by their params: each is a pure function of them (no data, no request).

    The layout calls the same few with the same params on every page (skip link, phase banner, the navigation of an
    anonymous visitor), and each call re-imported its helper macros and rebuilt its attributes: ~2 ms a page.
    The macros are imported once, here, instead of per render.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._macros: dict[str, Any] = {}
        self._out: OrderedDict[tuple[str, str], Markup] = OrderedDict()
        self._lock = threading.Lock()

    def macro(self, name: str) -> Any:
        found = self._macros.get(name)
        if found is None:
            path = f"govuk_frontend_jinja/components/{GOVUK_MACROS[name]}/macro.html"
            found = self._macros[name] = getattr(self.app.jinja_env.get_template(path).module, name)
        return found

    def __call__(self, name: str, params: dict[str, Any]) -> Markup:
        key = (name, _params_key(params))
        with self._lock:
            out = self._out.get(key)
            if out is not None:
                self._out.move_to_end(key)
                return out
        out = Markup(self.macro(name)(params))
        with self._lock:
            self._out[key] = out
            while len(self._out) > MEMO_ENTRIES:
                self._out.popitem(last=False)
        return out


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.template_folder),  # type: ignore[arg-type]
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.add_template_filter(plain_number, "plain_number")
    app.add_template_filter(in_sentence, "in_sentence")
    app.add_template_global(MacroMemo(app), "govuk_memo")

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "service_name": app.config["SERVICE_NAME"],
            "place_name": app.config["PLACE_NAME"],
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "navigation_items": navigation_items,
            "url_for_safe": url_for_safe,
        }
