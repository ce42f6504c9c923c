"""Access (issue #9, item 6): every answer says what it is and what a browser may do with it, and
CORS never carries credentials.

The pages' Content-Security-Policy allows scripts from this server only, and the pages carry no
inline script but data blocks, which a browser never runs. That the query UI works under the
policy in a real browser is tested in test_query_ui.py.
"""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest
from conftest import ROOT

from libassoc.web.ui import ASSETS_PATH, SCRIPT_PATH

HTML = {"accept": "text/html"}
ELSEWHERE = "https://elsewhere.example"
ALA_ASK = "ASK { <https://w3id.org/libassoc/org/ala> ?p ?o }"
PAGES = ["/", "/org/ala", "/sparql", "/.well-known/void", "/dumps/"]
DATA_BLOCKS = {"application/json", "application/ld+json"}
YASGUI_BUILD = ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"


def policy(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive -> sources."""
    directives = {}
    for directive in response.headers["content-security-policy"].split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


class Scripts(HTMLParser):
    """Every ``<script>`` of a page, as its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found.append(dict(attrs))


def scripts(html: str) -> list[dict[str, str | None]]:
    parser = Scripts()
    parser.feed(html)
    return parser.found


def assert_safe_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.url
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize("path", PAGES)
def test_pages_allow_scripts_from_this_server_only(client: httpx.Client, path: str) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert_safe_headers(page)
    directives = policy(page)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in str(directives)
    for script in scripts(page.text):
        src = script.get("src")
        if src is None:
            # Inline: only a data block, which is never run.
            assert script.get("type") in DATA_BLOCKS, script
        else:
            assert src.startswith("/"), script  # from this server


def test_the_query_ui_has_a_script_and_it_is_served(client: httpx.Client) -> None:
    page = client.get("/sparql", headers=HTML)
    sources = [s["src"] for s in scripts(page.text) if "src" in s]
    if (YASGUI_BUILD / "yasgui.min.js").is_file():
        assert sources == [f"{ASSETS_PATH}/yasgui.min.js", SCRIPT_PATH]
    else:
        assert sources == []  # the page says how to install the editor instead
    script = client.get(SCRIPT_PATH)
    assert script.status_code == 200
    # nosniff: a browser runs a script only if its type says it is one.
    assert script.headers["content-type"].startswith("text/javascript")
    assert "new Yasgui(" in script.text
    assert_safe_headers(script)


def test_yasgui_assets_have_the_types_nosniff_needs(client: httpx.Client) -> None:
    if not (YASGUI_BUILD / "yasgui.min.js").is_file():
        pytest.skip("YASGUI is not installed: run `make assets`")
    for name, media_type in (("yasgui.min.js", "text/javascript"), ("yasgui.min.css", "text/css")):
        asset = client.get(f"{ASSETS_PATH}/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(media_type), name
        assert_safe_headers(asset)


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("GET", "/sparql", {"query": ALA_ASK}, {}),
        ("GET", "/sparql", {"query": "ASK {"}, {}),
        ("GET", "/org/ala", {}, {"accept": "text/turtle"}),
        ("GET", "/no/such/page", {}, {}),
        ("POST", "/no/such/page", {}, {}),
        ("GET", "/health", {}, {}),
        ("GET", "/ready", {}, {}),
        ("GET", "/metrics", {}, {}),
        ("GET", "/page-assets/style.css", {}, {}),
        ("OPTIONS", "/sparql", {}, {"origin": ELSEWHERE, "access-control-request-method": "POST"}),
    ],
    ids=lambda value: str(value)[:30],
)
def test_every_answer_has_the_headers(
    client: httpx.Client,
    method: str,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    assert_safe_headers(client.request(method, path, params=params, headers=headers))


def test_a_credentialed_request_from_elsewhere_gets_no_credentials(client: httpx.Client) -> None:
    # What a page elsewhere would send to write with a visitor's credentials.
    preflight = client.options(
        "/store",
        headers={
            "origin": ELSEWHERE,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert "access-control-allow-credentials" not in preflight.headers
    # A wildcard, never the origin echoed: a browser refuses a wildcard to credentialed requests.
    assert preflight.headers["access-control-allow-origin"] == "*"
    with_cookie = client.get(
        "/sparql",
        params={"query": ALA_ASK},
        headers={"origin": ELSEWHERE, "cookie": "session=visitor"},
    )
    assert with_cookie.status_code == 200
    assert "access-control-allow-credentials" not in with_cookie.headers
    assert with_cookie.headers["access-control-allow-origin"] == "*"
