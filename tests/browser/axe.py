"""Accessibility checks with axe-core (npm, pinned in package.json) in a real Chromium page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG22AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": WCAG22AA}, "resultTypes": ["violations"]}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the current page; page.evaluate is not blocked by our strict CSP."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text())
    return page.evaluate("o => axe.run(document, o)", OPTIONS)["violations"]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [n["target"] for n in v["nodes"]][:5]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


def _violations_of_nojs_page(page: Any) -> list[dict[str, Any]]:
    """axe needs JavaScript, so check a no-JS page's exact HTML in a JS-enabled twin at the same URL."""
    browser = page.context.browser
    context = browser.new_context()
    try:
        twin = context.new_page()
        twin.route("**/*.js", lambda route: route.abort())  # keep the twin as the no-JS page rendered
        twin.goto(page.url)
        twin.set_content(page.content())
        return axe_violations(twin)
    finally:
        context.close()


def assert_accessible(page: Any) -> None:
    """Fail with a readable list when axe finds any WCAG 2.2 AA violation on the current page."""
    nojs = getattr(page, "_microdir_nojs", False)
    violations = _violations_of_nojs_page(page) if nojs else axe_violations(page)
    assert violations == [], f"axe found {len(violations)} violation(s) on {page.url}:\n{describe(violations)}"
