"""The query UI in headless Chromium with the network cut off: it loads and runs a query.

Chromium may reach 127.0.0.1 only: every other host name resolves to nothing and every other
address goes to a proxy that is not there. So the page works only if the app serves all of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from conftest import LiveServer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from libassoc.catalog import QueryCatalog

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ALA_NAME = (
    "SELECT ?name WHERE { <https://w3id.org/libassoc/org/ala> <https://schema.org/name> ?name }"
)
# Run by Chromium before any script of the page: it records what the page's policy refuses.
WATCH_POLICY = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
INLINE_SCRIPT = """
const script = document.createElement("script");
script.textContent = "window.inlineScriptRan = true";
document.body.append(script);
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.fail("chromium and chromium-driver are needed: run `make system-deps`")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_query_ui_loads_offline_and_runs_a_query(
    browser: webdriver.Chrome, server: LiveServer
) -> None:
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_POLICY})
    browser.get(server.sparql)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda b: b.execute_script("return !!window.libassocYasgui"))

    names = browser.execute_script(
        "return Object.values(window.libassocYasgui._tabs).map((tab) => tab.name())"
    )
    competency = [q.name for q in QueryCatalog.from_dir(server.home / "queries").competency()]
    assert names == (competency or ["Query"])

    browser.execute_script(
        "window.libassocYasgui.getTab().getYasqe().setValue(arguments[0])", ALA_NAME
    )
    browser.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasqe_queryButton").click()
    wait.until(
        lambda b: (
            "American Library Association"
            in b.find_element(By.CSS_SELECTOR, ".tabPanel.active .yasr").text
        )
    )

    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert loaded, "the page loaded no resources at all"
    assert all(url.startswith(server.url) for url in loaded), loaded
    console = browser.get_log("browser")
    failures = [
        entry["message"]
        for entry in console
        if entry["level"] == "SEVERE" and "net::" in entry["message"]
    ]
    assert failures == []

    # The page and YASGUI work under the Content-Security-Policy: it refused nothing.
    assert browser.execute_script("return window.policyViolations") == []
    refused = [e["message"] for e in console if "Content Security Policy" in e["message"]]
    assert refused == []
    # And the policy is in force, and watched: an inline script is refused, and seen refused.
    browser.execute_script(INLINE_SCRIPT)
    wait.until(lambda b: b.execute_script("return window.policyViolations.length > 0"))
    assert browser.execute_script("return window.policyViolations") == ["script-src-elem inline"]
    assert browser.execute_script("return window.inlineScriptRan") is None
