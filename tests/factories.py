"""Factories: each creates a valid object with sensible defaults, overridable by keyword, and commits it."""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from microdir.domain.taxonomy import term_id
from microdir.extensions import db
from microdir.models import (
    Address,
    AreaType,
    Attribute,
    CostOption,
    CostType,
    LegalForm,
    ListingStatus,
    Location,
    MicroProviderProfile,
    Organization,
    Role,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Team,
    User,
    VerifiedHow,
    new_uuid,
    utcnow,
)

PASSWORD = "correct horse battery staple"
# Staff made by create_user have two-factor sign-in set up with this secret, so tests can make their codes.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)


def create_team(**overrides: Any) -> Team:
    team = Team(name=overrides.pop("name", f"Test Practice {next(_counter)}"), **overrides)
    db.session.add(team)
    db.session.commit()
    return team


def create_user(role: Role | str = Role.PROVIDER, *, two_factor: bool | None = None, **overrides: Any) -> User:
    """Create an account. Staff who must use two-factor sign-in get it set up with ``TOTP_SECRET``, unless
    ``two_factor=False`` (to test enrolment); ``two_factor=True`` sets it up for a provider too."""
    from microdir.domain import two_factor as tf
    from microdir.domain.accounts import create_user as create

    role = Role(role)
    n = next(_counter)
    team = overrides.pop("team", None)
    if role is Role.LINK_WORKER and team is None:
        team = create_team()
    organizations = overrides.pop("organizations", None)
    if role is Role.PROVIDER and organizations is None:
        organizations = [create_organization()]
    user = create(
        overrides.pop("email", f"{role.value}{n}@example.com"),
        overrides.pop("name", f"Test {role.label} {n}"),
        overrides.pop("password", PASSWORD),
        role,
        team=team,
        organizations=organizations or [],
    )
    for key, value in overrides.items():
        setattr(user, key, value)
    if two_factor if two_factor is not None else role in tf.REQUIRED_ROLES:
        user.totp_secret = TOTP_SECRET
        user.totp_enabled_at = utcnow()
    db.session.commit()
    return user


def totp_code(user: User) -> str:
    """Return the code the person's authenticator app shows now.

    A code works once per 30-second step, and tests sign the same person in several times within one step, so the
    record of the last code used is cleared first (as if the test had waited for the next code).
    """
    import pyotp

    fresh = db.session.get(User, user.id)
    assert fresh is not None and fresh.totp_secret, f"{user.email} has no two-factor sign-in"
    db.session.refresh(fresh)
    fresh.totp_last_counter = None
    db.session.commit()
    return pyotp.TOTP(fresh.totp_secret).now()


def create_organization(**overrides: Any) -> Organization:
    n = next(_counter)
    profile = overrides.pop("profile", None)
    org = Organization(
        name=overrides.pop("name", f"Test Organisation {n}"),
        description=overrides.pop("description", "A small local group."),
        email=overrides.pop("email", f"hello{n}@example.org"),
        **overrides,
    )
    org.profile = profile or MicroProviderProfile(
        legal_form=LegalForm.UNINCORPORATED_GROUP,
        paid_workers=1,
        paid_workers_fte=Decimal("0.5"),
        unpaid_workers=4,
        unpaid_workers_fte=Decimal("1.5"),
        independent=True,
    )
    db.session.add(org)
    db.session.commit()
    return org


def create_service(organization: Organization | None = None, **kwargs: Any) -> Service:
    """Create a published service at a venue (unless ``postcode`` is None), weekly on Tuesdays, free; commit it."""
    service = build_service(organization, **kwargs)
    db.session.commit()
    return service


def build_service(
    organization: Organization | None = None,
    *,
    postcode: str | None = "B66 1AA",
    latitude: float = 52.49643,
    longitude: float = -1.97264,
    categories: tuple[str, ...] = ("friendship",),
    needs: tuple[str, ...] = ("loneliness",),
    area: AreaType | None = None,
    **overrides: Any,
) -> Service:
    """Build a published service like ``create_service`` and add it to the session, without committing."""
    organization = organization or create_organization()
    now = utcnow()
    service_id = new_uuid()
    service = Service(
        id=service_id,
        organization=organization,
        name=overrides.pop("name", f"Test Service {next(_counter)}"),
        description=overrides.pop("description", "A friendly weekly group."),
        listing_status=overrides.pop("listing_status", ListingStatus.PUBLISHED),
        first_published_at=overrides.pop("first_published_at", now - timedelta(days=30)),
        last_verified_at=overrides.pop("last_verified_at", now - timedelta(days=10)),
        verified_how=overrides.pop("verified_how", VerifiedHow.PROVIDER_CONFIRMED),
        **overrides,
    )
    if postcode:
        location = Location(
            organization=organization, name="Community Hall", latitude=latitude, longitude=longitude
        )
        location.addresses.append(
            Address(address_1="1 High Street", city="Smethwick", state_province="Sandwell", postal_code=postcode)
        )
        service.service_at_locations.append(ServiceAtLocation(location=location))
    service.schedules.append(
        Schedule(freq="WEEKLY", interval=1, byday="TU", opens_at=time(10, 0), closes_at=time(12, 0))
    )
    service.cost_options.append(CostOption(cost_type=CostType.FREE, option="Free"))
    if area is not None:
        service.service_areas.append(ServiceArea(area_type=area, lad_codes=["E08000028"]))
    for code in categories:
        service.attributes.append(Attribute(link_id=service_id, link_type="service", taxonomy_term_id=term_id("categories", code)))
    for code in needs:
        service.attributes.append(Attribute(link_id=service_id, link_type="service", taxonomy_term_id=term_id("needs", code)))
    db.session.add(service)
    return service
