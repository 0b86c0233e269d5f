"""A member of an organisation invites a colleague, who can then manage its listings."""

from __future__ import annotations

import re
from typing import Any

from microdir.extensions import db
from microdir.models import AuditEvent, Role, User
from tests import factories
from tests.pages import ClientRequest


def test_a_member_invites_a_colleague_who_chooses_a_password_and_manages_the_listing(
    app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    member = factories.create_user(Role.PROVIDER, name="Asha Patel", organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    client_request.sign_in(member)

    listings = client_request.get("/provider/")
    assert "Your organisation’s members" in listings.text() and "Asha Patel" in listings.text()
    invite = listings.soup.select_one("a[href$='/members/invite']")["href"]
    assert invite == f"/provider/organisations/{organization.id}/members/invite"

    page = client_request.post(invite, {"name": "", "email": "nope"}, expected_status=200)
    assert page.error_summary() == ["Enter your colleague’s full name",
                                    "Enter an email address in the correct format, like name@example.com"]
    assert smtpd.messages == []

    client_request.post(invite, {"name": "Ben Okafor", "email": "Ben@Example.com"})
    colleague = db.session.scalar(db.select(User).where(User.email == "ben@example.com"))
    assert colleague.role is Role.PROVIDER and [o.id for o in colleague.organizations] == [organization.id]
    assert "Ben Okafor" in client_request.get("/provider/").text()
    (message,) = smtpd.to("ben@example.com")
    link = re.search(r"http://\S+(/reset-password/\S+)", smtpd.body(message)).group(1)
    theirs = ClientRequest(app)
    theirs.post(link, {"password": "my own long passphrase", "confirm": "my own long passphrase"})
    theirs.sign_in(colleague, "my own long passphrase")
    theirs.get(f"/provider/services/{service.id}/edit")
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organization.member.invite"))
    assert event.actor_id == member.id and event.object_id == organization.id


def test_an_existing_provider_is_added_and_told(app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    member = factories.create_user(Role.PROVIDER, organizations=[organization])
    other = factories.create_user(Role.PROVIDER, name="Cara Jones", email="cara@example.com")
    client_request.sign_in(member)
    url = f"/provider/organisations/{organization.id}/members/invite"
    client_request.post(url, {"name": "Cara Jones", "email": "cara@example.com"})
    db.session.refresh(other)
    assert organization.id in [o.id for o in other.organizations] and len(other.organizations) == 2
    (message,) = smtpd.to("cara@example.com")
    assert message["Subject"] == "You can now manage Smethwick Friends"
    page = client_request.post(url, {"name": "Cara Jones", "email": "cara@example.com"}, expected_status=200)
    assert page.error_summary() == ["Cara Jones is already a member of Smethwick Friends"]


def test_staff_accounts_cannot_be_invited(app_ctx: Any, client_request: ClientRequest, smtpd: Any) -> None:
    """Issue 13 item 12: a staff account is not made a member, and the form answers as for anyone else (it used to
    say "You cannot invite this email address", which told a provider the address was staff)."""
    organization = factories.create_organization()
    client_request.sign_in(factories.create_user(Role.PROVIDER, organizations=[organization]))
    moderator = factories.create_user(Role.MODERATOR, email="mod@example.com")
    url = f"/provider/organisations/{organization.id}/members/invite"
    for_staff = client_request.post(url, {"name": "Mo", "email": "mod@example.com"})
    staff_banner = client_request.get("/provider/").select(".govuk-notification-banner")[0].get_text(" ", strip=True)
    for_new = client_request.post(url, {"name": "Ned", "email": "ned@example.com"})
    new_banner = client_request.get("/provider/").select(".govuk-notification-banner")[0].get_text(" ", strip=True)
    assert for_staff.response.headers["Location"] == for_new.response.headers["Location"]
    assert staff_banner.replace("mod@example.com", "<email>") == new_banner.replace("ned@example.com", "<email>")
    db.session.refresh(moderator)
    assert moderator.organizations == []
    (notice,) = smtpd.to("mod@example.com")  # the owner is told; nothing changed for their account
    assert "cannot manage listings" in smtpd.body(notice)


def test_only_members_can_invite_into_an_organisation(app: Any, app_ctx: Any, client_request: ClientRequest,
                                                      smtpd: Any) -> None:
    organization = factories.create_organization()
    factories.create_user(Role.PROVIDER, organizations=[organization])
    client_request.sign_in(factories.create_user(Role.PROVIDER))
    url = f"/provider/organisations/{organization.id}/members/invite"
    client_request.get(url, expected_status=403)
    client_request.post(url, {"name": "Sneaky", "email": "sneaky@example.com"}, expected_status=403,
                        form_url="/sign-out")
    assert db.session.scalar(db.select(User).where(User.email == "sneaky@example.com")) is None
    assert smtpd.messages == []
