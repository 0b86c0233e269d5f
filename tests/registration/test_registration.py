"""Registering a service: verified email, account, organisation, workers, task list, check answers, submit."""

from __future__ import annotations

from typing import Any

import time_machine

from microdir.extensions import db
from microdir.models import (
    AuditEvent,
    EmailVerification,
    ListingRevision,
    ListingStatus,
    OrganizationSetup,
    Role,
    TaskProgress,
    User,
    utcnow,
)
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import people_data
from tests.registration.helpers import (
    PASSWORD,
    SECTION_ANSWERS,
    WORKERS,
    create_organisation,
    link_in,
    register_account,
    statuses,
)


def test_a_new_provider_registers_and_submits_a_listing_for_review(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    start = client_request.get("/sign-in")
    assert start.soup.find("a", string="Register your service")["href"] == "/register"
    assert "Start now" in client_request.get("/register").text()

    user = register_account(client_request, smtpd, "Asha.Patel@Example.com")
    assert user.role is Role.PROVIDER and user.name == "Asha Patel" and user.organizations == []
    assert client_request.get("/account/").h1 == "Your account"  # signed in straight away

    service = create_organisation(client_request)
    assert service.listing_status is ListingStatus.DRAFT
    organization = service.organization
    assert [m.id for m in organization.services] == [service.id]
    assert user in db.session.scalars(db.select(User).where(User.organizations.contains(organization))).all()
    assert organization.profile.independent is True

    tasks = f"/register/services/{service.id}/tasks"
    page = client_request.get(tasks)
    assert page.h1 == "Register Smethwick Knit and Natter"
    assert list(statuses(page).items())[:3] == [
        ("About your organisation", "Completed"), ("Your workers", "Not yet started"), ("What you offer", "Not yet started"),
    ]
    assert statuses(page)["Check your answers and submit"] == "Cannot start yet"
    assert not page.soup.find("a", string="Check your answers and submit")

    page = client_request.post(f"/register/services/{service.id}/workers", WORKERS)
    assert page.response.headers["Location"] == tasks
    page = client_request.get(tasks)
    assert statuses(page)["Your workers"] == "Completed"
    assert "Your answers have been saved. This is a micro-provider." in page.text()

    # Each listing section, through the section editor, comes back to the task list.
    links = {a.get_text(strip=True): a["href"] for a in page.select(".govuk-task-list__link")}
    assert statuses(page)["Accessibility"] == "Not yet started"  # nothing ticked is an answer, but not given yet
    for key, title in [("about", "What you offer"), ("when", "When"), ("where", "Where and which area you serve"),
                       ("cost", "Cost"), ("who", "Who it is for"), ("accessibility", "Accessibility"),
                       ("contact", "How people get in touch")]:
        assert links[title].startswith(f"/provider/services/{service.id}/edit/{key}?next=")
        saved = client_request.post(links[title], SECTION_ANSWERS[key])
        assert saved.response.headers["Location"] == tasks, (key, saved.text()[:500])
    page = client_request.get(tasks)
    shown = statuses(page)
    assert all(shown[title] == "Completed" for title in ("When", "Cost", "Who it is for", "Accessibility",
                                                          "How people get in touch"))
    assert shown["Quality checks"] == "Not yet started"
    assert shown["Check your answers and submit"] == "Not yet started"  # quality checks are optional

    checks = f"/register/services/{service.id}/quality-checks"
    client_request.post(f"{checks}/new", {"check_type": "dbs", "reference": "001234567890"})
    assert statuses(client_request.get(tasks))["Quality checks"] == "Incomplete"
    client_request.post(checks, {"completed": "yes"})
    assert statuses(client_request.get(tasks))["Quality checks"] == "Completed"

    check = client_request.get(f"/register/services/{service.id}/check")
    text = check.text()
    assert "Tuesday Knit and Natter" in text and "knit@example.org" in text and "DBS check" in text
    assert "This is a micro-provider" in text and "1 (0.5 full-time equivalent)" in text
    change_links = [a["href"] for a in check.select("#summary-listing .govuk-summary-list__actions a")]
    assert any("/edit/contact?next=" in href for href in change_links)
    assert any("/edit/when?next=" in href for href in change_links)

    page = client_request.post(f"/register/services/{service.id}/submit",
                               {"version": str(service.version)}, form_url=f"/register/services/{service.id}/check")
    assert page.response.headers["Location"] == f"/register/services/{service.id}/submitted"
    done = client_request.get(f"/register/services/{service.id}/submitted")
    assert "What happens next" in done.text()
    db.session.refresh(service)
    assert service.listing_status is ListingStatus.PENDING_REVIEW
    revision = db.session.scalar(db.select(ListingRevision).where(ListingRevision.service_id == service.id))
    assert revision.is_new_listing and revision.submitted_by_id == user.id
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organization.create")).actor_id == user.id


def test_submitting_before_the_required_tasks_are_done_is_refused(app_ctx: Any, client_request: ClientRequest,
                                                                   smtpd: Any) -> None:
    register_account(client_request, smtpd, "sam@example.com")
    service = create_organisation(client_request)
    check = client_request.get(f"/register/services/{service.id}/check")
    assert "You need to complete your workers, what you offer" in check.text()
    assert "Not answered yet" in check.text() and not check.select("#verdict")
    assert not check.select("form[action$='/submit']")
    # Posting anyway (a crafted request) is refused too.
    page = client_request.post(f"/register/services/{service.id}/submit", {"version": str(service.version)},
                               form_url="/register/organisation")
    assert page.response.headers["Location"] == f"/register/services/{service.id}/tasks"
    text = client_request.get(f"/register/services/{service.id}/tasks").text()
    assert "Complete these sections before you submit: your workers, what you offer" in text
    db.session.refresh(service)
    assert service.listing_status is ListingStatus.DRAFT


def test_bad_answers_get_clear_messages_and_change_nothing(app_ctx: Any, client_request: ClientRequest,
                                                            smtpd: Any) -> None:
    page = client_request.post("/register/email", {"email": "not an email"}, expected_status=200)
    assert page.error_summary() == ["Enter an email address in the correct format, like name@example.com"]
    assert smtpd.messages == []
    client_request.post("/register/email", {"email": "pat@example.com"}, expected_status=200)
    verify = link_in(smtpd, "pat@example.com", "/register/verify/")
    page = client_request.post(verify, {"name": "", "password": "short", "confirm": "different"}, expected_status=200)
    assert page.error_summary() == ["Enter your full name", "The passwords do not match"]
    page = client_request.post(verify, {"name": "Pat", "password": "short", "confirm": "short"}, expected_status=200)
    assert page.error_summary() == ["Your password must be 12 characters or more"]
    assert db.session.scalar(db.select(User).where(User.email == "pat@example.com")) is None

    client_request.post(verify, {"name": "Pat", "password": PASSWORD, "confirm": PASSWORD})
    page = client_request.post("/register/organisation", {"name": "", "independent": "no"}, expected_status=200)
    assert page.error_summary() == [
        "Enter the name of your organisation", "Enter a short description of your organisation",
        "Select what kind of organisation you are", "Enter the name of the organisation you are part of or run by",
    ]
    service = create_organisation(client_request)
    page = client_request.post(f"/register/services/{service.id}/workers",
                               {**WORKERS, "people-1-hours": "lots", "people-2-paid": ""}, expected_status=200)
    assert page.error_summary() == [
        "Hours for person 2 must be a number more than 0 and no more than 100, like 12 or 7.5",
        "Select whether person 3 is paid or unpaid",
    ]
    assert [a["href"] for a in page.select(".govuk-error-summary__list a")] == ["#people-1-hours", "#people-2-paid"]
    assert page.soup.select_one("input[name=people-1-hours]")["value"] == "lots"
    assert statuses(client_request.get(f"/register/services/{service.id}/tasks"))["Your workers"] == "Not yet started"


def test_a_large_or_dependent_organisation_is_told_why_it_is_not_a_micro_provider(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    register_account(client_request, smtpd, "big@example.com")
    service = create_organisation(client_request, independent="no", parent_body="Big Care Group Ltd")
    client_request.post(f"/register/services/{service.id}/workers",
                        people_data(*[("paid", "35")] * 7, ("paid", "17.5"), ("paid", "10")))
    text = client_request.get(f"/register/services/{service.id}/check").text()
    assert "This is not a micro-provider" in text
    # 7 × 35 + 17.5 + 10 = 272.5 hours a week, / 37.5 = 7.27 (rounded up)
    assert "It has 7.27 full-time equivalent workers, paid and unpaid together. A micro-provider has 5 or fewer." in text
    assert "9 (7.27 full-time equivalent)" in text
    assert "run by, a larger organisation (Big Care Group Ltd)" in text


def test_an_address_with_an_account_gets_a_sign_in_email_and_the_page_looks_the_same(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    existing = factories.create_user(Role.LINK_WORKER, email="known@example.com")
    known = client_request.post("/register/email", {"email": "Known@example.com"}, expected_status=200)
    unknown = client_request.post("/register/email", {"email": "new@example.com"}, expected_status=200)
    assert known.text().replace("Known@example.com", "X") == unknown.text().replace("new@example.com", "X")
    (message,) = smtpd.to("known@example.com")
    body = smtpd.body(message)
    assert "you already have an account" in body and "/sign-in" in body and "/forgot-password" in body
    assert "/register/verify/" not in body
    assert db.session.scalar(db.select(EmailVerification).where(EmailVerification.email == "known@example.com")) is None
    db.session.refresh(existing)
    assert existing.role is Role.LINK_WORKER


def test_expired_used_and_altered_links_get_a_clear_page(app: Any, app_ctx: Any, client_request: ClientRequest,
                                                          smtpd: Any) -> None:
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client_request.post("/register/email", {"email": "late@example.com"}, expected_status=200)
        verify = link_in(smtpd, "late@example.com", "/register/verify/")
        traveller.shift(app.config["REGISTRATION_LINK_MAX_AGE"] + 60)
        page = client_request.get(verify, expected_status=400)
        assert page.h1 == "This link has expired"
        assert page.soup.find("a", string="Ask for a new link")["href"] == "/register/email"

    altered = verify[:-3] + ("abc" if not verify.endswith("abc") else "xyz")
    assert client_request.get(altered, expected_status=400).h1 == "This link does not work"

    register_account(client_request, smtpd, "once@example.com")
    used = link_in(smtpd, "once@example.com", "/register/verify/")
    other = ClientRequest(app)
    page = other.get(used, expected_status=400)
    assert page.h1 == "This link has already been used"
    page = other.post(used, {"name": "Someone else", "password": PASSWORD, "confirm": PASSWORD}, expected_status=400)
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.email == "once@example.com")) == 1


def test_the_email_step_is_rate_limited(app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    limit = int(app.config["REGISTRATION_RATE_LIMIT"].split()[0])
    for n in range(limit):
        client_request.post("/register/email", {"email": f"person{n}@example.com"}, expected_status=200)
    client_request.post("/register/email", {"email": "one-more@example.com"}, expected_status=429)
    assert smtpd.to("one-more@example.com") == []


def test_a_provider_cannot_open_another_organisations_task_list(app_ctx: Any, client_request: ClientRequest,
                                                                 smtpd: Any, app: Any) -> None:
    register_account(client_request, smtpd, "mine@example.com")
    service = create_organisation(client_request)
    stranger = ClientRequest(app)
    stranger.sign_in(factories.create_user(Role.PROVIDER))
    for path in ("tasks", "about", "workers", "quality-checks", "quality-checks/new", "check"):
        stranger.get(f"/register/services/{service.id}/{path}", expected_status=403)
    stranger.post(f"/register/services/{service.id}/workers", WORKERS, expected_status=403,
                  form_url="/register/organisation")
    setup = db.session.get(OrganizationSetup, service.organization_id)
    assert setup.workforce_answered_at is None and setup.quality_checks is not TaskProgress.COMPLETED


def test_an_organisation_with_a_published_listing_keeps_its_details_until_a_moderator_changes_them(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization])
    factories.create_service(organization, name="Tuesday Tea Club")
    draft = factories.create_service(organization, name="New Club", listing_status=ListingStatus.DRAFT)
    client_request.sign_in(provider)
    url = f"/register/services/{draft.id}/about"
    assert client_request.get(url).soup.select_one("input[name=name]")["value"] == "Smethwick Friends"
    client_request.post(url, {"name": "Renamed Friends", "description": "Different", "legal_form": "charity",
                              "independent": "yes", "parent_body": ""})
    assert "has a published listing, so ask a moderator" in client_request.get(f"/register/services/{draft.id}/tasks").text()
    db.session.refresh(organization)
    assert organization.name == "Smethwick Friends"


def test_old_verification_records_are_purged_by_an_idempotent_job(app: Any, app_ctx: Any,
                                                                  client_request: ClientRequest, smtpd: Any) -> None:
    from microdir.jobs import run_job

    with time_machine.travel(utcnow(), tick=False) as traveller:
        client_request.post("/register/email", {"email": "old@example.com"}, expected_status=200)
        traveller.shift(app.config["REGISTRATION_LINK_MAX_AGE"] - 60)
        client_request.post("/register/email", {"email": "new@example.com"}, expected_status=200)
        traveller.shift(120)
        assert run_job("registration.purge_old_verifications") == "1 removed"
        assert run_job("registration.purge_old_verifications") == "0 removed"
    left = db.session.scalars(db.select(EmailVerification.email)).all()
    assert left == ["new@example.com"]
