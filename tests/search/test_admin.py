"""The moderators' synonyms pages: list, add, change, delete; audited; new synonyms work without a rebuild."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from microdir.extensions import db
from microdir.models import AuditEvent, Role, Synonym
from microdir.search import SearchRequest, search_services
from tests import factories
from tests.pages import ClientRequest


@pytest.fixture
def moderator(ctx: Any, client_request: ClientRequest) -> ClientRequest:
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    return client_request


def test_list_shows_the_starter_synonyms(moderator: ClientRequest) -> None:
    page = moderator.get("/moderation/synonyms")
    assert page.h1 == "Search synonyms"
    assert "someone to talk to" in page.text() and "befriending, companionship" in page.text()


def test_a_synonym_added_on_the_page_works_at_once(moderator: ClientRequest) -> None:
    service = factories.create_service(name="Tea and Talk", description="A natter over a cuppa.")
    assert search_services(SearchRequest(text="chinwag")).total == 0
    page = moderator.post("/moderation/synonyms/new", {"term": "  Chinwag ", "expansions": "natter, chat"})
    assert page.response.headers["Location"].endswith("/moderation/synonyms")
    assert [h.service_id for h in search_services(SearchRequest(text="chinwag")).hits] == [service.id]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "synonym.add")).one()
    assert event.detail == {"term": "chinwag", "expansions": "natter, chat"}
    assert "Synonym for ‘chinwag’ added" in moderator.get("/moderation/synonyms").text()


def test_bad_input_shows_errors_and_changes_nothing(moderator: ClientRequest) -> None:
    before = db.session.scalar(select(db.func.count()).select_from(Synonym))
    page = moderator.post("/moderation/synonyms/new", {"term": "", "expansions": " , "}, expected_status=200)
    assert page.error_summary() == ["Enter the word or phrase people search for",
                                    "Enter at least one word or phrase to also search for"]
    page = moderator.post("/moderation/synonyms/new", {"term": "Lonely", "expansions": "x"}, expected_status=200)
    assert page.error_summary() == ["There is already a synonym for ‘lonely’: change that one instead"]
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(Synonym)) == before


def test_change_and_delete(moderator: ClientRequest) -> None:
    factories.create_service(name="Ride Club", description="Community transport and a cuppa.")
    synonym = db.session.scalar(select(Synonym).where(Synonym.term == "lift"))
    moderator.post(f"/moderation/synonyms/{synonym.id}/edit", {"term": "lift", "expansions": "gardening"})
    assert search_services(SearchRequest(text="lift")).total == 0
    moderator.post(f"/moderation/synonyms/{synonym.id}/edit", {"term": "lift", "expansions": "transport"})
    assert search_services(SearchRequest(text="lift")).total == 1
    page = moderator.get(f"/moderation/synonyms/{synonym.id}/delete")
    assert page.h1 == "Delete the synonym for ‘lift’?"
    moderator.post(f"/moderation/synonyms/{synonym.id}/delete", {})
    db.session.expire_all()
    assert db.session.get(Synonym, synonym.id) is None
    assert search_services(SearchRequest(text="lift")).total == 0
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["synonym.edit", "synonym.edit", "synonym.delete"]
    moderator.get(f"/moderation/synonyms/{synonym.id}/edit", expected_status=404)


def test_a_post_without_csrf_token_is_refused(moderator: ClientRequest) -> None:
    response = moderator.client.post("/moderation/synonyms/new", data={"term": "x", "expansions": "y"})
    assert response.status_code == 400
    assert db.session.scalar(select(Synonym).where(Synonym.term == "x")) is None


@pytest.mark.parametrize("role", [None, Role.PROVIDER, Role.LINK_WORKER, Role.COMMISSIONER])
def test_only_moderators_and_admins_may_edit(ctx: Any, client_request: ClientRequest, role: Role | None) -> None:
    if role is not None:
        client_request.sign_in(factories.create_user(role))
    response = client_request.client.get("/moderation/synonyms")
    assert response.status_code == (302 if role is None else 403)
