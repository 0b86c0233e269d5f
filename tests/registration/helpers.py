"""Steps the registration tests share: reading links out of real emails, registering, answering each section."""

from __future__ import annotations

import re
from typing import Any

from microdir.extensions import db
from microdir.models import Service, User
from tests.pages import ClientRequest
from tests.providers.helpers import people_data

PASSWORD = "a long and unguessable passphrase"

ABOUT = {"name": "Smethwick Knit and Natter", "description": "A small group that meets to knit and chat.",
         "legal_form": "unincorporated_group", "independent": "yes", "parent_body": ""}
# One person paid for half a week (0.5 full-time equivalent) and three volunteers making one full-time worker.
WORKERS = people_data(("paid", "18.75"), ("unpaid", "12.5"), ("unpaid", "12.5"), ("unpaid", "12.5"))
# What a provider types into each section of the section editor (helper A's forms), in task-list order.
SECTION_ANSWERS: dict[str, dict[str, Any]] = {
    "about": {"name": "Tuesday Knit and Natter", "description": "Knitting, tea and a chat for anyone who is lonely.",
              "capacity_status": "taking_new_people", "categories": ["leisure-arts", "friendship"]},
    "when": {"schedules-0-kind": "weekly", "schedules-0-weekday": "TU", "schedules-0-opens_at": "10am",
             "schedules-0-closes_at": "12pm"},
    "where": {"ways": ["remote"]},
    "cost": {"costs": ["free"]},
    "who": {"eligibility_description": "Adults who would like company"},
    "accessibility": {},
    "contact": {"email": "knit@example.org", "phone": "0121 496 0000"},
}


def link_in(inbox: Any, address: str, path: str) -> str:
    """Return the path of the one link to ``path`` in the newest email to ``address``."""
    messages = inbox.to(address)
    assert messages, f"no email to {address}"
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", inbox.body(messages[-1]))
    assert match, f"no {path} link in: {inbox.body(messages[-1])}"
    return match.group(1)


def register_account(client: ClientRequest, inbox: Any, email: str, name: str = "Asha Patel",
                     next_url: str | None = None) -> User:
    """Go from "enter your email" to a signed-in provider account through the emailed link."""
    url = "/register/email" + (f"?next={next_url}" if next_url else "")
    page = client.post(url, {"email": email}, expected_status=200)
    assert page.h1 == "Check your email"
    verify = link_in(inbox, email.lower(), "/register/verify/")
    page = client.post(verify, {"name": name, "password": PASSWORD, "confirm": PASSWORD})
    assert page.response.headers["Location"] == (next_url or "/register/organisation")
    user = db.session.scalar(db.select(User).where(User.email == email.lower()))
    assert user is not None
    return user


def create_organisation(client: ClientRequest, **changes: str) -> Service:
    """Answer "About your organisation"; return the draft listing it made."""
    page = client.post("/register/organisation", {**ABOUT, **changes})
    location = page.response.headers["Location"]
    match = re.fullmatch(r"/register/services/([0-9a-f-]+)/workers", location)
    assert match, location
    service = db.session.get(Service, match.group(1))
    assert service is not None
    return service


def statuses(page: Any) -> dict[str, str]:
    """Return task title -> status as the task list shows them."""
    rows = {}
    for item in page.select(".govuk-task-list__item"):
        title = item.select_one(".govuk-task-list__name-and-hint").get_text(" ", strip=True)
        rows[title.split(" Optional")[0]] = item.select_one(".govuk-task-list__status").get_text(" ", strip=True)
    return rows
