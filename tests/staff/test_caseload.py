"""The caseload table: next action and due date from the referral rules, overdue, filters, sort, find; the
person's other referrals; delete a draft, withdraw a sent one (issue 15)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from microdir.domain import caseload
from microdir.extensions import db
from microdir.models import AuditEvent, Referral, Role, utcnow
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import PERSON_NAME, S, make_referral


def _sign_in(client_request: ClientRequest) -> Any:
    user = factories.create_user(Role.LINK_WORKER)
    client_request.sign_in(user)
    return user


def _rows(page: Any) -> list[list[str]]:
    return [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in page.select("#caseload tbody tr")]


def test_working_days_after_skips_weekends_and_bank_holidays(app_ctx: Any) -> None:
    friday = datetime(2026, 12, 18, 10)
    assert caseload.working_days_after(friday, 1, "ENG") == date(2026, 12, 21)  # Monday
    # 24 Dec (Thu) + 2 working days: 25 and 28 Dec are bank holidays, 26-27 the weekend
    assert caseload.working_days_after(datetime(2026, 12, 24), 2, "ENG") == date(2026, 12, 30)


def test_the_next_action_follows_the_referral_rules(app_ctx: Any) -> None:
    worker = factories.create_user(Role.LINK_WORKER)
    sent = make_referral(S.SENT, team_user=worker)
    sent.sent_at = datetime(2026, 12, 7, 9)  # a Monday
    action = caseload.next_action(sent, today=date(2026, 12, 8))
    assert (action.text, action.due, action.mine) == ("Provider accepts or declines", date(2026, 12, 14), False)
    late = caseload.next_action(sent, today=date(2026, 12, 15))
    # the reply was due on the 14th; it expires 14 working days after sending (25 and 28 December are holidays)
    assert (late.text, late.due, late.mine) == (
        "Chase the provider: no reply yet (expires 29 December 2026)", date(2026, 12, 14), True)
    assert caseload.is_overdue(late, date(2026, 12, 15))
    assert caseload.next_action(make_referral(S.DRAFT, team_user=worker)).mine is True
    assert caseload.next_action(make_referral(S.ACCEPTED, team_user=worker)).mine is False


def test_caseload_table_shows_dates_next_action_and_highlights_overdue(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    user = _sign_in(client_request)
    fresh = make_referral(S.SENT, team_user=user, person_name="Ada Fresh")
    late = make_referral(S.SENT, team_user=user, person_name="Bo Late")
    late.sent_at = utcnow() - timedelta(days=30)
    db.session.commit()
    page = client_request.get("/referrals/")
    header = [th.get_text(strip=True) for th in page.select("#caseload thead th")]
    assert header == ["Person", "Service", "Reference", "Status", "Sent", "Last activity", "Next action"]
    rows = {row[0]: row for row in _rows(page)}
    assert rows["Bo Late"][2] == late.reference
    assert rows["Bo Late"][6].startswith("Chase the provider: no reply yet (expires ")
    assert "Overdue: was due " in rows["Bo Late"][6]
    assert rows["Ada Fresh"][6].startswith("Provider accepts or declines Due ")
    assert rows["Ada Fresh"][4] == f"{fresh.sent_at.day} {fresh.sent_at.strftime('%B %Y')}"
    (overdue_row,) = page.select("tr.app-row--overdue")
    assert "Bo Late" in overdue_row.get_text()
    # sorted by next action due: what needs me, soonest first
    assert [row[0] for row in _rows(page)] == ["Bo Late", "Ada Fresh"]


def test_filter_needs_my_action_status_sort_and_find_by_reference(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    user = _sign_in(client_request)
    draft = make_referral(S.DRAFT, team_user=user, person_name="Cy Draft")
    accepted = make_referral(S.ACCEPTED, team_user=user, person_name="Di Accepted")
    make_referral(S.SENT, person_name="Other Team")  # never shown
    names = lambda page: [row[0] for row in _rows(page)]  # noqa: E731
    assert sorted(names(client_request.get("/referrals/"))) == ["Cy Draft", "Di Accepted"]
    assert names(client_request.get("/referrals/?mine=yes")) == ["Cy Draft"]
    assert names(client_request.get("/referrals/?status=accepted")) == ["Di Accepted"]
    assert names(client_request.get(f"/referrals/?reference={accepted.reference.lower().replace('-', ' ')}")) == [
        "Di Accepted"]
    assert names(client_request.get(f"/referrals/?reference={draft.reference[3:]}")) == ["Cy Draft"]
    assert names(client_request.get("/referrals/?sort=status")) == ["Cy Draft", "Di Accepted"]
    assert client_request.get("/referrals/?reference=nothing-like-it").select("#caseload") == []
    # every sort and any nonsense value gives a page, never an error; a NUL byte is refused with a clear 400
    for sort in ["due", "sent", "activity", "status", "service", "nonsense"]:
        client_request.get(f"/referrals/?sort={sort}&status=%ff&mine=1")
    client_request.get("/referrals/?sort=%00", expected_status=400)
    # the sortable headers keep the filters
    page = client_request.get("/referrals/?mine=yes")
    links = [a["href"] for a in page.select("#caseload thead a")]
    assert links and all("mine=yes" in href for href in links)


def test_the_persons_other_referrals_are_shown_within_the_team_only(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    user = _sign_in(client_request)
    colleague = factories.create_user(Role.LINK_WORKER, team=user.team)
    one = make_referral(S.SENT, team_user=user)
    two = make_referral(S.ACCEPTED, team_user=colleague, person_name=PERSON_NAME.upper())  # same phone
    make_referral(S.SENT, team_user=user, person_name=PERSON_NAME, contact_details="07700 900000")  # another person
    make_referral(S.SENT, person_name=PERSON_NAME)  # another team
    page = client_request.get(f"/referrals/{one.id}")
    others = [a.get_text(strip=True) for a in page.select("#other-referrals a")]
    assert others == [two.reference]
    # nothing about the matching is stored: the only new audit rows are the page views
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("%match%"))) == 0


def test_a_draft_is_deleted_not_withdrawn(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    draft = make_referral(S.DRAFT, team_user=user)
    page = client_request.get(f"/referrals/{draft.id}")
    assert "Withdraw referral" not in page.text()
    (link,) = page.select("#delete-draft")
    confirm = client_request.get(link["href"])
    assert confirm.h1 == "Are you sure you want to delete this draft?"
    done = client_request.post(link["href"], {})
    assert done.response.headers["Location"].endswith("/referrals/")
    db.session.expire_all()
    assert db.session.get(Referral, draft.id) is None
    (event,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "referral.delete_draft")).all()
    assert event.object_id == draft.id and PERSON_NAME not in str(event.detail)
    assert f"Draft referral {draft.reference} deleted" in client_request.get("/referrals/").text()


def test_a_sent_referral_cannot_be_deleted_only_withdrawn(app_ctx: Any, client_request: ClientRequest) -> None:
    user = _sign_in(client_request)
    sent = make_referral(S.SENT, team_user=user)
    page = client_request.get(f"/referrals/{sent.id}")
    assert page.select("#delete-draft") == [] and "Withdraw referral" in page.text()
    client_request.post(f"/referrals/{sent.id}/delete", {}, form_url=f"/referrals/{sent.id}")
    db.session.expire_all()
    assert db.session.get(Referral, sent.id).status is S.SENT


def test_another_team_cannot_delete_a_draft(app_ctx: Any, client_request: ClientRequest) -> None:
    draft = make_referral(S.DRAFT)
    _sign_in(client_request)
    client_request.get(f"/referrals/{draft.id}/delete", expected_status=403)
