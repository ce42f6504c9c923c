"""A crawler that knows only the home page harvests the whole merged graph.

It follows untyped ``<a href>`` links between HTML pages and the ``Link: rel="alternate"``
header to each page's Turtle and N-Quads. A document is harvested when it ``describes`` the IRI
dereferenced at its own address, which leaves out service documents such as the VoID
description, whose counts are not data. Both kinds of harvester must get the dataset: one that
unions default graphs (or reads Turtle) the merged graph, one that keeps graphs the named ones.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx
import pyoxigraph as ox
from conftest import LiveServer
from ld_fixtures import (  # noqa: F401 (fixtures)
    client_over_either_store,
    get,
    server_over_either_store,
    shipped_store,
)

from libassoc.namespaces import BASE
from libassoc.store import DEFAULT_GRAPH, merged_triples, named_quads


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
    """What one page gave: its links, and its Turtle and N-Quads if it describes itself."""

    path: str
    html: bool
    links: list[str]
    described: str | None
    triples: set[str]  # N-Triples lines: terms compare by value
    default: set[str] = field(default_factory=set)  # the N-Quads' default graph
    named: set[str] = field(default_factory=set)  # the N-Quads' quads in named graphs


def visit(client: httpx.Client, site: str, path: str) -> Visit:
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 200, f"a link leads to {path}: {response.status_code}"
    if not response.headers.get("content-type", "").startswith("text/html"):
        return Visit(path, False, [], None, set())
    parser = Anchors()
    parser.feed(response.text)
    targets = [urldefrag(urljoin(site + path, href)).url for href in parser.hrefs]
    local = [t[len(site) :] for t in targets if t.startswith(site + "/")]
    alternates = {kind: target for target, kind in link_header(response).get("alternate", [])}
    if "text/turtle" not in alternates:
        return Visit(path, True, local, None, set())
    turtle = client.get(alternates["text/turtle"])
    assert turtle.status_code == 200, alternates["text/turtle"]
    about = [t for t, _ in link_header(turtle).get("describes", [])]
    if not about or iri_path(about[0]) != urlsplit(path).path:
        return Visit(path, True, local, None, set())
    triples = set(map(str, ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)))
    nquads = client.get(alternates["application/n-quads"])
    assert nquads.status_code == 200, alternates["application/n-quads"]
    quads = list(ox.parse(nquads.content, format=ox.RdfFormat.N_QUADS))
    default = {str(q.triple) for q in quads if q.graph_name == DEFAULT_GRAPH}
    named = {str(q) for q in quads if q.graph_name != DEFAULT_GRAPH}
    return Visit(path, True, local, about[0], triples, default, named)


@dataclass
class Harvest:
    """What a crawl reached and gathered, by each kind of harvester."""

    pages: set[str] = field(default_factory=set)
    described: set[str] = field(default_factory=set)
    triples: set[str] = field(default_factory=set)  # the union of the Turtle documents
    default: set[str] = field(default_factory=set)  # the union of the N-Quads' default graphs
    named: set[str] = field(default_factory=set)  # the N-Quads' named graphs, kept apart


def crawl(server: LiveServer) -> Harvest:
    """The HTML pages and the described IRIs reached, and every triple and quad harvested."""
    harvest = Harvest()
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
                    harvest.pages.add(urlsplit(page.path).path)
                if page.described:
                    harvest.described.add(page.described)
                    harvest.triples |= page.triples
                    harvest.default |= page.default
                    harvest.named |= page.named
                for link in page.links:
                    if link not in queued:
                        queued.add(link)
                        frontier.append(link)
    return harvest


def test_crawler_reaches_every_entity_and_harvests_merged_and_named_graphs(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    harvest = crawl(server)
    triples = list(merged_triples(shipped_store))
    merged = set(map(str, triples))
    documents = {
        t.subject.value.partition("#")[0]
        for t in triples
        if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(BASE)
    }
    assert documents - harvest.described == set(), "entities whose Turtle was never reached"
    assert {iri_path(d) for d in documents} - harvest.pages == set(), "entities without a page"
    assert merged - harvest.triples == set(), "triples no page gave"
    # The shapes are published beside the data (at /shapes), not as part of it.
    shapes = set(map(str, ox.parse(get(server, "/shapes.ttl").content, format=ox.RdfFormat.TURTLE)))
    assert harvest.triples - merged - shapes == set(), "triples not in the merged graph"
    assert harvest.default == harvest.triples, "the N-Quads' default graphs are not the Turtle"
    shapes_graph = ox.parse(get(server, "/shapes.nq").content, format=ox.RdfFormat.N_QUADS)
    named = set(map(str, named_quads(shipped_store)))
    assert harvest.named - set(map(str, shapes_graph)) == named, "not the named graphs"
