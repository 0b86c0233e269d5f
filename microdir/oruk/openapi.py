"""Derive microdir's OpenAPI document from the published ORUK one: same paths and schemas, exact parameters.

The published file's schema ``$ref``s point at openreferraluk.org; here the schemas are inlined under
``components/schemas`` so the document resolves offline (schemathesis, Swagger UI, the ORUK validator's
``openapi_url`` fallback). Parameters get the types and ranges microdir enforces.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from ..geo.postcodes import STANDARD_POSTCODE_PATTERN
from .validate import SCHEMA_BASE, SPEC_DIR, load_schema, schema_names

# Keywords of the ORUK/datapackage tooling that are not JSON Schema; dropped so generators do not trip on them.
_NOT_SCHEMA = {"constraints", "core", "datapackage_metadata", "datapackage_type", "tabular_required", "example", "path", "name"}

UUID = {"type": "string", "format": "uuid"}
BOOLEAN = {"type": "boolean"}
# Every request carrying a null character is refused with a 400 (microdir/errors.py): free text says so in its schema.
NO_NULL_CHARACTER = "^[^\\x00]*$"


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description, "schema": schema}


PARAMETERS: dict[str, dict[str, Any]] = {
    "search": _param(
        "search", "Full text search (microdir's search: stems, synonyms, categories). A null character is refused (400).",
        {"type": "string", "pattern": NO_NULL_CHARACTER},
    ),
    "page": _param("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
    "per_page": _param("per_page", "Items per page, 1 to 100 (default 50).", {"type": "integer", "minimum": 1, "maximum": 100}),
    "format": _param(
        "format", "json (default) or ndjson: every result, one JSON object a line, without paging.",
        {"type": "string", "enum": ["json", "ndjson"]},
    ),
    "taxonomy_term_id": _param("taxonomy_term_id", "Only services tagged with this taxonomy term.", UUID),
    "taxonomy_id": _param("taxonomy_id", "Only services tagged with any term of this taxonomy.", UUID),
    "organization_id": _param("organization_id", "Only services of this organisation.", UUID),
    "modified_after": _param(
        "modified_after", "Only services modified on or after this RFC 3339 date-time.", {"type": "string", "format": "date-time"}
    ),
    "minimal": _param("minimal", "Only id, name, status and last_modified (and modified_date); every service in one page unless per_page is given.", BOOLEAN),
    "full": _param("full", "Fully nested items.", BOOLEAN),
    "full_service": _param("full_service", "Nest each organisation's published services in full.", BOOLEAN),
    "postcode": _param(
        "postcode",
        "A full UK postcode, resolved offline. Without proximity: the venues of services whose area served covers "
        "the postcode (their council, their postcode district, or a radius around a point that reaches it), nearest "
        "venue first; a service with no area served, or offered only by phone or online, covers no postcode. With "
        "proximity: only venues within that many metres of the postcode's centroid. There is no widening radius. "
        "A well-formed but unknown postcode gives an empty result.",
        {"type": "string", "pattern": f"^{STANDARD_POSTCODE_PATTERN}$"},
    ),
    "proximity": _param(
        "proximity", "Metres from the postcode's centroid: only venues within it are listed, whatever the service's area "
        "served; ignored without a postcode.", {"type": "integer", "minimum": 1, "maximum": 1_000_000}
    ),
    "top_only": _param("top_only", "Only terms with no parent.", BOOLEAN),
    "parent_id": _param("parent_id", "Only terms whose parent is this term.", UUID),
}

PATHS: dict[str, tuple[str, str, str, list[str], str]] = {
    # path: (operationId, tag, response schema, parameters, summary)
    "/": ("getAPIMetaInformation", "required", "api_details", [], "Information about this API"),
    "/services": (
        "getPaginatedListOfServices", "required", "service_list",
        ["search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id", "organization_id",
         "modified_after", "minimal", "full"],
        "Published services, one-to-one fields, paged",
    ),
    "/services/{id}": ("getFullyNestedServiceById", "required", "service", [], "One published service, fully nested"),
    "/service_at_locations": (
        "getPaginatedListOfServiceAtLocation", "Optional", "service_at_location_list",
        ["search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "full", "page",
         "per_page", "format", "postcode", "proximity"],
        "Venues of published services, paged",
    ),
    "/service_at_locations/{id}": (
        "getServiceAtLocationWithNestedDataById", "Optional", "service_at_location", [], "One venue, fully nested"
    ),
    "/taxonomies": ("getPaginatedListOfTaxonomies", "Optional", "taxonomy_list", ["search", "page", "per_page", "format"], "Taxonomies"),
    "/taxonomies/{id}": ("getTaxonomyById", "Optional", "taxonomy", [], "One taxonomy with its terms"),
    "/taxonomy_terms": (
        "getPaginatedListOfTaxonomyTerms", "Optional", "taxonomy_term_list",
        ["search", "page", "per_page", "format", "taxonomy_id", "top_only", "parent_id"],
        "Taxonomy terms",
    ),
    "/taxonomy_terms/{id}": ("getTaxonomyTermById", "Optional", "taxonomy_term", [], "One taxonomy term"),
    "/organizations": (
        "getPaginatedListOfOrganizations", "Optional", "organization_list",
        ["search", "full_service", "full", "page", "per_page", "format"],
        "Organisations with published services",
    ),
    "/organizations/{id}": ("getOrganizationById", "Optional", "organization", ["full_service"], "One organisation"),
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message", "status"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "status": {"type": "integer"}},
}


def _strip(schema: Any) -> Any:
    """Drop tooling keywords and point ``$ref``s at ``components/schemas``."""
    if isinstance(schema, list):
        return [_strip(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NOT_SCHEMA:
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_BASE):
            out[key] = "#/components/schemas/" + value[len(SCHEMA_BASE):].removesuffix(".json")
        elif key == "format" and value == "csv":
            continue
        elif key == "properties" and isinstance(value, dict):
            out[key] = {prop: _strip(sub) for prop, sub in value.items()}  # property names are kept, even "name"
        else:
            out[key] = _strip(value)
    return out


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


@cache
def _document_template() -> str:
    published = json.loads((SPEC_DIR / "openapi.json").read_text(encoding="utf-8"))
    schemas = {name: _strip(load_schema(name)) for name in schema_names()}
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for path, (operation_id, tag, schema, params, summary) in PATHS.items():
        parameters = [PARAMETERS[p] for p in params]
        if "{id}" in path:
            parameters = [_param("id", "The record's UUID.", UUID, where="path"), *parameters]
        responses: dict[str, Any] = {
            "200": {"description": summary, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
            "304": {"description": "Not modified since the ETag or date the client sent."},
            "400": _error("A parameter is not valid; the message says which and why."),
            "429": _error("Too many requests: slow down and try again in a minute."),
        }
        if "format" in params:
            responses["200"]["content"]["application/x-ndjson"] = {"schema": {"type": "string"}}
        if "{id}" in path:
            responses["404"] = _error("No published record has this id.")
        paths[path] = {"get": {"operationId": operation_id, "tags": [tag], "summary": summary, "parameters": parameters, "responses": responses}}
    paths["/download"] = {
        "get": {
            "operationId": "downloadAllServices",
            "tags": ["Optional"],
            "summary": "The whole published directory as ndjson of fully nested services",
            "responses": {
                "200": {"description": "One fully nested service a line.", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
                "429": _error("Too many requests."),
            },
        }
    }
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "microdir open data (Open Referral UK 3.0)",
            "version": published["info"]["version"],
            "description": (
                "Open Referral UK 3.0 (HSDS-UK-3.0) feed of the microdir directory of micro-providers. Public, no key. "
                "Derived from the published ORUK OpenAPI document and schemas "
                "(https://openreferraluk.org/specifications/3.0/). Data: Open Government Licence v3.0."
            ),
            "license": {"name": "Open Government Licence v3.0", "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "__BASE__"}],
        "tags": [{"name": "required", "description": "Required by ORUK"}, *published.get("tags", [])],
        "paths": paths,
        "components": {"schemas": schemas},
    }
    return json.dumps(document)


def build_openapi(base_url: str) -> dict[str, Any]:
    """Return the OpenAPI document with ``base_url`` (the API root, no trailing slash) as its server."""
    document = json.loads(_document_template())
    document["servers"] = [{"url": base_url}]
    return copy.deepcopy(document)
