"""Open data routes in the role x route matrix: the API is open to everyone; the admin pages to admins only."""

from __future__ import annotations

from typing import Any

from microdir.models import Role
from tests.access import EVERYONE, Route


def _published(objects: dict[str, Any]) -> dict[str, str]:
    """Create one published service the first time a URL needs it (the matrix builds objects per role)."""
    if "oruk" not in objects:
        from tests import factories

        service = factories.create_service()
        objects["oruk"] = {
            "service": service.id,
            "sal": service.service_at_locations[0].id,
            "organization": service.organization_id,
            "taxonomy": service.attributes[0].taxonomy_term.taxonomy_id,
            "term": service.attributes[0].taxonomy_term_id,
        }
    return objects["oruk"]


ADMINS = frozenset({Role.ADMIN})

ROUTES = [
    Route("oruk_api.root", "/api/oruk/", EVERYONE),
    Route("oruk_api.openapi", "/api/oruk/openapi.json", EVERYONE),
    Route("oruk_api.services", "/api/oruk/services", EVERYONE),
    Route("oruk_api.service", lambda o: f"/api/oruk/services/{_published(o)['service']}", EVERYONE),
    Route("oruk_api.service_at_locations", "/api/oruk/service_at_locations", EVERYONE),
    Route("oruk_api.service_at_location", lambda o: f"/api/oruk/service_at_locations/{_published(o)['sal']}", EVERYONE),
    Route("oruk_api.taxonomies", "/api/oruk/taxonomies", EVERYONE),
    Route("oruk_api.taxonomy", lambda o: f"/api/oruk/taxonomies/{_published(o)['taxonomy']}", EVERYONE),
    Route("oruk_api.taxonomy_terms", "/api/oruk/taxonomy_terms", EVERYONE),
    Route("oruk_api.taxonomy_term", lambda o: f"/api/oruk/taxonomy_terms/{_published(o)['term']}", EVERYONE),
    Route("oruk_api.organizations", "/api/oruk/organizations", EVERYONE),
    Route("oruk_api.organization", lambda o: f"/api/oruk/organizations/{_published(o)['organization']}", EVERYONE),
    Route("oruk_api.download", "/api/oruk/download", EVERYONE),
    Route("oruk_admin.conformance", "/admin/open-data", ADMINS),
    Route("oruk_admin.import_services", "/admin/open-data/import", ADMINS),
]
