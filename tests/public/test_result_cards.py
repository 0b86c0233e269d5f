"""Result cards are kept between requests, and never outlive an edit, an unpublish or the session they announce."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from microdir.extensions import db
from microdir.models import CapacityStatus, CostOption, CostType, ListingStatus, Schedule, Service
from microdir.public.result_cards import card_cache, result_views
from microdir.search.queries import SearchHit
from tests import factories
from tests.pages import ClientRequest


def card(page: Any, service: Service) -> str:
    found = page.soup.select_one(f"#result-{service.id}")
    assert found is not None, f"{service.name} is not on the page"
    return str(found.get_text(" ", strip=True))


def test_an_edited_listing_shows_on_the_next_results_page(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Smethwick Lunch Club", description="A hot lunch and a chat.")
    before = card(client_request.get("/search?q=lunch"), service)
    assert "Smethwick Lunch Club" in before and "Free" in before and "Taking new people" in before
    assert card_cache().hits + card_cache().misses > 0, "the page went through the card cache"

    service.name = "Smethwick Lunch and Chat"
    service.description = "A hot lunch, a chat and a quiz."
    service.capacity_status = CapacityStatus.WAITING_LIST
    service.cost_options[0].cost_type = CostType.FIXED
    service.cost_options[0].amount = Decimal("3.50")
    service.cost_options[0].option = "Lunch"
    db.session.commit()

    after = card(client_request.get("/search?q=lunch"), service)
    assert "Smethwick Lunch and Chat" in after and "a quiz" in after
    assert "Cost £3.50 (Lunch)" in after and "Free" not in after
    assert "Waiting list" in after


def test_an_edit_to_what_a_card_shows_from_other_rows_shows_next_time(
        app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Friday Lunch", description="A hot lunch.")
    before = card(client_request.get("/search?q=lunch"), service)
    assert "Run by Test Organisation" in before and "Next: Tuesday" in before and "Micro-provider" in before

    service.organization.name = "Smethwick Neighbours"
    service.organization.profile.paid_workers_fte = Decimal("9")  # no longer a micro-provider
    service.schedules[0].byday = "FR"
    service.cost_options.append(CostOption(cost_type=CostType.PAY_WHAT_YOU_CAN, option="Donation"))
    db.session.commit()

    after = card(client_request.get("/search?q=lunch"), service)
    assert "Run by Smethwick Neighbours" in after
    assert "Next: Friday" in after and "Tuesday" not in after
    assert "Pay what you can" in after
    assert "Micro-provider" not in after


def test_an_edit_committed_by_another_process_shows(app: Flask, app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Old Name Lunch", description="A hot lunch.")
    assert "Old Name Lunch" in card(client_request.get("/search?q=lunch"), service)

    with Session(db.engine) as other:  # another node's session: nothing shared with this process but the database
        theirs = other.get(Service, service.id)
        assert theirs is not None
        theirs.name = "New Name Lunch"
        other.commit()
    db.session.expire_all()  # the test shares one session with its requests; a real request starts a new one

    assert "New Name Lunch" in card(client_request.get("/search?q=lunch"), service)


def test_a_cached_card_is_not_shown_once_its_listing_is_unpublished(
        app_ctx: Any, client_request: ClientRequest) -> None:
    shown = factories.create_service(name="Lunch One", description="A hot lunch.")
    hidden = factories.create_service(name="Lunch Two", description="A hot lunch.")
    assert len(client_request.get("/search?q=lunch").select("#results li.app-result")) == 2

    # Behind the index's back (as when a follower lags): only the database says it is no longer public.
    table = Service.__table__
    db.session.execute(table.update().where(table.c.id == hidden.id).values(listing_status=ListingStatus.SUSPENDED))
    db.session.commit()
    db.session.expire_all()

    page = client_request.get("/search?q=lunch")
    assert page.soup.select_one(f"#result-{hidden.id}") is None
    assert page.soup.select_one(f"#result-{shown.id}") is not None


def _next_tuesday_10am(after: datetime) -> datetime:
    day = after.date() + timedelta(days=(1 - after.weekday()) % 7)
    moment = datetime.combine(day, time(10, 0))
    return moment if moment >= after else moment + timedelta(days=7)


def test_a_card_says_the_next_session_after_the_last_one_started(app: Flask, app_ctx: Any) -> None:
    service = factories.create_service(name="Tuesday Club", description="A weekly group.")
    assert [s.byday for s in service.schedules] == ["TU"]
    hit = SearchHit(service_id=service.id, score=1.0, distance_miles=None, mode="venue", label=None)
    now = datetime.now().replace(microsecond=0)
    session = _next_tuesday_10am(now)
    hide = int(app.config["STALE_HIDE_DAYS"])

    first = result_views([hit], session - timedelta(hours=1), hide)[0].when
    again = result_views([hit], session, hide)[0].when  # at the start: still this one
    later = result_views([hit], session + timedelta(minutes=1), hide)[0].when
    assert first == again and first is not None and f"{session.day} " in first
    assert later is not None and later != first and f"{(session + timedelta(days=7)).day} " in later
    assert card_cache().hits >= 1


def test_a_listing_with_no_more_sessions_keeps_its_schedule_words(app: Flask, app_ctx: Any) -> None:
    service = factories.create_service(name="Ended Club", description="A weekly group.")
    service.schedules[0].until = (datetime.now() - timedelta(days=30)).date()
    service.schedules.append(Schedule(freq="WEEKLY", interval=1, byday="MO", until=datetime.now().date()
                                      - timedelta(days=30)))
    db.session.commit()
    hit = SearchHit(service_id=service.id, score=1.0, distance_miles=2.0, mode="venue", label=None)
    view = result_views([hit], datetime.now(), int(app.config["STALE_HIDE_DAYS"]))[0]
    assert view.when is not None and view.when.startswith("Every Monday")  # the first in the week, whatever was added first
    assert view.where is not None and "2" in view.where and "miles away" in view.where
