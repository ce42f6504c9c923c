"""Every IRI dereferences: content negotiation, alternates, overrides, 404 and 406, descriptions."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from conftest import LiveServer
from ld_fixtures import (  # noqa: F401 (fixtures)
    client_over_either_store,
    get,
    server_over_either_store,
    shipped_store,
)
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import SDO

from libassoc.namespaces import BASE, ONTOLOGY_IRI
from libassoc.store import DEFAULT_GRAPH, named_quads

ALA = BASE + "org/ala"
RDF_TYPES = {
    "text/turtle": ("turtle", False),
    "application/n-triples": ("nt", False),
    "application/ld+json": ("json-ld", True),
    "application/rdf+xml": ("xml", False),
    "application/trig": ("trig", True),
    "application/n-quads": ("nquads", True),
}
EXTENSIONS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "html": "text/html",
}


def parse(body: bytes, media_type: str) -> Graph:
    """The triples of a response, whatever its syntax (quad syntaxes merged)."""
    syntax, quads = RDF_TYPES[media_type]
    if quads:
        dataset = Dataset()
        dataset.parse(data=body, format=syntax)
        merged = Graph()
        for s, p, o, _g in dataset.quads():
            merged.add((s, p, o))
        return merged
    return Graph().parse(data=body, format=syntax)


def links(response: object) -> dict[str, str]:
    """The ``rel="alternate"`` targets of a ``Link`` header, by media type."""
    header = response.headers.get("link", "")  # type: ignore[attr-defined]
    found: dict[str, str] = {}
    for part in header.split(","):
        if 'rel="alternate"' in part:
            target = part.split(";")[0].strip().strip("<>")
            media = part.split('type="')[1].split('"')[0]
            found[media] = target
    return found


@pytest.mark.parametrize("media_type", [*RDF_TYPES, "text/html"])
def test_each_syntax_by_accept(server: LiveServer, media_type: str) -> None:
    response = get(server, "/org/ala", headers={"accept": media_type})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "accept" in response.headers["vary"].lower()
    assert set(links(response)) == set(EXTENSIONS.values())
    if media_type == "text/html":
        assert "American Library Association" in response.text
        return
    graph = parse(response.content, media_type)
    assert (URIRef(ALA), SDO.name, None) in graph
    names = {str(o) for o in graph.objects(URIRef(ALA), SDO.name)}
    assert "American Library Association" in names


@pytest.mark.parametrize("extension", sorted(EXTENSIONS))
def test_extension_and_format_override_accept(server: LiveServer, extension: str) -> None:
    wanted = EXTENSIONS[extension]
    by_extension = get(server, f"/org/ala.{extension}", headers={"accept": "image/png"})
    assert by_extension.status_code == 200
    assert by_extension.headers["content-type"].split(";")[0] == wanted
    by_param = get(server, f"/org/ala?format={extension}", headers={"accept": "image/png"})
    assert by_param.status_code == 200
    assert by_param.headers["content-type"].split(";")[0] == wanted
    assert by_param.content == by_extension.content or wanted == "text/html"


def test_every_alternate_link_resolves_to_its_type(server: LiveServer) -> None:
    for media_type, target in links(get(server, "/org/ala")).items():
        response = get(server, target)
        assert response.status_code == 200, target
        assert response.headers["content-type"].split(";")[0] == media_type


def test_browser_and_bare_clients(server: LiveServer) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        get(server, "/org/ala", headers={"accept": browser})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert (
        get(server, "/org/ala", headers={"accept": "*/*"})
        .headers["content-type"]
        .startswith("text/turtle")
    )


def test_nothing_acceptable_is_406(server: LiveServer) -> None:
    assert get(server, "/org/ala", headers={"accept": "image/png"}).status_code == 406
    assert get(server, "/org/ala?format=docx").status_code == 406


def test_unknown_iri_is_404(server: LiveServer) -> None:
    assert get(server, "/org/no-such-organization-here").status_code == 404
    assert get(server, "/org/no-such-organization-here.ttl").status_code == 404


def quad_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.subject), str(quad.predicate), str(quad.object), str(quad.graph_name))


def quads_of(store: ox.Store) -> set[tuple[str, str, str, str]]:
    return {quad_key(q) for q in named_quads(store)}


def test_description_is_own_incoming_and_labels_with_graphs(
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    ala = ox.NamedNode(ALA)
    body = get(server, "/org/ala.nq").content
    parsed = list(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    served = {quad_key(q) for q in parsed if q.graph_name != DEFAULT_GRAPH}
    assert served <= quads_of(shipped_store), (
        "every quad served is in the dataset, in its own graph"
    )
    own = {
        q
        for q in shipped_store.quads_for_pattern(ala, None, None, None)
        if q.graph_name != DEFAULT_GRAPH
    }
    incoming = {
        q
        for q in shipped_store.quads_for_pattern(None, None, ala, None)
        if q.graph_name != DEFAULT_GRAPH
    }
    for quad in own | incoming:
        assert quad_key(quad) in served
    assert incoming, "something points at the ALA"
    linked = {q.object for q in own if isinstance(q.object, ox.NamedNode)}
    name = ox.NamedNode(str(SDO.name))
    for thing in linked:
        for quad in shipped_store.quads_for_pattern(thing, name, None, None):
            if quad.graph_name != DEFAULT_GRAPH:
                assert quad_key(quad) in served


QUAD_SYNTAXES = {
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@pytest.mark.parametrize("path", ["/org/ala", "/ontology"])
def test_quad_syntaxes_carry_the_merge_in_the_default_graph(server: LiveServer, path: str) -> None:
    # A client that reads only the default graph (Comunica's link traversal) must find the
    # description there, each triple once; one that keeps graphs finds each source's quads.
    turtle = ox.parse(get(server, f"{path}.ttl").content, format=ox.RdfFormat.TURTLE)
    merged = set(map(str, turtle))
    datasets = {}
    for extension, syntax in QUAD_SYNTAXES.items():
        quads = list(ox.parse(get(server, f"{path}.{extension}").content, format=syntax))
        default = [str(q.triple) for q in quads if q.graph_name == DEFAULT_GRAPH]
        named = {str(q) for q in quads if q.graph_name != DEFAULT_GRAPH}
        assert len(default) == len(set(default)), f"{extension}: a triple twice in the default"
        assert set(default) == merged, f"{extension}: the default graph is not the description"
        sources = {str(q.triple) for q in quads if q.graph_name != DEFAULT_GRAPH}
        assert sources == merged, f"{extension}: the named graphs do not state the description"
        datasets[extension] = (set(default), named)
    assert datasets["nq"] == datasets["trig"] == datasets["jsonld"]


def test_ontology_and_shapes_dereference(server: LiveServer) -> None:
    ontology = get(server, "/ontology", headers={"accept": "text/turtle"})
    graph = Graph().parse(data=ontology.content, format="turtle")
    terms = {s for s in graph.subjects() if str(s).startswith(ONTOLOGY_IRI + "#")}
    assert URIRef(ONTOLOGY_IRI) in set(graph.subjects()) and terms
    jsonld = get(server, "/ontology", headers={"accept": "application/ld+json"})
    assert json.loads(jsonld.content)
    page = get(server, "/ontology", headers={"accept": "text/html"}).text
    for term in terms:
        assert f'id="{str(term).split("#")[1]}"' in page, f"{term} has no section on the page"
    shapes = get(server, "/shapes", headers={"accept": "text/turtle"})
    assert shapes.status_code == 200
    assert len(Graph().parse(data=shapes.content, format="turtle")) > 0
    assert get(server, "/shapes", headers={"accept": "text/html"}).status_code == 200


def test_the_entity_comes_before_what_it_links_to(server: LiveServer) -> None:
    # A reader of the Turtle meets the entity's own triples first, then the labels it links to.
    response = get(server, "/org/ala", {"accept": "text/turtle"})
    assert response.status_code == 200, response.text
    subjects = [q.subject for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)]
    ala = ox.NamedNode("https://w3id.org/libassoc/org/ala")
    first_other = next(i for i, s in enumerate(subjects) if s != ala)
    assert subjects[0] == ala
    assert ala not in subjects[first_other:]
