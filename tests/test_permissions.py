"""Every route is guarded, and each role gets exactly what the matrix says."""

from __future__ import annotations

from typing import Any

import pytest

from microdir.models import Role
from microdir.permissions import access_of, can
from tests import factories
from tests.access import ALL_ROLES, Route, all_routes
from tests.pages import ClientRequest

ROUTES = all_routes()


def test_every_endpoint_has_a_guard(app: Any) -> None:
    unguarded = sorted(endpoint for endpoint, view in app.view_functions.items() if access_of(view) is None)
    assert unguarded == [], f"endpoints with neither @public nor @requires: {unguarded}"


def test_every_endpoint_is_in_the_role_matrix(app: Any) -> None:
    listed = {route.endpoint for route in ROUTES}
    missing = sorted(set(app.view_functions) - listed)
    assert missing == [], f"endpoints missing from a routes_access.py matrix: {missing}"


def test_the_structural_check_notices_an_unguarded_view(app: Any) -> None:
    def naked() -> str:
        return "no guard"

    assert access_of(naked) is None


def _sign_in_as(client_request: ClientRequest, role: Role | None) -> dict[str, Any]:
    objects: dict[str, Any] = {}
    if role is not None:
        user = factories.create_user(role)
        client_request.sign_in(user)
        objects["user"] = user
    return objects


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r.value if r else "anonymous")
def test_role_route_matrix(app_ctx: Any, client_request: ClientRequest, role: Role | None) -> None:
    objects = _sign_in_as(client_request, role)
    app = app_ctx
    for maker in app.extensions.get("microdir.test_object_makers", []):
        objects.update(maker(objects))
    failures = []
    for route in ROUTES:
        url = route.url_for(objects)
        if route.method == "GET":
            response = client_request.client.get(url)
        else:
            # Any page with a POST form puts a CSRF token in the session; /sign-in redirects once signed in.
            page = client_request.client.get("/sign-in" if role is None else "/sign-out")
            from tests.pages import Page

            token = Page(page).form_data().get("csrf_token", "")
            response = client_request.client.post(url, data={"csrf_token": token, **route.data})
        allowed = role in route.allowed
        status = response.status_code
        response.close()
        if allowed and status not in route.ok_statuses:
            failures.append(f"{route.endpoint} {url}: {role} should be allowed, got {status}")
        if not allowed:
            denied = status in (401, 403) or (
                status == 302 and "/sign-in" in response.headers.get("Location", "") and role is None
            )
            if not denied:
                failures.append(f"{route.endpoint} {url}: {role} should be refused, got {status}")
    assert failures == []


def test_can_refuses_providers_outside_their_organisation(app_ctx: Any) -> None:
    mine = factories.create_organization()
    theirs = factories.create_organization()
    provider = factories.create_user(Role.PROVIDER, organizations=[mine])
    moderator = factories.create_user(Role.MODERATOR)
    assert can(provider, "listing.manage", mine)
    assert not can(provider, "listing.manage", theirs)
    assert can(moderator, "listing.manage", theirs)
    assert not can(None, "listing.manage", mine)


def test_unknown_capabilities_are_an_error(app_ctx: Any) -> None:
    with pytest.raises(KeyError):
        can(None, "no.such.capability")


def test_routes_in_matrix_are_real(app: Any) -> None:
    unknown = sorted({r.endpoint for r in ROUTES} - set(app.view_functions))
    assert unknown == [], f"matrix lists endpoints the app does not have: {unknown}"


def _route_ids() -> list[str]:
    return [f"{r.method} {r.endpoint}" for r in ROUTES]


assert all(isinstance(r, Route) for r in ROUTES)
