"""Two people save the same published listing at the same instant: one save goes through, the other is told of
the conflict (never both 302 with one change silently lost). Real threads, real database (issue 13, item 9)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from microdir.domain import revisions as pending_changes
from microdir.extensions import db
from microdir.models import ListingRevision, Role
from tests import factories
from tests.pages import ClientRequest, Page
from tests.providers.test_edit_sections import filled_form, page_action


def test_two_saves_of_one_listing_at_the_same_instant_never_lose_one_silently(
    app: Flask, app_ctx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    colleague = factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    db.session.commit()
    service_id = service.id
    people = []
    for user, name in ((provider, "Tuesday Tea and Chat"), (colleague, "Tuesday Tea Morning")):
        person = ClientRequest(app)
        person.sign_in(user)
        page = person.get(f"/provider/services/{service_id}/edit/about")  # both open the form
        people.append((person, page, name))
    db.session.remove()  # the main thread holds no connection while the two requests race

    # Both requests get past their version check before either writes, unless the check holds the row: then
    # the second waits for the first (and this rendezvous times out).
    rendezvous = threading.Barrier(2, timeout=2)
    original = pending_changes.submit_revision

    def submit_together(*args: Any, **kwargs: Any) -> Any:
        try:
            rendezvous.wait()
        except threading.BrokenBarrierError:
            pass
        return original(*args, **kwargs)

    monkeypatch.setattr(pending_changes, "submit_revision", submit_together)
    statuses: list[int] = []

    def save(person: ClientRequest, page: Page, name: str) -> None:
        response = person.client.post(page_action(page), data={**filled_form(page), "name": name})
        statuses.append(response.status_code)
        response.close()

    threads = [threading.Thread(target=save, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [302, 409]  # one saved; the other was told, and keeps what they typed
    with app.app_context():
        revisions = list(db.session.scalars(db.select(ListingRevision).where(ListingRevision.service_id == service_id)))
        assert len([r for r in revisions if r.status.value == "pending"]) == 1
        assert not [r for r in revisions if r.status.value == "superseded"]
        db.session.remove()
