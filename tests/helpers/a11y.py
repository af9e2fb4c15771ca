"""Accessibility audits in the browser: axe-core (Deque's engine, the copy
shipped in the PyPI package `axe-playwright-python`) run by Playwright on a
page, its violations counted by impact."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List

from axe_playwright_python.sync_playwright import Axe

# WCAG 2.0 and 2.1, levels A and AA, plus Deque's best practices
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")

_axe = Axe()


def audit(page: Any) -> List[Dict[str, Any]]:
    """axe-core's violations on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS},
                                      "resultTypes": ["violations"]})
    return results.response["violations"]


def by_impact(violations: List[Dict[str, Any]]) -> Dict[str, int]:
    """Violated rules per impact (each rule once, whatever the number of elements)."""
    counts = Counter(v.get("impact") or "minor" for v in violations)
    return {impact: counts.get(impact, 0) for impact in IMPACTS}


def describe(violations: List[Dict[str, Any]]) -> str:
    """One line per violated rule: impact, rule id, elements, first target."""
    return "\n".join(
        f"{v.get('impact')}: {v['id']} ({len(v['nodes'])} elements, e.g. {v['nodes'][0]['target']}): {v['help']}"
        for v in violations
    )


def axe_version() -> str:
    head = _axe.axe_script[:40]
    return head.split("axe v", 1)[1].split()[0] if "axe v" in head else "?"
