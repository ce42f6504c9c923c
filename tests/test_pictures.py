"""The pages people look at, in headless Chromium, on a desktop and on a phone: the home page, an
organization's page with its lineage, the history of ALA and a search. Each is kept as a
screenshot under ``test-artifacts/``, and axe-core (from npm, run in the page) finds no serious
or critical violation. What the pictures hold is checked in test_lineage.py.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, LiveServer
from test_browser import Browser, browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "/",
    "organization": "/org/core",
    "history": "/history",
    "search": "/search?q=library+trustees",
}
VIEWPORTS = {"desktop": (1280, 1000), "phone": (390, 844)}


def _axe(page: Browser) -> list[dict[str, object]]:
    """The serious and critical violations axe-core finds in the open page."""
    page.script(AXE.read_text(encoding="utf-8") + "\nreturn true;")
    found = page.call(
        "POST",
        "/execute/async",
        {
            "script": "const done = arguments[arguments.length - 1];"
            "axe.run(document).then(r => done(JSON.stringify(r.violations)));",
            "args": [],
        },
    )
    violations: list[dict[str, object]] = json.loads(found)
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_fits_and_has_no_serious_accessibility_violation(
    browser: Browser,  # noqa: F811
    server: LiveServer,
    name: str,
    viewport: str,
) -> None:
    width, height = VIEWPORTS[viewport]
    browser.call("POST", "/window/rect", {"width": width, "height": height})
    try:
        browser.open(server.url + PAGES[name])
        assert browser.script("return document.querySelector('h1').textContent")
        overflow = browser.script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, "the page itself scrolls sideways (a picture may, in its box)"
        browser.screenshot(f"{name}-{viewport}.png")
        violations = _axe(browser)
        assert not violations, [(v["id"], v["help"]) for v in violations]
    finally:
        browser.call("POST", "/window/rect", {"width": 1280, "height": 1000})
