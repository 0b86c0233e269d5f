"""Helpers for the moderation tests: an organisation with a member, and links read out of emails."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from microdir.models import Role
from microdir.search.queries import SearchRequest, search_services
from tests import factories
from tests.conftest import Inbox

LINK = re.compile(r"https?://\S+/listing-check/\S+")


def provider_with_listing(email: str = "ann@example.org", **service: Any) -> tuple[Any, Any, Any]:
    """Return (organisation, provider, published service)."""
    organization = factories.create_organization(name="Smethwick Friends")
    provider = factories.create_user(Role.PROVIDER, organizations=[organization], email=email)
    listing = factories.create_service(organization, **{"name": "Tuesday Tea Club", **service})
    return organization, provider, listing


def confirm_path(smtpd: Inbox, address: str, index: int = -1) -> str:
    """Return the path of the "still right" link in the ``index``th email to ``address``."""
    message = smtpd.to(address)[index]
    found = LINK.search(smtpd.body(message))
    assert found, smtpd.body(message)
    return urlsplit(found.group(0)).path


def search_ids(text: str) -> list[str]:
    return [hit.service_id for hit in search_services(SearchRequest(text=text)).hits]
