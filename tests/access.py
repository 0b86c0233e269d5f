"""The role x route matrix, shared by every area's tests.

Each area lists its routes in a module named ``routes_access.py`` (in its test folder) as ``ROUTES``:
a list of ``Route``. ``tests/test_permissions.py`` checks every route for every role, and fails when an
endpoint in the app is missing from all the lists or has no ``@public``/``@requires`` guard.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from microdir.models import Role

ANONYMOUS = None
ALL_ROLES: tuple[Role | None, ...] = (ANONYMOUS, *Role)
SIGNED_IN = frozenset(Role)
EVERYONE = frozenset(ALL_ROLES)


@dataclass(frozen=True)
class Route:
    """One route and who may use it. ``url`` may be a callable taking the test's ``objects`` dict."""

    endpoint: str
    url: str | Callable[[dict[str, Any]], str]
    allowed: frozenset[Role | None]
    method: str = "GET"
    data: dict[str, Any] = field(default_factory=dict)
    # Status codes that count as "allowed" (a POST may redirect, a bad-input POST may give 400).
    ok_statuses: frozenset[int] = frozenset({200, 302, 303})
    # Some routes legitimately answer 404 to the allowed roles in the matrix set-up (e.g. unknown token).
    note: str = ""

    def url_for(self, objects: dict[str, Any]) -> str:
        return self.url(objects) if callable(self.url) else self.url


def all_routes() -> list[Route]:
    """Collect ROUTES from every routes_access.py under tests/."""
    routes: list[Route] = []
    root = Path(__file__).parent
    for path in sorted(root.rglob("routes_access.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        routes.extend(importlib.import_module(module).ROUTES)
    return routes
