"""Providers answer the workforce questions and record quality checks; moderators verify the checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, LegalForm, QualityCheck, QualityCheckType, Role
from tests import factories
from tests.pages import ClientRequest


def _provider() -> tuple[Any, Any]:
    organization = factories.create_organization(name="Smethwick Friends")
    return factories.create_user(Role.PROVIDER, organizations=[organization]), organization


def _answers(**changes: str) -> dict[str, str]:
    return {"legal_form": "sole_trader", "paid_workers": "1", "paid_workers_fte": "1", "unpaid_workers": "3",
            "unpaid_workers_fte": "0.6", "independent": "yes", "parent_body": "", **changes}


def test_workforce_answers_are_saved_and_judged(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"

    client_request.post(url, _answers())
    page = client_request.get(url)

    profile = organization.profile
    db.session.refresh(profile)
    assert profile.legal_form is LegalForm.SOLE_TRADER and profile.unpaid_workers_fte == Decimal("0.6")
    assert "This is a micro-provider" in page.text()
    assert "It has 1.6 full-time equivalent workers" in page.text()
    assert page.soup.select_one("input[name=unpaid_workers_fte]")["value"] == "0.6"
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organization.workforce.update"))


def test_an_organisation_that_is_too_big_or_not_independent_is_told_why(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"

    client_request.post(url, _answers(paid_workers="8", paid_workers_fte="6.5", independent="no",
                                      parent_body="Big Care Group Ltd"))
    page = client_request.get(url)

    text = page.text()
    assert "This is not a micro-provider" in text
    assert "It has 7.1 full-time equivalent workers, paid and unpaid together. A micro-provider has 5 or fewer." in text
    assert "run by, a larger organisation (Big Care Group Ltd)" in text
    assert "This is not a micro-provider" in client_request.get("/provider/").text()


def test_workforce_answers_are_checked(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"
    before = organization.profile.paid_workers_fte

    page = client_request.post(url, _answers(legal_form="", paid_workers="two", paid_workers_fte="",
                                             unpaid_workers="1", unpaid_workers_fte="3", independent=""),
                               expected_status=200)

    assert page.error_summary() == [
        "Select what kind of organisation you are",
        "Paid workers must be a whole number, like 2",
        "Enter your paid workers’ full-time equivalent, or 0",
        "Unpaid workers’ full-time equivalent cannot be more than the number of unpaid workers",
        "Select whether you are independent of any larger organisation",
    ]
    assert page.soup.select_one("input[name=paid_workers]")["value"] == "two"
    db.session.refresh(organization.profile)
    assert organization.profile.paid_workers_fte == before


def test_a_quality_check_is_recorded_then_verified_by_a_moderator(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/checks/new"

    page = client_request.post(url, {"check_type": "public_liability", "reference": "PL-123"}, expected_status=200)
    assert page.error_summary() == ["Enter how much your public liability insurance covers, like 5000000"]
    client_request.post(url, {"check_type": "public_liability", "reference": "PL-123", "cover_amount": "5,000,000",
                              "expires_on": ["31", "3", "2099"]})
    listings = client_request.get("/provider/").text()
    assert "Public liability insurance" in listings and "Waiting to be verified" in listings
    assert "Cover: £5,000,000" in listings and "Expires on 31 March 2099" in listings

    moderator = factories.create_user(Role.MODERATOR)
    reviewer = ClientRequest(client_request.app)
    reviewer.sign_in(moderator)
    queue = reviewer.get("/moderation/revisions/quality-checks")
    assert "PL-123" in queue.text()
    form = queue.soup.select_one("#checks form")
    reviewer.post(form["action"], form_url="/moderation/revisions/quality-checks")

    check = db.session.scalar(db.select(QualityCheck))
    assert check.check_type is QualityCheckType.PUBLIC_LIABILITY and check.cover_amount == Decimal("5000000")
    assert check.checked_by_id == moderator.id and check.checked_on is not None
    assert check.expires_on == date(2099, 3, 31)
    assert "Verified" in client_request.get("/provider/").text()
    assert "There are no quality checks to verify" in reviewer.get("/moderation/revisions/quality-checks").text()


def test_a_quality_check_with_a_bad_date_keeps_what_was_typed(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/checks/new"
    page = client_request.post(url, {"check_type": "dbs", "reference": "001234567890",
                                     "expires_on": ["31", "2", "2027"]},
                               expected_status=200)
    assert page.error_summary() == ["Expiry date must be a real date, for example 27 3 2027"]
    assert [i["value"] for i in page.select("input[name=expires_on]")] == ["31", "2", "2027"]
    assert db.session.scalar(db.select(db.func.count()).select_from(QualityCheck)) == 0
