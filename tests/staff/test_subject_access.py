"""Subject access printout in plain words; the JSON keeps machine values (issue 15)."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from microdir.domain import referrals as ops
from microdir.domain.subject_access import words_date
from microdir.extensions import db
from microdir.models import Role
from tests import factories
from tests.pages import ClientRequest
from tests.referrals.helpers import S, make_referral

URL = "/admin/referrals/subject-access"


def test_words_date() -> None:
    assert words_date("1948-03-27") == "27 March 1948"
    assert words_date("2026-12-02T20:07:17.194140") == "2 December 2026 at 8:07pm"
    assert words_date("2026-12-02T00:05:00") == "2 December 2026 at 12:05am"
    assert words_date(None) == "Not recorded"
    assert words_date("not a date") == "not a date"


def test_the_printout_uses_plain_words_and_the_json_machine_values(
    app_ctx: Any, client_request: ClientRequest
) -> None:
    referral = make_referral(S.CLOSED, date_of_birth=date(1948, 3, 27), needs=["loneliness"])
    ops.record_scores(referral, referral.created_by, "ons4", "referral",
                      {"life_satisfaction": 4, "worthwhile": 5, "happiness": 6, "anxiety": 8})
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.ADMIN))
    data = {"reason": "Request SAR-12", "reference": referral.reference, "format": "page"}
    page = client_request.post(URL, data, expected_status=200)
    text = page.text()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "no ISO dates on the printout"
    assert "None held" not in text and "mental-health" not in text and "loneliness" not in text.split("Referral")[1]
    rows = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
            for dt, dd in zip(page.select(".govuk-summary-list__key"), page.select(".govuk-summary-list__value"),
                              strict=True)}
    assert rows["Date of birth"] == "27 March 1948"
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} at \d{1,2}:\d{2}(am|pm)", rows["Sent"])
    assert rows["Declined because"] == "Not recorded"
    assert rows["What matters to them"] != "Not recorded" and "-" not in rows["What matters to them"]
    assert "by the link worker’s team" in text and "by the provider" in text
    assert "when referred" in text and "life_satisfaction" not in text
    form = client_request.get(URL).form_data()
    response = client_request.client.post(URL, data={**form, **data, "format": "json"})
    record = json.loads(response.get_data(as_text=True))["referrals"][0]
    assert record["date_of_birth"] == "1948-03-27" and record["what_matters"] == ["loneliness"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T[\d:.]+", record["sent"])
    assert record["wellbeing"][0]["answers"]["life_satisfaction"] == 4
