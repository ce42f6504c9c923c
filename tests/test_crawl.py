"""A crawler that knows only the home page harvests the whole merged graph.

It follows untyped ``<a href>`` links between HTML pages and the ``Link: rel="alternate"``
header to each page's Turtle. A Turtle document is harvested when it ``describes`` the IRI
dereferenced at its own address, which leaves out service documents such as the VoID
description, whose counts are not data.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pyoxigraph as ox
from conftest import LiveServer
from ld_fixtures import get, shipped_store  # noqa: F401 (a fixture)

from libassoc.namespaces import BASE
from libassoc.store import merged_triples


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # A typed link names one representation; the page itself is reached by its plain link.
        if tag == "a" and values.get("href") and "type" not in values:
            self.hrefs.append(values["href"] or "")


def link_header(response: httpx.Response) -> dict[str, list[tuple[str, str]]]:
    """rel -> [(target, type)] of the ``Link`` header."""
    found: dict[str, list[tuple[str, str]]] = {}
    for part in response.headers.get("link", "").split(","):
        if not part.strip():
            continue
        target, *params = part.split(";")
        attributes = dict(p.strip().split("=", 1) for p in params if "=" in p)
        rel = attributes.get("rel", "").strip('"')
        found.setdefault(rel, []).append(
            (target.strip().strip("<>"), attributes.get("type", "").strip('"'))
        )
    return found


def iri_path(iri: str) -> str:
    return "/" + iri[len(BASE) :]


@dataclass
class Visit:
    """What one page gave: its links, and the triples of its Turtle if it describes itself."""

    path: str
    html: bool
    links: list[str]
    described: str | None
    triples: set[str]  # N-Triples lines: terms compare by value


def visit(client: httpx.Client, site: str, path: str) -> Visit:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, f"a link leads to {path}: {response.status_code}"
    if not response.headers.get("content-type", "").startswith("text/html"):
        return Visit(path, False, [], None, set())
    parser = Anchors()
    parser.feed(response.text)
    targets = [urldefrag(urljoin(site + path, href)).url for href in parser.hrefs]
    local = [t[len(site) :] for t in targets if t.startswith(site + "/")]
    for target, kind in link_header(response).get("alternate", []):
        if kind == "text/turtle":
            turtle = client.get(target)
            assert turtle.status_code == 200, target
            about = [t for t, _ in link_header(turtle).get("describes", [])]
            if about and iri_path(about[0]) == urlsplit(path).path:
                parsed = ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)
                return Visit(path, True, local, about[0], set(map(str, parsed)))
    return Visit(path, True, local, None, set())


def crawl(server: LiveServer) -> tuple[set[str], set[str], set[str]]:
    """The HTML pages and the described IRIs reached, and every triple harvested."""
    pages: set[str] = set()
    described: set[str] = set()
    harvested: set[str] = set()
    frontier = ["/"]
    queued = set(frontier)
    # Breadth first, a level at a time, several requests at once: a crawler's politeness is
    # not needed against a test server, and the suite has a time budget.
    with httpx.Client(base_url=server.url, timeout=30) as client, ThreadPoolExecutor(8) as pool:
        while frontier:
            level = list(pool.map(lambda p: visit(client, server.url, p), frontier))
            frontier = []
            for page in level:
                if page.html:
                    pages.add(urlsplit(page.path).path)
                if page.described:
                    described.add(page.described)
                    harvested |= page.triples
                for link in page.links:
                    if link not in queued:
                        queued.add(link)
                        frontier.append(link)
    return pages, described, harvested


def test_crawler_reaches_every_entity_and_harvests_the_merged_graph(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    pages, described, harvested = crawl(server)
    triples = list(merged_triples(shipped_store))
    merged = set(map(str, triples))
    documents = {
        t.subject.value.partition("#")[0]
        for t in triples
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(BASE)
    }
    assert documents - described == set(), "entities whose Turtle the crawler never reached"
    assert {iri_path(d) for d in documents} - pages == set(), "entities without a reached page"
    assert merged - harvested == set(), "triples no page gave"
    # The shapes are published beside the data (at /shapes), not as part of it.
    shapes = ox.parse(get(server, "/shapes.ttl").content, format=ox.RdfFormat.TURTLE)
    assert harvested - merged - set(map(str, shapes)) == set(), "triples not in the merged graph"
