"""Headless Chromium renders the home page and an organization page, follows a link, finds JSON-LD.

Chromium is driven through chromedriver's W3C WebDriver HTTP API (plain HTTP, no extra
library). Nothing leaves the machine: every request goes through a proxy that does not exist
except those to 127.0.0.1, and host names other than 127.0.0.1 resolve to nothing. The
screenshots are kept under ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, LiveServer, free_port

from libassoc.namespaces import BASE

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference

pytestmark = pytest.mark.slow


class Browser:
    """One WebDriver session."""

    def __init__(self, driver: str, session: str) -> None:
        self.base = f"{driver}/session/{session}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, self.base + path, json=body, timeout=60)
        response.raise_for_status()
        return response.json()["value"]

    def open(self, url: str) -> None:
        self.call("POST", "/url", {"url": url})

    def script(self, source: str) -> Any:
        return self.call("POST", "/execute/sync", {"script": source, "args": []})

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(self.call("GET", "/screenshot")))
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    port = free_port()
    driver = subprocess.Popen(
        [CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/status", timeout=2).json()["value"]["ready"]:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            driver.kill()
            pytest.fail("chromedriver did not start")
        time.sleep(0.1)
    profile = tmp_path_factory.mktemp("chromium-profile")
    arguments = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
        # No request leaves the machine: a proxy that is not there for everything but
        # loopback, and no name resolves except 127.0.0.1.
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=127.0.0.1",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]
    capabilities = {
        "capabilities": {
            "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": CHROMIUM, "args": arguments},
            }
        }
    }
    try:
        session = httpx.post(url + "/session", json=capabilities, timeout=60).json()["value"]
        browser = Browser(url, session["sessionId"])
        yield browser
        httpx.delete(browser.base, timeout=30)
    finally:
        driver.terminate()
        driver.wait(timeout=30)


def test_home_page_renders_and_a_link_leads_to_an_organization_with_json_ld(
    browser: Browser,
    server: LiveServer,
) -> None:
    browser.open(server.url + "/")
    assert browser.script("return document.documentElement.lang") == "en"
    assert (
        browser.script("return document.querySelectorAll('main, header, footer, nav').length") >= 4
    )
    assert browser.script("return document.querySelector('h1').textContent")
    browser.screenshot("home.png")

    link = browser.call(
        "POST", "/element", {"using": "css selector", "value": 'a[href="/org/ala"]'}
    )
    browser.call("POST", f"/element/{link[ELEMENT]}/click", {})
    deadline = time.monotonic() + 30
    while not browser.call("GET", "/url").endswith("/org/ala"):
        assert time.monotonic() < deadline, "the link did not lead to the organization page"
        time.sleep(0.1)
    assert "American Library Association" in browser.script(
        "return document.querySelector('h1').textContent"
    )
    browser.screenshot("organization.png")

    block = browser.script(
        "const s = document.querySelector('script[type=\"application/ld+json\"]');"
        "return s ? s.textContent : null"
    )
    assert block, "no JSON-LD block on the organization page"
    data = json.loads(block)
    assert data["@context"] == {"@vocab": "https://schema.org/"}
    assert data["@id"] == BASE + "org/ala"
    assert "Organization" in data["@type"]


def test_organization_page_fits_a_phone(
    browser: Browser,
    server: LiveServer,
) -> None:
    browser.call("POST", "/window/rect", {"width": 390, "height": 844})
    try:
        browser.open(server.url + "/org/ala")
        overflow = browser.script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, "the page scrolls sideways on a phone-sized screen"
        browser.screenshot("organization-phone.png")
    finally:
        browser.call("POST", "/window/rect", {"width": 1280, "height": 1000})
