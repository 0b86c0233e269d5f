"""`flask demo load` and `flask demo accounts`: enough varied, realistic data to show every part of microdir."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from microdir.demo import init_app as demo_init_app
from microdir.demo.builder import DEMO_ACCOUNTS, DemoBuilder, demo_id, split_sentences
from microdir.demo.content import COUNCIL_NAMES, DEMO_PASSWORD
from microdir.domain.listings import assess_micro_provider, workforce_figures
from microdir.domain.taxonomy import CATEGORIES, NEEDS, term_id
from microdir.extensions import db
from microdir.models import (
    AreaType,
    Attribute,
    CostOption,
    CostType,
    ListingStatus,
    MicroProviderProfile,
    Organization,
    QualityCheck,
    Role,
    Schedule,
    Service,
    ServiceArea,
    ServiceStatus,
    User,
    utcnow,
)
from tests.pages import ClientRequest


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner with the demo commands registered (create_app may not register them yet)."""
    if "demo" not in app.cli.commands:
        demo_init_app(app)
    return app.test_cli_runner()


def _load(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_one_demo_load_is_full_varied_and_deterministic(app: Flask, runner: Any) -> None:
    """Loading takes a while (every commit also updates the search index), so one load serves three checks."""
    result = _load(runner, "--seed", "1")
    assert "organisations" in result.output
    _check_full_varied_directory(app)
    _check_descriptions_are_unique_and_sentences_not_overused(app)
    _check_every_workforce_is_stored_person_by_person(app)
    _check_load_is_deterministic_and_if_empty_skips(app, runner)


def _check_full_varied_directory(app: Flask) -> None:
    with app.app_context():
        orgs = list(db.session.scalars(db.select(Organization)))
        services = list(db.session.scalars(db.select(Service)))
        assert len(orgs) >= 200
        assert 230 <= len(services) <= 280

        used_terms = set(db.session.scalars(db.select(Attribute.taxonomy_term_id).where(Attribute.link_type == "service")))
        assert {term_id("categories", c[0]) for c in CATEGORIES} <= used_terms
        assert {term_id("needs", n[0]) for n in NEEDS} <= used_terms
        for service in services:
            assert 1 <= sum(1 for a in service.attributes if a.taxonomy_term.term_uri.split("/")[-2] == "categories") <= 2
            assert 1 <= sum(1 for a in service.attributes if a.taxonomy_term.term_uri.split("/")[-2] == "needs") <= 4
            assert all(a.link_id == service.id for a in service.attributes)

        councils = {addr.state_province for s in services for loc in s.locations for addr in loc.addresses}
        assert councils == set(COUNCIL_NAMES.values())

        schedules = list(db.session.scalars(db.select(Schedule)))
        assert any(s.freq == "WEEKLY" and s.interval == 1 and len(s.byday) == 2 for s in schedules)
        assert any(s.freq == "WEEKLY" and s.interval == 2 and s.dtstart for s in schedules)
        assert any(s.freq == "MONTHLY" and s.byday[0] in "1234" for s in schedules)
        assert any(s.freq == "MONTHLY" and s.byday.startswith("-1") for s in schedules)
        one_offs = [s for s in schedules if s.freq is None]
        assert one_offs and all(s.valid_from == s.valid_to == s.dtstart and s.dtstart > utcnow().date() for s in one_offs)
        assert any(s.term_time_only for s in schedules)

        assert set(db.session.scalars(db.select(CostOption.cost_type))) == set(CostType)
        assert all(c.amount is not None for c in db.session.scalars(db.select(CostOption).where(CostOption.cost_type == CostType.FIXED)))
        assert set(db.session.scalars(db.select(ServiceArea.area_type))) == set(AreaType)
        remote = [s for s in services if any(a.area_type is AreaType.REMOTE for a in s.service_areas)]
        assert remote and all(not s.locations for s in remote)

        states = Counter(s.listing_status for s in services)
        assert states[ListingStatus.PUBLISHED] > 200
        assert 8 <= states[ListingStatus.PENDING_REVIEW] <= 12
        assert any(s.first_published_at is None for s in services if s.listing_status is ListingStatus.PENDING_REVIEW)
        assert states[ListingStatus.SUSPENDED] and states[ListingStatus.ARCHIVED] and states[ListingStatus.DRAFT]
        year_ago = utcnow() - timedelta(days=365)
        stale = [s for s in services if s.listing_status is ListingStatus.PUBLISHED and s.last_verified_at < year_ago]
        assert 10 <= len(stale) <= 20
        assert any(s.status is ServiceStatus.TEMPORARILY_CLOSED for s in services)

        verdicts = [assess_micro_provider(o.profile) for o in orgs]
        failing = [v for v in verdicts if not v.is_micro_provider]
        assert all(o.profile is not None for o in orgs) and 5 <= len(failing) <= 8

        today = utcnow().date()
        checks = list(db.session.scalars(db.select(QualityCheck)))
        assert any(c.expires_on and c.expires_on < today for c in checks)
        assert any(c.expires_on and today <= c.expires_on <= today + timedelta(days=30) for c in checks)
        assert sum(1 for c in checks if c.in_force(today)) > len(checks) / 2
        assert any(c.description == "Rating 5" for c in checks)

        assert all(p.number.startswith(("+441214960", "+441614960", "+441632960", "+447700900"))
                   for s in services for p in s.phones)
        assert all(s.email.endswith(".example.org") for s in services)


def _check_every_workforce_is_stored_person_by_person(app: Flask) -> None:
    """Each organisation lists its people (paid or not, weekly hours), and its figures are the ones they add up to."""
    with app.app_context():
        profiles = list(db.session.scalars(db.select(MicroProviderProfile)))
        assert len(profiles) == db.session.scalar(db.select(db.func.count(Organization.id)))
        for profile in profiles:
            assert profile.people is not None, profile.organization_id
            people = [(p["paid"], Decimal(p["hours"])) for p in profile.people]
            assert all(Decimal("0") < hours <= Decimal("100") for _, hours in people)
            figures = workforce_figures(people)
            assert (profile.paid_workers, profile.paid_workers_fte, profile.unpaid_workers, profile.unpaid_workers_fte) \
                == (figures.paid_workers, figures.paid_workers_fte, figures.unpaid_workers, figures.unpaid_workers_fte)
        hours = [p["hours"] for profile in profiles for p in profile.people]
        assert len(set(hours)) > 50  # not one figure shared out evenly


def _check_descriptions_are_unique_and_sentences_not_overused(app: Flask) -> None:
    with app.app_context():
        descriptions = list(db.session.scalars(db.select(Service.description)))
    assert len(set(descriptions)) == len(descriptions)
    uses = Counter(sentence for d in descriptions for sentence in split_sentences(d))
    assert max(uses.values()) <= 3, [s for s, n in uses.items() if n > 3]
    assert all(3 <= len(split_sentences(d)) <= 6 for d in descriptions)


def _check_load_is_deterministic_and_if_empty_skips(app: Flask, runner: Any) -> None:
    with app.app_context():
        first = sorted(db.session.scalars(db.select(Service.id)))
        # The people come from the seed alone: a fresh builder gives the stored rows again.
        fresh = DemoBuilder(1)
        for key in ("org/0", "org/1", "org/2"):
            profile = db.session.get(Organization, demo_id(1, key)).profile
            paid = [p for p in profile.people if p["paid"]]
            assert fresh.people(key, True, profile.paid_workers, profile.paid_workers_fte) == paid
        count = len(first)
    result = _load(runner, "--if-empty")
    assert "not loaded" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Service.id))) == count
    assert runner.invoke(args=["demo", "load"]).exit_code != 0  # never doubles the data by accident
    assert demo_id(1, "org/0/service/0") in first


