"""Input the audit found gave 500s: each now gets a clear 400 or 409 (issue 13, item 14)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, text

from microdir.extensions import db
from microdir.models import RevisionStatus, Role
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import pending_change

EXTREME_DATES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "0001-01-01", "9999-12-31T23:59:59Z"]


@pytest.mark.parametrize("path", ["/api/oruk/services", "/api/oruk/service_at_locations"])
@pytest.mark.parametrize("when", EXTREME_DATES)
def test_extreme_modified_after_dates_get_a_400_or_an_answer_never_a_500(app_ctx: Any, client: Any, path: str,
                                                                        when: str) -> None:
    factories.create_service(name="Lunch Club")
    db.session.commit()
    response = client.get(path, query_string={"modified_after": when})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert "modified_after must be a date-time" in response.get_json()["message"]


def test_a_date_beyond_what_a_datetime_holds_is_a_400_that_says_so(app_ctx: Any, client: Any) -> None:
    response = client.get("/api/oruk/services", query_string={"modified_after": "9999-12-31T23:59:59-23:59"})
    assert response.status_code == 400
    assert response.get_json()["message"] == "modified_after must be a date-time between 0001-01-02 and 9999-12-30"


def test_a_nul_character_in_a_search_is_a_clear_400(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/search?q=lunch%00club", expected_status=400)
    assert "null character" in page.text()


def test_a_nul_character_in_a_problem_report_is_a_clear_400(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Lunch Club")
    db.session.commit()
    page = client_request.post(f"/services/{service.id}/report", {"reasons": ["other"], "details": "closed\x00now"},
                               expected_status=400)
    assert "null character" in page.text()


def test_a_nul_character_in_a_sign_in_email_is_a_clear_400(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.post("/sign-in", {"email": "a\x00@example.com", "password": "whatever it is"},
                               expected_status=400)
    assert "null character" in page.text()


def test_a_next_address_with_cr_lf_is_not_followed(app_ctx: Any, client_request: ClientRequest) -> None:
    user = factories.create_user(Role.MODERATOR)
    db.session.commit()
    client_request.get("/sign-in?next=/%0D%0Ax")
    page = client_request.post("/sign-in?next=/%0D%0Ax", {"email": user.email,
                                                          "password": "correct horse battery staple"},
                               form_url="/sign-in")
    assert "\r" not in page.response.headers["Location"] and "\n" not in page.response.headers["Location"]


def test_two_approvals_of_one_revision_at_the_same_instant_give_the_second_a_409(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    db.session.commit()
    revision = pending_change(service, provider, name="Tuesday Tea and Chat")
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    form = client_request.get(f"/moderation/revisions/{revision.id}").form_data("form[action$='/approve']")

    def the_other_approval_commits_first(session: Any, context: Any, instances: Any) -> None:
        # The other moderator's approval lands between this request's checks and its write (another connection).
        with db.engine.begin() as other:
            other.execute(text("UPDATE service SET version = version + 1 WHERE id = :id"), {"id": service.id})

    event.listen(db.session, "before_flush", the_other_approval_commits_first, once=True)
    try:
        response = client_request.client.post(f"/moderation/revisions/{revision.id}/approve", data=form)
    finally:
        if event.contains(db.session, "before_flush", the_other_approval_commits_first):
            event.remove(db.session, "before_flush", the_other_approval_commits_first)
    assert response.status_code == 409
    assert "Someone else changed this at the same time" in response.get_data(as_text=True)
    db.session.expire_all()
    assert revision.status is RevisionStatus.PENDING  # nothing of the second approval was saved


# ---- fuzzing the open-data API with what schemathesis rarely generates: NUL, CR/LF and extreme dates -------------

NASTY = ["\x00", "a\x00b", "\r\n", "/%0D%0Ax", "x\r\nSet-Cookie: a=b", *EXTREME_DATES, "-1", "9" * 40]


def _query_parameters(client: Any) -> list[tuple[str, str]]:
    document = json.loads(client.get("/api/oruk/openapi.json").get_data(as_text=True))
    shared = document.get("components", {}).get("parameters", {})
    found = []
    for path, operations in document["paths"].items():
        if "{" in path:
            continue
        for parameter in operations.get("get", {}).get("parameters", []):
            if "$ref" in parameter:
                parameter = shared[parameter["$ref"].rsplit("/", 1)[-1]]
            if parameter.get("in") == "query":
                found.append(("/api/oruk" + path, parameter["name"]))
    return found


def test_every_api_query_parameter_answers_nasty_values_with_200_or_400(app_ctx: Any, client: Any) -> None:
    factories.create_service(name="Lunch Club")
    db.session.commit()
    parameters = _query_parameters(client)
    assert ("/api/oruk/services", "modified_after") in parameters
    for path, name in parameters:
        for value in NASTY:
            response = client.get(path, query_string={name: value})
            assert response.status_code in (200, 400), (path, name, value, response.status_code)
            assert response.is_json, (path, name, value)
