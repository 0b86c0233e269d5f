"""One moderation queue: revisions, new listings, claims, reports, expiring checks and stale listings, oldest first."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import time_machine

from microdir.domain import reports
from microdir.domain.provider_profiles import record_quality_check
from microdir.extensions import db
from microdir.jobs import run_due
from microdir.models import QualityCheckType, Role
from tests import factories
from tests.moderation.helpers import provider_with_listing
from tests.pages import ClientRequest
from tests.providers.helpers import new_listing, pending_change

START = datetime(2026, 6, 1, 9, 0)


def _on(day: int) -> Any:
    return time_machine.travel(START + timedelta(days=day), tick=True)


def _make_claim(service: Any) -> bool:
    """Add a claim waiting for a moderator, when the claims module is installed."""
    try:
        from microdir.models.claims import ClaimMethod, ListingClaim
    except ImportError:
        return False
    claimant = factories.create_user(Role.PROVIDER, email="claimant@example.org")
    db.session.add(ListingClaim(service_id=service.id, organization_id=service.organization_id,
                                claimant_id=claimant.id, method=ClaimMethod.MODERATOR, connection="I run it."))
    db.session.commit()
    return True


def test_everything_waiting_is_listed_oldest_first_with_counts(
    app_ctx: Any, client_request: ClientRequest, smtpd: Any
) -> None:
    with _on(0):
        organization, provider, stale = provider_with_listing(name="Old Stale Club",
                                                              last_verified_at=START - timedelta(days=330))
        reports.report_problem(factories.create_service(name="Reported Club"), ["wrong_time"], "Wednesdays now")
        db.session.commit()
    with _on(1):
        new_listing(organization, provider, name="Brand New Club")
    with _on(2):
        pending_change(factories.create_service(organization, name="Changed Club"), provider, name="Changed Club Too")
    with _on(3):
        has_claims = _make_claim(factories.create_service(name="Claimed Club"))
    with _on(6):  # 336 days since Old Stale Club was confirmed: escalated
        run_due()
    record_quality_check(organization, QualityCheckType.DBS, provider, reference="D1", description=None,
                         cover_amount=None, expires_on=date(2026, 6, 20))  # reminder window opened 21 May
    db.session.commit()

    with _on(7):
        client_request.sign_in(factories.create_user(Role.MODERATOR))
        page = client_request.get("/moderation/")

    kinds = [row["data-kind"] for row in page.select("#queue tbody tr")]
    # Grouped by kind, new listings and changes first (issue 15). The DBS check is still the provider's to renew
    # (it has not lapsed), so moderators do not see it yet.
    expected = ["new_listing", "change"] + (["claim"] if has_claims else []) + ["report", "stale"]
    assert kinds == expected
    links = [row.select_one("a") for row in page.select("#queue tbody tr")]
    hrefs = {kind: link["href"] for kind, link in zip(kinds, links, strict=True)}
    assert hrefs["new_listing"].startswith("/moderation/revisions/")
    assert hrefs["stale"] == f"/moderation/listings/{stale.id}"
    assert hrefs["report"].startswith("/moderation/listings/") and "#report-" in hrefs["report"]
    if has_claims:
        assert hrefs["claim"].startswith("/moderation/claims/")
    counts = {kind: page.soup.select_one(f"#count-{kind.replace('_', '-')}").get_text(strip=True)
              for kind in ("new_listing", "change", "claim", "report", "quality_check", "stale")}
    assert counts == {"new_listing": "1", "change": "1", "claim": "1" if has_claims else "0", "report": "1",
                      "quality_check": "0", "stale": "1"}
    assert page.soup.select_one("#queue-total").get_text(strip=True) == f"{len(kinds)} items are waiting for a moderator."


def test_an_empty_queue_says_so(app_ctx: Any, client_request: ClientRequest) -> None:
    client_request.sign_in(factories.create_user(Role.MODERATOR))
    page = client_request.get("/moderation/")
    assert page.soup.select_one("#queue-empty").get_text(strip=True) == "Nothing is waiting for a moderator."
