"""The domain is below the pages: no module in microdir/domain (or its packages) imports a blueprint's module."""

from __future__ import annotations

import ast
from pathlib import Path

import microdir

PACKAGE = Path(microdir.__file__).parent
PAGE_PACKAGES = {"admin", "auth", "moderation", "providers", "public", "referrals", "registration",
                 "revisions_review", "insights"}


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as an absolute dotted name (imports inside functions too)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)  # "." is the module's package
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".")[: -node.level] if node.level else []
            name = ".".join([*base, node.module] if node.module else base)
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def _is_page_module(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 2 and parts[0] == "microdir" and parts[1] in PAGE_PACKAGES


def test_no_domain_module_imports_a_page_module() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / "domain").rglob("*.py"))
        for name in _imported_modules(path)
        if _is_page_module(name)
    }
    assert not offenders