def test_accounts_one_per_role_and_idempotent(app: Flask, runner: Any, client_request: ClientRequest) -> None:
    _load(runner)
    first = runner.invoke(args=["demo", "accounts"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "accounts"])
    assert second.exit_code == 0, second.output
    for _, email, _, _ in DEMO_ACCOUNTS:
        assert email in first.output
    assert DEMO_PASSWORD in first.output
    with app.app_context():
        users = list(db.session.scalars(db.select(User)))
        assert len(users) == len(DEMO_ACCOUNTS)
        assert {u.role for u in users} == set(Role)
        by_email = {u.email: u for u in users}
        assert len(by_email["provider@demo.example.org"].organizations) == 2
        assert len(by_email["provider2@demo.example.org"].organizations) == 1
        assert by_email["linkworker@demo.example.org"].team.name == "Cape Hill Medical Centre"
        assert by_email["linkworker2@demo.example.org"].team.kind.value == "council_team"
    from microdir.domain.accounts import authenticate

    with app.app_context():
        assert authenticate("moderator@demo.example.org", DEMO_PASSWORD) is not None
        db.session.rollback()
    _check_demo_provider_sees_its_people_and_a_certificate(app, client_request)


def _check_demo_provider_sees_its_people_and_a_certificate(app: Flask, client_request: ClientRequest) -> None:
    """The demo provider's "Your workers" shows the people as stored (no even split), and one of its checks has a
    PDF certificate that the provider and a moderator can download."""
    with app.app_context():
        provider = db.session.scalar(db.select(User).where(User.email == "provider@demo.example.org"))
        moderator = db.session.scalar(db.select(User).where(User.email == "moderator@demo.example.org"))
        organization = min(provider.organizations, key=lambda o: o.name.lower())
        people = organization.profile.people
        check = next(c for c in organization.quality_checks if c.document is not None)
        check_id, service_id, filename = check.id, organization.services[0].id, check.document.filename
    client_request.sign_in(provider, DEMO_PASSWORD)
    page = client_request.get(f"/provider/organisations/{organization.id}/workers")
    assert not page.select("#estimated")
    shown = [field["value"] for field in page.select("input[name$='-hours']") if field.get("value")]
    assert shown and shown == [format(Decimal(p["hours"]).normalize(), "f") for p in people]
    assert filename in client_request.get("/provider/").text()
    download = client_request.client.get(f"/provider/checks/{check_id}/document/file")
    pdf = download.get_data()
    download.close()  # a download holds its file open until closed
    assert download.mimetype == "application/pdf" and pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    for offset in re.findall(rb"\n(\d{10}) 00000 n ", pdf):  # every cross-reference points at its object
        assert re.match(rb"\d+ 0 obj", pdf[int(offset):])
    client_request.sign_out()
    client_request.sign_in(moderator, DEMO_PASSWORD)
    assert filename in client_request.get(f"/moderation/listings/{service_id}").text()
    again = client_request.client.get(f"/provider/checks/{check_id}/document/file")
    assert again.status_code == 200 and again.get_data() == pdf
    again.close()
