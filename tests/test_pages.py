"""The home page, VoID and DCAT, the sitemap and the dumps as the server offers them."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import LiveServer
from ld_fixtures import (  # noqa: F401 (fixtures)
    client_over_either_store,
    get,
    server_over_either_store,
    shipped_store,
)
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, VOID

from libassoc.namespaces import BASE
from libassoc.store import merged_triples, named_quads
from libassoc.web.dumps_route import KEPT_DUMP_BYTES

SPDX = "http://spdx.org/rdf/terms#"


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: set[str] = set()
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag == "a" and values.get("href"):
            self.hrefs.add(values["href"] or "")


def test_home_lists_organizations_and_the_ways_in(server: LiveServer) -> None:
    response = get(server, "/")
    assert response.headers["content-type"].startswith("text/html")
    page = Structure()
    page.feed(response.text)
    assert page.lang == "en"
    assert {"header", "main", "footer", "nav", "h1"} <= set(page.tags)
    assert 'href="#main"' in response.text, "a skip link"
    assert {"/org/ala", "/sparql", "/dumps/", "/ontology", "/.well-known/void"} <= page.hrefs
    assert "American Library Association" in response.text


def test_publishers_of_sources_are_listed_apart(server: LiveServer) -> None:
    text = get(server, "/").text
    organizations, _, publishers = text.partition('id="publishers"')
    assert "Wikimedia Foundation" in publishers
    assert "Wikimedia Foundation" not in organizations
    # ALA publishes sources too, and is what the graph is about.
    assert "/org/ala" in organizations


def test_divisions_are_listed_under_their_parent(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    text = get(server, "/").text
    parent = ox.NamedNode("https://schema.org/parentOrganization")
    pairs = [
        (q.subject.value, q.object.value)
        for q in shipped_store.quads_for_pattern(None, parent, None, ox.DefaultGraph())
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode)
    ]
    assert pairs, "the data has divisions"
    for child, of in pairs:
        start = text.find(f'href="/{of[len(BASE) :]}"')
        assert start >= 0, of
        assert f'href="/{child[len(BASE) :]}"' in text[start:], f"{child} is not under {of}"


def test_void_and_dcat_describe_the_dataset_and_every_dump(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    response = get(server, "/.well-known/void", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    void = Graph().parse(data=response.content, format="turtle")
    datasets = [d for d in void.subjects(VOID.uriSpace, Literal(BASE))]
    assert len(datasets) == 1
    dataset = datasets[0]
    assert (dataset, RDF.type, DCAT.Dataset) in void
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    triples = list(merged_triples(shipped_store))
    assert int(void.value(dataset, VOID.triples)) == len(set(map(str, triples)))
    graphs = {q.graph_name for q in named_quads(shipped_store)}
    subsets = set(void.objects(dataset, VOID.subset))
    assert {URIRef(g.value) for g in graphs if isinstance(g, ox.NamedNode)} <= subsets
    for subset in subsets:
        assert void.value(subset, VOID.triples) is not None, subset
    dumps = set(void.objects(dataset, VOID.dataDump))
    assert len(dumps) == 12
    for distribution in void.objects(dataset, DCAT.distribution):
        url = str(void.value(distribution, DCAT.downloadURL))
        body = get(server, "/" + url[len(BASE) :]).content
        assert int(void.value(distribution, DCAT.byteSize)) == len(body)
        checksum = void.value(distribution, URIRef(SPDX + "checksum"))
        digest = str(void.value(checksum, URIRef(SPDX + "checksumValue")))
        assert hashlib.sha256(body).hexdigest() == digest
        assert str(void.value(distribution, DCAT.mediaType)).startswith("https://www.iana.org/")
    assert get(server, "/.well-known/void", headers={"accept": "text/html"}).status_code == 200


def test_sitemap_lists_every_page(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    body = get(server, "/sitemap.xml").text
    for triple in merged_triples(shipped_store):
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(BASE):
            path = triple.subject.value[len(BASE) :].partition("#")[0]
            assert f"<loc>{server.url}/{path}</loc>" in body, path
    # A few thousand pages fit in one file: no parts.
    assert "<urlset" in body
    assert get(server, "/sitemap-1.xml").status_code == 404


def test_dumps_have_validators_and_ranges(server: LiveServer) -> None:
    first = get(server, "/dumps/libassoc.nq")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/n-quads")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag == f'"{hashlib.sha256(first.content).hexdigest()}"'
    assert get(server, "/dumps/libassoc.nq", headers={"if-none-match": etag}).status_code == 304
    part = get(server, "/dumps/libassoc.nq", headers={"range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == first.content[10:20]
    assert modified
    packed = get(server, "/dumps/libassoc.nq.gz")
    assert packed.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in packed.headers
    assert get(server, "/dumps/").status_code == 200
    assert get(server, "/dumps/nothing.txt").status_code == 404


def read_so_far(process_id: int) -> int:
    """The bytes a process has read through system calls (files, sockets and pipes alike)."""
    fields = dict(
        line.split(": ") for line in Path(f"/proc/{process_id}/io").read_text().split("\n") if line
    )
    return int(fields["rchar"])


def test_a_small_dump_is_read_from_disk_once_per_generation(server: LiveServer) -> None:
    whole = get(server, "/dumps/libassoc.nq").content  # read now, if no test read it before
    assert 100_000 < len(whole) <= KEPT_DUMP_BYTES
    before = read_so_far(server.process.pid)
    for _ in range(10):
        assert get(server, "/dumps/libassoc.nq").content == whole
    head = httpx.head(server.url + "/dumps/libassoc.nq")
    assert int(head.headers["content-length"]) == len(whole)
    assert head.headers["accept-ranges"] == "bytes"
    # Ten downloads read less than one dump's bytes: the requests, not the file.
    assert read_so_far(server.process.pid) - before < len(whole)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/page-assets/style.css",
        "/sitemap.xml",
        "/robots.txt",
        "/.well-known/void",
        "/dumps/",
        "/dumps/libassoc.nq",
        "/org/ala",
        "/ontology",
    ],
)
def test_head_answers_as_get_does_without_the_body(server: LiveServer, path: str) -> None:
    got = get(server, path)
    head = httpx.head(server.url + path, timeout=30)
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.content == b""
