"""Validate ORUK 3.0 JSON against the published schemas, offline, and run the ORUK validator's steps on a feed.

The schemas in ``spec/schema`` carry no ``$id``; their ``$ref``s are absolute URLs under ``SCHEMA_BASE``, so each
file is registered under that URL. Nothing is fetched from the network.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).resolve().parent / "spec"
SCHEMA_DIR = SPEC_DIR / "schema"
SCHEMA_BASE = "https://openreferraluk.org/specifications/3.0/schema/"

# The ORUK validator's list endpoints and the schemas it checks them against (README §4, §8).
LIST_ENDPOINTS: dict[str, tuple[str, str, bool]] = {
    # path: (list schema, item schema, required by ORUK)
    "/services": ("service_list", "service", True),
    "/service_at_locations": ("service_at_location_list", "service_at_location", False),
    "/taxonomies": ("taxonomy_list", "taxonomy", False),
    "/taxonomy_terms": ("taxonomy_term_list", "taxonomy_term", False),
    "/organizations": ("organization_list", "organization", False),
}
RANDOM_IDS_PER_ENDPOINT = 10


def schema_names() -> list[str]:
    """Return the names of the schemas shipped with microdir (file names without ``.json``)."""
    return sorted(p.stem for p in SCHEMA_DIR.glob("*.json"))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return one published schema as a dict."""
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    """Return a registry holding every shipped schema under its published URL."""
    resources = [
        (SCHEMA_BASE + f"{name}.json", Resource.from_contents(load_schema(name), default_specification=DRAFT202012))
        for name in schema_names()
    ]
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """Return a draft 2020-12 validator, with format checks, for the schema ``name`` (e.g. "service")."""
    return Draft202012Validator(
        {"$ref": SCHEMA_BASE + f"{name}.json"}, registry=registry(), format_checker=FormatChecker()
    )


def errors(instance: Any, name: str) -> list[str]:
    """Return readable schema errors for ``instance`` against schema ``name``; empty when it is valid."""
    found = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in found]


def is_valid(instance: Any, name: str) -> bool:
    return validator(name).is_valid(instance)


# ---- the importer's fast check ------------------------------------------------------------------------------
# jsonschema walks a full service in about 1.2-1.5 ms (650-850/s unloaded), more than the whole database write
# of a record, so an import validates with jsonschema_rs first (compiled once, ~1000x faster) and asks jsonschema
# only for the reasons when a record fails. Both apply the same format checks: jsonschema's own checkers are
# handed to jsonschema_rs, so a record passes or fails the same way whichever one looks at it.


def _inlined(node: Any) -> Any:
    """Return a schema with every ``$ref`` to a shipped schema replaced by that schema (they do not recurse)."""
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_BASE) and ref.endswith(".json"):
        target = {k: v for k, v in _inlined(load_schema(ref[len(SCHEMA_BASE) : -len(".json")])).items() if k != "$schema"}
        rest = {k: _inlined(v) for k, v in node.items() if k != "$ref"}
        return {**rest, "allOf": [target]} if rest else target
    return {k: _inlined(v) for k, v in node.items()}


CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@cache
def _fast_validator(name: str) -> Any:
    """Return a compiled jsonschema_rs validator for ``name``, or None when jsonschema_rs is not installed."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - it is in requirements.txt; the pure-Python path still works
        return None
    checker = FormatChecker()

    def conforms_to(fmt: str) -> Callable[[str], bool]:
        return lambda value: checker.conforms(value, fmt)

    formats = {fmt: conforms_to(fmt) for fmt in checker.checkers}
    # Every id is a uuid: the canonical form passes on a regex (it surely conforms); anything else asks jsonschema.
    formats["uuid"] = lambda value: bool(CANONICAL_UUID.fullmatch(value)) or checker.conforms(value, "uuid")
    return jsonschema_rs.Draft202012Validator(_inlined(load_schema(name)), formats=formats, validate_formats=True)


def record_errors(instance: Any, name: str) -> list[str]:
    """Return ``errors(instance, name)``, quickly for a valid instance (the usual case when importing)."""
    fast = _fast_validator(name)
    if fast is not None and fast.is_valid(instance):
        return []
    return errors(instance, name)


# ---- the validator's steps (README §8) ----------------------------------------------------------------------

Fetch = Callable[[str], tuple[int, Any]]  # path relative to the API root -> (status, parsed JSON or None)


@dataclass
class Step:
    """One request of the self-test and what was wrong with its answer."""

    path: str
    schema: str
    required: bool
    status: int
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return 200 <= self.status < 300 and not self.problems


@dataclass
class SelfTestResult:
    steps: list[Step]
    warnings: list[str]

    @property
    def is_valid(self) -> bool:
        """True when every required endpoint passed: the ORUK validator's ``isValid``."""
        return all(step.passed for step in self.steps if step.required)

    @property
    def failures(self) -> list[Step]:
        return [step for step in self.steps if not step.passed]


def _check(fetch: Fetch, path: str, schema: str, required: bool) -> tuple[Step, Any]:
    status, body = fetch(path)
    step = Step(path, schema, required, status)
    if not 200 <= status < 300:
        step.problems.append(f"answered with status {status}")
    elif body is None:
        step.problems.append("did not answer with JSON")
    else:
        step.problems.extend(errors(body, schema))
    return step, body


def run_self_test(fetch: Fetch, *, rng: random.Random | None = None) -> SelfTestResult:
    """Do what the ORUK validator does: GET /, each list's first, middle and last page, up to 10 random ids each."""
    rng = rng or random.Random()
    steps: list[Step] = []
    warnings: list[str] = []
    root, body = _check(fetch, "/", "api_details", True)
    steps.append(root)
    if isinstance(body, dict) and body.get("version") != "HSDS-UK-3.0":
        root.problems.append(f"version is {body.get('version')!r}, not 'HSDS-UK-3.0'")
    for path, (list_schema, item_schema, required) in LIST_ENDPOINTS.items():
        first, page = _check(fetch, f"{path}?page=1", list_schema, required)
        steps.append(first)
        if not isinstance(page, dict):
            continue
        ids = [item.get("id") for item in page.get("contents", []) if isinstance(item, dict)]
        total_pages = page.get("total_pages") or 0
        if isinstance(total_pages, int) and total_pages > 1:
            for number in sorted({(total_pages + 1) // 2, total_pages} - {1}):
                step, more = _check(fetch, f"{path}?page={number}", list_schema, required)
                steps.append(step)
                if isinstance(more, dict):
                    ids += [item.get("id") for item in more.get("contents", []) if isinstance(item, dict)]
        ids = [i for i in ids if isinstance(i, str)]
        if not ids:
            warnings.append(f"{path}: the list is empty, so no records could be fetched by id")
            continue
        for record_id in rng.sample(ids, min(RANDOM_IDS_PER_ENDPOINT, len(ids))):
            step, _ = _check(fetch, f"{path}/{record_id}", item_schema, required)
            steps.append(step)
    return SelfTestResult(steps, warnings)
