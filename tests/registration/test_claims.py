"""Claiming a listing nobody manages: by a link sent to its published address, or by a moderator's decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from microdir.domain import claims
from microdir.extensions import db
from microdir.models import AuditEvent, ClaimMethod, ClaimStatus, ListingClaim, Role, utcnow
from tests import factories
from tests.pages import ClientRequest
from tests.registration.helpers import link_in, register_account


def _unclaimed(**org: Any) -> Any:
    organization = factories.create_organization(name="Oldbury Walkers", **org)
    return factories.create_service(organization, name="Wednesday Health Walk")


def _is_member(user: Any, service: Any) -> bool:
    db.session.expire_all()
    return any(o.id == service.organization_id for o in user.organizations)


def test_a_newcomer_claims_a_listing_through_its_published_email_address(
    app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    service = _unclaimed(email="walks@example.org")
    listing = client_request.get(f"/services/{service.id}")
    claim_link = listing.soup.select_one("#claim a")
    assert claim_link.get_text(strip=True) == "Claim this listing"
    start = client_request.get(claim_link["href"])
    assert "walks@example.org" in start.text()
    register = start.soup.find("a", string="Register")["href"]
    assert register == f"/register?next=/services/{service.id}/claim"

    claimant = register_account(client_request, smtpd, "leader@example.com", name="Dee Walker",
                                next_url=f"/services/{service.id}/claim")
    page = client_request.post(f"/services/{service.id}/claim", {"connection": "I lead the walks every week"})
    sent = client_request.get(page.response.headers["Location"])
    assert "We have emailed a link to walks@example.org" in sent.text()
    client_request.get(f"/provider/services/{service.id}/edit", expected_status=403)  # not until confirmed

    confirm = link_in(smtpd, "walks@example.org", "/claims/confirm/")
    assert "Dee Walker (leader@example.com)" in smtpd.body(smtpd.to("walks@example.org")[-1])
    mailbox_owner = ClientRequest(app)
    page = mailbox_owner.get(confirm)
    assert "I lead the walks every week" in page.text()
    assert not _is_member(claimant, service)  # opening the link is not enough: a mail scanner may open it
    page = mailbox_owner.post(confirm, expected_status=200)
    assert page.h1 == "Claim confirmed"

    assert _is_member(claimant, service)
    assert "You can now manage Wednesday Health Walk" in smtpd.to("leader@example.com")[-1]["Subject"]
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.claim.confirm_by_email"))
    assert event.object_id == service.id and event.detail["sent_to"] == "walks@example.org"
    client_request.get(f"/provider/services/{service.id}/edit")
    assert not client_request.get(f"/services/{service.id}").select("#claim")  # it has a member now

    assert mailbox_owner.get(confirm, expected_status=400).h1 == "This link has already been used"


def test_without_a_published_address_a_moderator_approves_the_claim(
    app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    service = _unclaimed(email=None)
    older = _unclaimed(email=None)
    first = factories.create_user(Role.PROVIDER, name="First Claimant")
    earlier = claims.start_claim(older, first, "I started it")
    earlier.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    claimant = factories.create_user(Role.PROVIDER, name="Dee Walker")
    client_request.sign_in(claimant)
    assert "a moderator will check your claim" in client_request.get(f"/services/{service.id}/claim").text()
    page = client_request.post(f"/services/{service.id}/claim", {"connection": "I lead the walks"})
    assert "A moderator will check your claim" in client_request.get(page.response.headers["Location"]).text()
    assert smtpd.messages == []  # nobody to email but the moderators' queue

    pending = claims.pending_claims()
    assert [c.service_name for c in pending] == ["Wednesday Health Walk", "Wednesday Health Walk"]
    assert [c.claimant.name for c in pending] == ["First Claimant", "Dee Walker"]  # oldest first
    claim = pending[1]

    moderator = ClientRequest(app)
    moderator.sign_in(factories.create_user(Role.MODERATOR))
    queue = moderator.get("/moderation/claims")
    assert queue.soup.select_one("#claims-count").get_text() == "2"
    review = moderator.get(f"/moderation/claims/{claim.id}")
    assert "I lead the walks" in review.text() and claimant.email in review.text()
    moderator.post(f"/moderation/claims/{claim.id}/approve", form_url=f"/moderation/claims/{claim.id}")

    assert _is_member(claimant, service)
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.APPROVED and claim.decided_by_id is not None
    (message,) = smtpd.to(claimant.email)
    assert "A moderator approved your claim" in smtpd.body(message)
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.claim.approve"))
    assert [c.id for c in claims.pending_claims()] == [pending[0].id]


def test_a_moderator_rejects_a_claim_with_a_reason(app: Any, app_ctx: Any, client_request: ClientRequest,
                                                   smtpd: Any) -> None:
    service = _unclaimed(email=None)
    claimant = factories.create_user(Role.PROVIDER, name="Dee Walker")
    claim = claims.start_claim(service, claimant, "Trust me")
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    url = f"/moderation/claims/{claim.id}"

    page = client_request.post(f"{url}/reject", {"reason": ""}, expected_status=200, form_url=url)
    assert page.error_summary() == ["Enter the reason you are rejecting this claim"]
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.PENDING and smtpd.messages == []

    client_request.post(f"{url}/reject", {"reason": "The group told us they do not know you."}, form_url=url)
    db.session.refresh(claim)
    assert claim.status is ClaimStatus.REJECTED and not _is_member(claimant, service)
    (message,) = smtpd.to(claimant.email)
    assert "The group told us they do not know you." in smtpd.body(message)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "listing.claim.reject"))
    assert event.reason == "The group told us they do not know you."
    # Deciding twice is refused and changes nothing.
    client_request.post(f"{url}/approve", form_url="/sign-out")
    assert not _is_member(claimant, service)


def test_a_provider_can_never_claim_into_an_organisation_that_has_members(
    app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    organization = factories.create_organization(name="Smethwick Friends")
    factories.create_user(Role.PROVIDER, organizations=[organization])
    service = factories.create_service(organization, name="Tuesday Tea Club")
    intruder = factories.create_user(Role.PROVIDER)
    client_request.sign_in(intruder)

    assert not client_request.get(f"/services/{service.id}").select("#claim")
    assert "already manages this listing" in client_request.get(f"/services/{service.id}/claim").text()
    page = client_request.post(f"/services/{service.id}/claim", {"connection": "It is mine really"},
                               form_url="/sign-out")
    assert "already manages this listing" in client_request.get(page.response.headers["Location"]).text()
    assert db.session.scalar(db.select(db.func.count(ListingClaim.id))) == 0
    assert smtpd.messages == []
    client_request.get(f"/provider/services/{service.id}/edit", expected_status=403)
    client_request.get(f"/register/services/{service.id}/tasks", expected_status=403)


def test_claimants_see_only_their_own_claims(app: Any, app_ctx: Any, client_request: ClientRequest) -> None:
    service = _unclaimed(email=None)
    claim = claims.start_claim(service, factories.create_user(Role.PROVIDER), "Mine")
    db.session.commit()
    client_request.sign_in(factories.create_user(Role.PROVIDER))
    client_request.get(f"/claims/{claim.id}", expected_status=404)
    assert claim.method is ClaimMethod.MODERATOR


def test_expired_and_altered_claim_links_get_a_clear_page(app: Any, app_ctx: Any, client_request: ClientRequest,
                                                          smtpd: Any) -> None:
    service = _unclaimed(email="walks@example.org")
    claimant = factories.create_user(Role.PROVIDER)
    client_request.sign_in(claimant)
    with time_machine.travel(utcnow(), tick=False) as traveller:
        client_request.post(f"/services/{service.id}/claim", {"connection": "I lead it"})
        confirm = link_in(smtpd, "walks@example.org", "/claims/confirm/")
        traveller.shift(app.config["CLAIM_LINK_MAX_AGE"] + 60)
        other = ClientRequest(app)
        assert other.get(confirm, expected_status=400).h1 == "This link has expired"
    assert other.get(confirm[:-4] + "AAAA", expected_status=400).h1 == "This link does not work"
    assert not _is_member(claimant, service)


def test_claiming_again_sends_the_link_again_without_a_second_claim(
    app: Any, app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    service = _unclaimed(email="walks@example.org")
    client_request.sign_in(factories.create_user(Role.PROVIDER))
    for _ in range(2):
        client_request.post(f"/services/{service.id}/claim", {"connection": "I lead the walks"})
    assert db.session.scalar(db.select(db.func.count(ListingClaim.id))) == 1
    assert len(smtpd.to("walks@example.org")) == 2
    limit = int(app.config["CLAIM_RATE_LIMIT"].split()[0])
    for _ in range(limit - 2):
        client_request.post(f"/services/{service.id}/claim", {"connection": "I lead the walks"})
    client_request.post(f"/services/{service.id}/claim", {"connection": "I lead the walks"}, expected_status=429)
    assert len(smtpd.to("walks@example.org")) == limit
