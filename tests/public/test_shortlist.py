"""The shortlist (a 30-day cookie of service ids): add, remove, clear, share, print and email; back to results."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from microdir import shortlist
from microdir.extensions import db
from microdir.models import ListingStatus, OutboundEmail
from tests import factories
from tests.conftest import free_port
from tests.pages import ClientRequest


def add(client_request: ClientRequest, service: Any, next_url: str = "/shortlist") -> Any:
    return client_request.post("/shortlist/add", {"service_id": service.id, "next": next_url},
                               form_url=f"/services/{service.id}")


def names(page: Any) -> list[str]:
    return [h.get_text(strip=True) for h in page.select("#shortlist h2")]


def test_share_tokens_round_trip_and_reject_rubbish() -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    token = shortlist.encode_ids(ids)
    assert len(token) == 64 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert shortlist.decode_ids(token) == ids
    for bad in ["", "!!!", "abc", token[:-3], "A" * 5000]:
        with pytest.raises(ValueError):
            shortlist.decode_ids(bad)


def test_add_and_remove_from_results_and_listing(app_ctx: Any, client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club", description="Lunch.")
    walks = factories.create_service(name="Walking Group", description="Walks.")
    assert client_request.get("/shortlist").text().count("Your shortlist is empty") == 1

    results = client_request.get("/search?q=lunch")
    button = results.soup.select_one("#results form")
    assert button["action"] == "/shortlist/add"
    next_url = button.select_one("input[name=next]")["value"]
    assert next_url == f"/search?q=lunch#result-{lunch.id}"
    page = add(client_request, lunch, next_url)
    assert page.response.headers["Location"] == f"/search?q=lunch#result-{lunch.id}"
    results = client_request.get("/search?q=lunch")
    assert results.soup.select_one("#results form")["action"] == "/shortlist/remove"

    add(client_request, walks, f"/services/{walks.id}")
    add(client_request, walks)  # twice is still once
    listing = client_request.get(f"/services/{walks.id}")
    assert "Remove from shortlist" in listing.soup.select_one("form[action='/shortlist/remove']").get_text()
    assert names(client_request.get("/shortlist")) == ["Lunch Club", "Walking Group"]

    client_request.post("/shortlist/remove", {"service_id": lunch.id, "next": "/shortlist"}, form_url="/shortlist")
    assert names(client_request.get("/shortlist")) == ["Walking Group"]


def test_next_must_stay_on_this_site(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service()
    page = add(client_request, service, "https://evil.example/")
    assert page.response.headers["Location"] == f"/services/{service.id}"
    page = add(client_request, service, "//evil.example/")
    assert page.response.headers["Location"] == f"/services/{service.id}"


def test_hidden_or_unknown_listings_cannot_be_added(app_ctx: Any, client_request: ClientRequest) -> None:
    draft = factories.create_service(listing_status=ListingStatus.DRAFT)
    form_url = f"/services/{factories.create_service().id}"  # any page with a shortlist button, for the token
    client_request.post("/shortlist/add", {"service_id": draft.id}, form_url=form_url, expected_status=404)
    client_request.post("/shortlist/add", {"service_id": "nope"}, form_url=form_url, expected_status=404)
    client_request.post("/shortlist/add", {"service_id": ""}, form_url=form_url, expected_status=400)
    assert names(client_request.get("/shortlist")) == []


def test_a_listing_unpublished_later_drops_off_the_list(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Soon Gone")
    add(client_request, service)
    service.listing_status = ListingStatus.SUSPENDED
    db.session.commit()
    assert names(client_request.get("/shortlist")) == []


def test_share_link_shows_the_list_to_anyone(app: Any, app_ctx: Any, client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club")
    walks = factories.create_service(name="Walking Group")
    hidden = factories.create_service(name="Hidden Group")
    add(client_request, walks)
    add(client_request, lunch)
    add(client_request, hidden)
    hidden.listing_status = ListingStatus.ARCHIVED
    db.session.commit()
    share = client_request.get("/shortlist").soup.select_one("#share-link")["href"]
    assert share.startswith("http://localhost/shortlist/shared?ids=")

    stranger = ClientRequest(app)  # a different browser, with its own empty session
    page = stranger.get(share.replace("http://localhost", ""))
    assert names(page) == ["Walking Group", "Lunch Club"]
    # Unknown ids are ignored; rubbish gives an explanation, not an error.
    mixed = shortlist.encode_ids([str(uuid.uuid4()), lunch.id])
    assert names(stranger.get(f"/shortlist/shared?ids={mixed}")) == ["Lunch Club"]
    page = stranger.get("/shortlist/shared?ids=%%%rubbish")
    assert "no longer listed, or the link is not complete" in page.text()


def test_print_view_has_no_navigation_and_large_type(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service(name="Lunch Club")
    add(client_request, service)
    page = client_request.get("/shortlist/print")
    assert not page.select(".govuk-service-navigation") and not page.select(".govuk-footer")
    assert not page.select(".govuk-phase-banner")
    assert page.h1 == "Local services shortlist"
    entry = page.select(".app-print__entry")[0]
    assert "govuk-body-l" in entry["class"]
    assert "Lunch Club" in entry.get_text() and "Every Tuesday, 10am to midday" in entry.get_text()
    assert "1 High Street" in entry.get_text()


def test_email_me_this_list(app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    lunch = factories.create_service(name="Lunch Club")
    add(client_request, lunch)
    page = client_request.post("/shortlist/email", {"email": "not an email"}, expected_status=200)
    assert page.error_summary() == ["Enter an email address in the correct format, like name@example.com"]
    page = client_request.post("/shortlist/email", {"email": ""}, expected_status=200)
    assert page.error_summary() == ["Enter your email address"]
    assert smtpd.messages == []

    page = client_request.post("/shortlist/email", {"email": "resident@example.com"})
    assert page.response.headers["Location"] == "/shortlist"
    assert "We are sending the list to your email address." in client_request.get("/shortlist").text()
    (message,) = smtpd.to("resident@example.com")
    body = smtpd.body(message)
    assert "Lunch Club" in body and f"/services/{lunch.id}" in body
    assert "/shortlist/shared?ids=" + shortlist.encode_ids([lunch.id]) in body
    # The address is not kept once the message has gone.
    stored = db.session.scalars(db.select(OutboundEmail)).one()
    assert stored.sent_at is not None and (stored.to, stored.body) == (None, None)


def test_email_that_cannot_be_sent_yet_is_kept_for_the_delivery_job(
    app: Any, app_ctx: Any, client_request: ClientRequest
) -> None:
    from microdir.mail import deliver_pending

    lunch = factories.create_service(name="Lunch Club")
    add(client_request, lunch)
    mailman = app.extensions["mailman"]
    port, mailman.port = mailman.port, free_port()  # nothing listens there: a real refused connection
    try:
        page = client_request.post("/shortlist/email", {"email": "resident@example.com"})
        assert page.response.headers["Location"] == "/shortlist"  # the request never waits on SMTP
        assert deliver_pending() == (0, 1)
    finally:
        mailman.port = port
    stored = db.session.scalars(db.select(OutboundEmail)).one()
    assert stored.sent_at is None and stored.last_error and stored.next_attempt_at is not None


def test_email_with_an_empty_list_goes_back_to_the_list(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/shortlist/email", expected_status=302)
    assert page.response.headers["Location"] == "/shortlist"


def test_email_is_rate_limited(app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    add(client_request, factories.create_service())
    for n in range(5):
        client_request.post("/shortlist/email", {"email": f"r{n}@example.com"})
    page = client_request.post("/shortlist/email", {"email": "r6@example.com"}, expected_status=429)
    assert page.h1 == "Too many attempts"
    assert len(smtpd.messages) == 5


def test_fetch_enhancement_gets_json(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service()
    form = client_request.get(f"/services/{service.id}").form_data("form[action='/shortlist/add']")
    response = client_request.client.post("/shortlist/add", data={**form}, headers={"X-Requested-With": "fetch"})
    assert response.get_json() == {"on_shortlist": True, "count": 1, "full": False}


def test_back_to_results_returns_to_the_exact_results_page_and_result(app_ctx: Any,
                                                                       client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club", description="A hot lunch.")
    results_url = "/search?q=lunch&where=B66+1AA&cost=free&within=5&order=nearest"  # in the order the app writes
    results = client_request.get(results_url)
    link = results.soup.select_one(f"#result-{lunch.id} h2 a")["href"]
    listing = client_request.get(link)
    back = listing.soup.select_one(".govuk-back-link")
    assert back.get_text(strip=True) == "Back to results"
    assert back["href"] == f"{results_url}#result-{lunch.id}"
    # Before: the listing always went "Back to search", a bare /search.
    plain = client_request.get(f"/services/{lunch.id}")
    assert plain.soup.select_one(".govuk-back-link").get_text(strip=True) == "Back to search"
    # Only a results page on this site is followed.
    for bad in ("https://evil.example/search", "//evil.example/search", "/admin/"):
        page = client_request.get(f"/services/{lunch.id}?back={bad}")
        assert page.soup.select_one(".govuk-back-link")["href"] == "/search"


def test_adding_without_javascript_confirms_and_returns_to_the_same_result(app_ctx: Any,
                                                                            client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club", description="A hot lunch.")
    walk = factories.create_service(name="Lunch Walk", description="Lunch then a walk.")
    results_url = "/search?q=lunch&page=1"
    results = client_request.get(results_url)
    form = results.soup.select_one(f"#result-{lunch.id} form")
    next_url = form.select_one("input[name=next]")["value"]
    assert next_url.endswith(f"#result-{lunch.id}") and next_url.startswith("/search?q=lunch")
    client_request.post("/shortlist/add", {"service_id": walk.id, "next": next_url}, form_url=results_url)
    answer = client_request.post("/shortlist/add", {"service_id": lunch.id, "next": next_url}, form_url=results_url)
    assert answer.response.headers["Location"] == next_url
    after = client_request.get(next_url.split("#")[0])
    banner = after.soup.select_one(".govuk-notification-banner")
    assert banner.get_text(" ", strip=True).endswith("Added Lunch Club — view your shortlist (2)")
    assert banner.find("a")["href"] == "/shortlist"


def test_the_header_shows_the_shortlist_count_on_every_page(app_ctx: Any, client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club", description="A hot lunch.")
    assert "Your shortlist (0)" in client_request.get("/").soup.select_one(".govuk-service-navigation").get_text()
    add(client_request, lunch)
    for url in ("/", "/search?q=lunch", f"/services/{lunch.id}", "/cookies", "/shortlist"):
        nav = client_request.get(url).soup.select_one(".govuk-service-navigation")
        links = [a for a in nav.find_all("a") if "Your shortlist" in a.get_text()]
        assert [(a.get_text(strip=True), a["href"]) for a in links] == [("Your shortlist (1)", "/shortlist")], url


def test_the_shortlist_is_kept_30_days_in_a_cookie_of_ids_and_cleared_on_request(
        app: Any, app_ctx: Any, client_request: ClientRequest) -> None:
    lunch = factories.create_service(name="Lunch Club", description="A hot lunch.")
    answer = add(client_request, lunch)
    cookie = next(c for c in answer.response.headers.getlist("Set-Cookie") if c.startswith("shortlist="))
    assert "Max-Age=2592000" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert shortlist.decode_ids(cookie.split(";")[0].split("=", 1)[1]) == [lunch.id]  # service ids only
    # A new browser session (the session cookie gone) still has the list.
    client_request.client.delete_cookie("session")
    assert names(client_request.get("/shortlist")) == ["Lunch Club"]
    cleared = client_request.post("/shortlist/clear", form_url="/shortlist")
    assert any(c.startswith("shortlist=;") for c in cleared.response.headers.getlist("Set-Cookie"))
    emptied = client_request.get("/shortlist")
    assert names(emptied) == [] and "Your shortlist is now empty." in emptied.text()
    cookies_page = client_request.get("/cookies").text()
    assert "shortlist" in cookies_page and "only their ids" in cookies_page and "30 days" in cookies_page
