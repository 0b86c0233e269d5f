"""Providers answer the workforce questions and record quality checks; moderators verify the checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, LegalForm, QualityCheck, QualityCheckType, Role
from tests import factories
from tests.pages import ClientRequest
from tests.providers.helpers import people_data


def _provider() -> tuple[Any, Any]:
    organization = factories.create_organization(name="Smethwick Friends")
    return factories.create_user(Role.PROVIDER, organizations=[organization]), organization


def _answers(*people: tuple[str, str], **changes: str) -> dict[str, str]:
    rows = people or (("paid", "37.5"), ("unpaid", "7.5"), ("unpaid", "7.5"), ("unpaid", "7.5"))
    return {"legal_form": "sole_trader", **people_data(*rows), "independent": "yes", "parent_body": "", **changes}


def test_workforce_is_asked_person_by_person_and_the_figures_are_worked_out(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"
    assert "divide by 37.5" not in client_request.get(url).text()

    client_request.post(url, _answers())
    page = client_request.get(url)

    profile = organization.profile
    db.session.refresh(profile)
    assert profile.legal_form is LegalForm.SOLE_TRADER
    assert (profile.paid_workers, profile.paid_workers_fte) == (1, Decimal("1"))
    assert (profile.unpaid_workers, profile.unpaid_workers_fte) == (3, Decimal("0.6"))
    assert profile.people == [{"paid": True, "hours": "37.5"}, *[{"paid": False, "hours": "7.5"}] * 3]
    assert "This is a micro-provider" in page.text()
    assert "It has 1.6 full-time equivalent workers" in page.text()
    assert page.soup.select_one("#workforce-figures").get_text(" ", strip=True) == (
        "From your answers: 1 paid person (1 full-time equivalent) and 3 unpaid people (0.6 full-time equivalent).")
    # The people as given, and one blank row to add another.
    assert [i.get("value", "") for i in page.select("input[name$='-hours']")] == ["37.5", "7.5", "7.5", "7.5", ""]
    assert page.soup.select_one("input[name='people-0-paid'][value=paid]").has_attr("checked")
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organization.workforce.update"))


def test_add_another_person_and_remove_one_without_javascript(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"
    first = client_request.get(url)
    assert len(first.select("input[name$='-hours']")) == 6  # the factory's figures, split, and one blank row
    typed = _answers(("paid", "20"), ("unpaid", "4"), ("unpaid", "2"))
    added = client_request.post(url, {**typed, "row_action": "add"}, expected_status=200)
    assert [i.get("value", "") for i in added.select("input[name$='-hours']")] == ["20", "4", "2", ""]
    assert not added.error_summary()
    removed = client_request.post(url, {**typed, "row_action": "remove-1"}, expected_status=200)
    assert [i.get("value", "") for i in removed.select("input[name$='-hours']")] == ["20", "2"]
    db.session.refresh(organization.profile)
    assert organization.profile.people is None  # nothing is saved until "Save"
    client_request.post(url, {**_answers(("paid", "20"), ("unpaid", "2")), "people-2-paid": "", "people-2-hours": ""})
    db.session.refresh(organization.profile)
    assert (organization.profile.paid_workers, organization.profile.unpaid_workers) == (1, 1)
    assert organization.profile.paid_workers_fte == Decimal("0.54")  # 20 / 37.5 = 0.533…, rounded up


def test_figures_given_before_are_kept_and_offered_as_people(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()  # the factory stores figures only: 1 paid (0.5), 4 unpaid (1.5)
    client_request.sign_in(provider)
    assert "This is a micro-provider" in client_request.get("/provider/").text()  # the stored figures still count
    page = client_request.get(f"/provider/organisations/{organization.id}/workers")
    assert page.select("#estimated")
    hours = [i.get("value", "") for i in page.select("input[name$='-hours']")]
    assert hours == ["18.75", "14.06", "14.06", "14.06", "14.06", ""]  # 0.5 × 37.5; 1.5 × 37.5 / 4
    assert "It has 2 full-time equivalent workers" in page.text()


def test_an_organisation_that_is_too_big_or_not_independent_is_told_why(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"

    client_request.post(url, _answers(*[("paid", "37.5")] * 6, ("unpaid", "22.5"), independent="no",
                                      parent_body="Big Care Group Ltd"))
    page = client_request.get(url)

    text = page.text()
    assert "This is not a micro-provider" in text
    assert "It has 6.6 full-time equivalent workers, paid and unpaid together. A micro-provider has 5 or fewer." in text
    assert "run by, a larger organisation (Big Care Group Ltd)" in text
    assert "This is not a micro-provider" in client_request.get("/provider/").text()


def test_workforce_answers_are_checked(app_ctx: Any, client_request: ClientRequest) -> None:
    provider, organization = _provider()
    client_request.sign_in(provider)
    url = f"/provider/organisations/{organization.id}/workers"
    before = organization.profile.paid_workers_fte

    page = client_request.post(url, _answers(("paid", "two"), ("", "5"), ("unpaid", "101"), ("unpaid", "0"),
                                             ("paid", "7.555"), legal_form="", independent=""),
                               expected_status=200)

    assert page.error_summary() == [
        "Select what kind of organisation you are",
        "Hours for person 1 must be a number more than 0 and no more than 100, like 12 or 7.5",
        "Select whether person 2 is paid or unpaid",
        "Hours for person 3 must be a number more than 0 and no more than 100, like 12 or 7.5",
        "Hours for person 4 must be a number more than 0 and no more than 100, like 12 or 7.5",
        "Hours for person 5 must be a number more than 0 and no more than 100, like 12 or 7.5",
        "Select whether you are independent of any larger organisation",
    ]
    assert page.soup.select_one("input[name=people-0-hours]")["value"] == "two"
    nobody = client_request.post(url, {**_answers(), **people_data(*[("", "")] * 4)}, expected_status=200)
    assert nobody.error_summary() == ["Enter the usual weekly hours of at least one person, counting yourself"]
    db.session.refresh(organization.profile)
    assert organization.profile.paid_workers_fte == before and organization.profile.people is None


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
