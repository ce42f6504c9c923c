"""Search (``/search``, ``search_index.py``): by name, acronym and description, ignoring case and
accents, an exact name or acronym first; HTML and JSON; the index follows writes and a search
ranks only what its words find."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from conftest import LiveServer
from ld_fixtures import get

from libassoc.catalog import QueryCatalog
from libassoc.search_index import SearchIndex, StillFilling, normalized
from libassoc.settings import Paths
from libassoc.store import apply, net, replace_contents

SCHEMA = "https://schema.org/"
ORG = "https://w3id.org/libassoc/org/"
GRAPH = ox.NamedNode("https://w3id.org/libassoc/graph/search-test")


def found(server: LiveServer, query: str) -> list[dict[str, str]]:
    response = httpx.get(
        server.url + "/search", params={"q": query}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["query"] == query
    results: list[dict[str, str]] = response.json()["results"]
    return results


def test_an_acronym_finds_its_organization_first(server: LiveServer) -> None:
    for query in ("ALA", "ala", "YALSA", "Reforma"):
        first = found(server, query)[0]
        assert first["kind"] == "organization", (query, first)
        assert first["href"].startswith("/org/"), first
    assert found(server, "ALA")[0]["href"] == "/org/ala"


def test_accents_and_case_do_not_matter(server: LiveServer) -> None:
    names = [r["name"] for r in found(server, "encyclopaedia britannica")]
    assert "Encyclopædia Britannica, Inc." in names
    assert found(server, "CORÉ") == found(server, "core")


def test_names_before_descriptions(server: LiveServer) -> None:
    results = found(server, "library trustees")
    assert len(results) >= 5
    kinds = [r["kind"] for r in results]
    assert "organization" in kinds and "event" in kinds
    assert found(server, "xyzzy plugh") == []


def test_the_page_for_people(server: LiveServer) -> None:
    page = get(server, "/search?q=yalsa", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'href="/org/yalsa"' in page.text
    assert "Young Adult Library Services Association" in page.text
    home = get(server, "/", headers={"accept": "text/html"})
    assert 'role="search"' in home.text and 'action="/search"' in home.text
    empty = get(server, "/search", headers={"accept": "text/html"})
    assert empty.status_code == 200 and "found for" not in empty.text


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"q": "x" * 201}, {}, 400),
        ({"q": "ala"}, {"accept": "image/png"}, 406),
        ({"q": "ala", "format": "json"}, {"accept": "text/html"}, 200),
    ],
)
def test_what_search_refuses(
    server: LiveServer, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = httpx.get(server.url + "/search", params=params, headers=headers)
    assert response.status_code == status, response.text


def _store(*triples: tuple[str, str, ox.NamedNode | ox.Literal]) -> ox.Store:
    store = ox.Store()
    replace_contents(
        store, [ox.Quad(ox.NamedNode(s), ox.NamedNode(p), o, GRAPH) for s, p, o in triples]
    )
    return store


def test_the_index_follows_a_write_and_ranks_only_what_the_words_find() -> None:
    catalog = QueryCatalog.from_dir(Paths().queries)
    organization = ox.NamedNode(SCHEMA + "Organization")
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    triples = [
        (ORG + f"org-{n}", SCHEMA + "name", ox.Literal(f"Association number {n}", language="en"))
        for n in range(2000)
    ]
    store = _store(*triples, (ORG + "org-7", rdf_type, organization))
    index = SearchIndex()
    index.fill(store, catalog)
    assert [e.iri for e in index.search("number 7")][:1] == [ORG + "org-7"]
    before = index.examined
    index.search("1999")
    assert index.examined - before == 1  # one thing holds the word: one is ranked
    name = ox.Quad(
        ox.NamedNode(ORG + "nmla"),
        ox.NamedNode(SCHEMA + "alternateName"),
        ox.Literal("NMLA"),
        GRAPH,
    )
    change = net(store, [name], [])
    store.extend([name])
    index.follow(store, change)
    assert [e.iri for e in index.search("nmla")] == [ORG + "nmla"]
    gone = net(store, [], [name])
    store.remove(name)
    index.follow(store, gone)
    assert index.search("nmla") == []


def test_a_write_while_the_index_fills_from_an_earlier_generation_is_not_undone() -> None:
    catalog = QueryCatalog.from_dir(Paths().queries)
    old = ox.Literal("Old Name Association", language="en")
    earlier = _store((ORG + "renamed", SCHEMA + "name", old))
    store = _store((ORG + "renamed", SCHEMA + "name", old))
    index = SearchIndex()
    renamed = net(
        store,
        [
            ox.Quad(
                ox.NamedNode(ORG + "renamed"),
                ox.NamedNode(SCHEMA + "name"),
                ox.Literal("New"),
                GRAPH,
            )
        ],
        [ox.Quad(ox.NamedNode(ORG + "renamed"), ox.NamedNode(SCHEMA + "name"), old, GRAPH)],
    )
    apply(store, renamed, None)
    index.follow(store, renamed)  # at once: the fill has not even begun
    with pytest.raises(StillFilling):  # rather than an answer missing most things
        index.search("new")
    index.fill(earlier, catalog)
    assert [e.iri for e in index.search("new")] == [ORG + "renamed"]
    assert index.search("old") == []


def test_normalized_text() -> None:
    assert normalized("  Encyclopædia   BRITANNICA ") == "encyclopaedia britannica"
    assert normalized("Bibliothèque") == "bibliotheque"
