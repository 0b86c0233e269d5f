"""Conformance is tested, not claimed: the ORUK validator's steps, schemathesis, and the admin page."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from microdir.models import Role
from microdir.oruk.selftest import run_on_app
from tests import factories
from tests.pages import ClientRequest


def _directory(count: int) -> list[Any]:
    org = factories.create_organization()
    return [factories.create_service(org if n % 2 else None, name=f"Listing {n:03d}") for n in range(count)]


def test_self_test_checks_first_middle_and_last_pages_and_random_ids(app_ctx: Any) -> None:
    _directory(120)  # 3 pages of /services at the default 50 a page
    result = run_on_app(app_ctx)
    assert [f"{s.path}: {s.problems}" for s in result.failures] == []
    assert result.is_valid and result.warnings == []
    paths = [s.path for s in result.steps]
    assert {"/services?page=1", "/services?page=2", "/services?page=3"} <= set(paths)
    assert len([p for p in paths if p.startswith("/services/")]) == 10
    for endpoint in ("/service_at_locations/", "/taxonomies/", "/taxonomy_terms/", "/organizations/"):
        assert any(p.startswith(endpoint) for p in paths), endpoint


def test_self_test_catches_a_broken_feed(app_ctx: Any) -> None:
    from microdir.oruk.validate import run_self_test

    def fetch(path: str) -> tuple[int, Any]:
        if path == "/":
            return 200, {"version": "HSDS 3.0", "profile": "not a uri", "openapi_url": "x"}
        return 200, {"contents": [{"id": "not-a-uuid", "name": "x"}], "total_pages": 1}

    result = run_self_test(fetch, rng=random.Random(1))
    assert not result.is_valid
    problems = " ".join(p for s in result.failures for p in s.problems)
    assert "'status' is a required property" in problems and "is not a 'uuid'" in problems
    assert "not 'HSDS-UK-3.0'" in problems


def test_admin_conformance_page_runs_the_self_test_on_live_data(app_ctx: Any, client_request: ClientRequest) -> None:
    _directory(3)
    client_request.sign_in(factories.create_user(Role.ADMIN))
    page = client_request.get("/admin/open-data")
    assert page.h1 == "Open data conformance"
    assert "Every required endpoint passed." in page.text()
    rows = page.select("table.govuk-table tbody tr")
    assert len(rows) > 10
    first = [cell.get_text(strip=True) for cell in rows[0].select("th, td")]
    assert first[:4] == ["/", "Required", "200", "Pass"]
    assert not [r for r in rows if "Fail" in r.get_text()]


def test_admin_conformance_page_is_for_admins_only(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    client_request.get("/admin/open-data", expected_status=403)


# ---- schemathesis against the served OpenAPI document, in-process -------------------------------------------


@pytest.fixture
def oruk_schema(app: Any) -> Any:
    with app.app_context():
        _directory(3)
    return schemathesis.openapi.from_wsgi("/api/oruk/openapi.json", app)


schema = schemathesis.pytest.from_fixture("oruk_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case: Any) -> None:
    # The app gzips JSON for clients that ask; schemathesis' WSGI transport asks but does not unzip.
    case.call_and_validate(headers={"Accept-Encoding": "identity"})


def test_the_document_says_a_null_character_in_free_text_is_refused(app_ctx: Any, client: Any) -> None:
    # Schemathesis generated `search=/\x00…`: schema-valid as the document stood, yet refused with a 400.
    document = client.get("/api/oruk/openapi.json").get_json()
    search = next(p for p in document["paths"]["/taxonomies"]["get"]["parameters"] if p["name"] == "search")
    pattern = re.compile(search["schema"]["pattern"])
    assert pattern.fullmatch("dementia café") and not pattern.fullmatch("a\x00b")
    assert client.get("/api/oruk/taxonomies", query_string={"search": "a\x00b"}).status_code == 400
