"""Report a problem with a listing, and the moderation queue where reports land."""

from __future__ import annotations

from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, ProblemReport, ReportStatus, Role
from tests import factories
from tests.pages import ClientRequest


def test_nothing_ticked_is_an_error_and_saves_nothing(app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service()
    url = f"/services/{service.id}/report"
    page = client_request.get(url)
    assert page.h1 == "Report a problem with this listing"
    page = client_request.post(url, {"details": "It moved"}, expected_status=200)
    assert page.error_summary() == ["Select what is wrong with this listing"]
    assert page.soup.select_one("textarea[name=details]").get_text(strip=True) == "It moved"
    assert db.session.scalars(db.select(ProblemReport)).all() == []


def test_a_report_without_a_csrf_token_is_refused(app_ctx: Any, client: Any) -> None:
    service = factories.create_service()
    response = client.post(f"/services/{service.id}/report", data={"reasons": "closed"})
    assert response.status_code == 400
    assert db.session.scalars(db.select(ProblemReport)).all() == []


def test_report_is_confirmed_and_appears_in_the_moderation_queue(app_ctx: Any, client_request: ClientRequest) -> None:
    older = factories.create_service(name="Older Report Club")
    service = factories.create_service(name="Tuesday Lunch Club")
    client_request.post(f"/services/{older.id}/report", {"reasons": ["other"]})
    page = client_request.post(
        f"/services/{service.id}/report",
        {"reasons": ["wrong_time", "wrong_contact"], "details": "It is on Wednesdays now"},
    )
    assert page.response.headers["Location"] == f"/services/{service.id}/report/sent"
    confirmation = client_request.get(f"/services/{service.id}/report/sent")
    assert "Report sent" in confirmation.select(".govuk-panel")[0].get_text()

    moderator = factories.create_user(Role.MODERATOR)
    client_request.sign_in(moderator)
    queue = client_request.get("/moderation/")
    assert queue.soup.select_one("#open-count").get_text(strip=True).startswith("2 open reports")
    rows = queue.select("#reports tbody tr")
    assert [r.select_one("a").get_text(strip=True) for r in rows] == ["Older Report Club", "Tuesday Lunch Club"]
    latest = rows[1].get_text(" ", strip=True)
    assert "The days or times are wrong" in latest and "The contact details are wrong" in latest
    assert "It is on Wednesdays now" in latest
    counts = {r.dt.get_text(strip=True): r.dd.get_text(strip=True) for r in queue.select("#reason-counts div")}
    assert counts["The days or times are wrong"] == "1" and counts["The service has closed or stopped"] == "0"

    report = db.session.scalars(db.select(ProblemReport).where(ProblemReport.service_id == service.id)).one()
    close_url = rows[1].select_one("form")["action"]
    assert close_url == f"/moderation/reports/{report.id}/close"
    page = client_request.post(close_url, form_url="/moderation/")
    assert page.response.headers["Location"] == "/moderation/"
    queue = client_request.get("/moderation/")
    assert "Report about Tuesday Lunch Club closed." in queue.text()
    assert [r.select_one("a").get_text(strip=True) for r in queue.select("#reports tbody tr")] == ["Older Report Club"]
    db.session.expire_all()
    report = db.session.get(ProblemReport, report.id)
    assert report.status is ReportStatus.CLOSED and report.closed_by_id == moderator.id
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "problem_report.close")).one()
    assert event.object_id == report.id and event.actor_id == moderator.id


def test_residents_and_providers_cannot_see_the_queue(app_ctx: Any, client_request: ClientRequest) -> None:
    page = client_request.get("/moderation/", expected_status=302)
    assert "/sign-in" in page.response.headers["Location"]
    client_request.sign_in(factories.create_user(Role.PROVIDER))
    client_request.get("/moderation/", expected_status=403)


def test_reports_are_rate_limited(app: Any, app_ctx: Any, client_request: ClientRequest) -> None:
    service = factories.create_service()
    url = f"/services/{service.id}/report"
    assert app.config["REPORT_RATE_LIMIT"] == "5 per hour"
    for _ in range(5):
        client_request.post(url, {"reasons": ["closed"]})
    page = client_request.post(url, {"reasons": ["closed"]}, expected_status=429)
    assert page.h1 == "Too many attempts"
    assert db.session.scalar(db.select(db.func.count()).select_from(ProblemReport)) == 5
