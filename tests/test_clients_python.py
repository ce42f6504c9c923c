"""Python's SPARQL clients as their users run them, against a real server (issue #10).

SPARQLWrapper with every return format, query form and way of sending; rdflib's SPARQLStore
and SPARQLUpdateStore, the second with the write token.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from typing import Any
from xml.dom.minidom import Document

import httpx
import pytest
from conftest import SHIPPED_DATA, WRITE_TOKEN, LiveServer, make_home, start_server
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper import RDF as RDF_FORMAT

ALA = "https://w3id.org/libassoc/org/ala"
ALA_ABOUT = "https://w3id.org/libassoc/graph/ala-about"
NAME = "https://schema.org/name"
ALA_NAME = "American Library Association"
SCHEMA = "https://schema.org/"
TEST_GRAPH = "https://w3id.org/libassoc/graph/python-clients-test"
TEST_ORG = "https://w3id.org/libassoc/org/python-clients-test"
AUTH = {"Authorization": f"Bearer {WRITE_TOKEN}"}

FORMS = {
    "SELECT": f"SELECT ?name WHERE {{ <{ALA}> <{NAME}> ?name }}",
    "ASK": f'ASK {{ <{ALA}> <{NAME}> "{ALA_NAME}"@en }}',
    "CONSTRUCT": f"CONSTRUCT {{ <{ALA}> <{NAME}> ?name }} WHERE {{ <{ALA}> <{NAME}> ?name }}",
    "DESCRIBE": f"DESCRIBE <{ALA}>",
}
RESULT_FORMATS = (JSON, XML, CSV, TSV)
RDF_FORMATS = (TURTLE, N3, RDFXML, RDF_FORMAT, JSONLD)
EVERY_FORMAT = (*RESULT_FORMATS, *RDF_FORMATS)
METHODS = ("GET", "POST", "POST directly")

# --- SPARQLWrapper ----------------------------------------------------------------------------


def sparqlwrapper(server: LiveServer, method: str, form: str, return_format: str) -> Any:
    """The converted answer, and the RuntimeWarnings SPARQLWrapper gave on the way."""
    wrapper = SPARQLWrapper(server.sparql)
    if method != "GET":
        wrapper.setMethod(POST)
    if method == "POST directly":
        wrapper.setRequestMethod(POSTDIRECTLY)
    wrapper.setQuery(FORMS[form])
    wrapper.setReturnFormat(return_format)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted = wrapper.queryAndConvert()
    return converted, [str(w.message) for w in caught if w.category is RuntimeWarning]


def assert_results(form: str, return_format: str, converted: Any) -> None:
    """The answer of the SELECT (ALA's name) or the ASK (true) in the syntax asked for."""
    if return_format == JSON:
        if form == "ASK":
            assert converted["boolean"] is True
        else:
            bindings = converted["results"]["bindings"]
            assert [b["name"]["value"] for b in bindings] == [ALA_NAME]
    elif return_format == XML:
        assert isinstance(converted, Document)
        if form == "ASK":
            [boolean] = converted.getElementsByTagName("boolean")
            assert boolean.firstChild.data == "true"  # type: ignore[union-attr]
        else:
            [literal] = converted.getElementsByTagName("literal")
            assert literal.firstChild.data == ALA_NAME  # type: ignore[union-attr]
    else:
        lines = converted.decode().splitlines()
        if form == "ASK":
            assert lines == ["true"]
        elif return_format == CSV:
            assert lines == ["name", ALA_NAME]
        else:
            assert lines == ["?name", f'"{ALA_NAME}"@en']


def assert_graph(return_format: str, converted: Any) -> None:
    """The CONSTRUCT's or DESCRIBE's triples: ALA's name among them, parsed as rdflib does."""
    if isinstance(converted, bytes):
        # SPARQLWrapper hands Turtle over as bytes for its users to parse.
        graph = Graph().parse(data=converted, format="turtle")
    else:
        assert isinstance(converted, Graph), (return_format, type(converted))
        graph = converted
    assert Literal(ALA_NAME, lang="en") in set(graph.objects(URIRef(ALA), URIRef(NAME)))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("return_format", EVERY_FORMAT)
def test_sparqlwrapper(server: LiveServer, method: str, form: str, return_format: str) -> None:
    converted, warned = sparqlwrapper(server, method, form, return_format)
    fits = return_format in (RESULT_FORMATS if form in ("SELECT", "ASK") else RDF_FORMATS)
    if form in ("SELECT", "ASK"):
        if fits:
            assert warned == []
            assert_results(form, return_format, converted)
        else:
            # SPARQLWrapper documents its RDF formats for CONSTRUCT and DESCRIBE only: for a
            # SELECT or ASK it sends Accept */* and warns; the server's default, JSON results,
            # comes back, and convert() parses it and warns that it is not what was asked for.
            assert any("Sending Accept header '*/*'" in w for w in warned), warned
            assert any("but JSON (" in w for w in warned), warned
            assert_results(form, JSON, converted)
    elif fits or return_format in (JSON, XML):
        # xml names RDF/XML here, json JSON-LD: both are syntaxes SPARQLWrapper parses.
        assert not any("has been returned" in w for w in warned), warned
        assert_graph(return_format, converted)
    else:
        # CSV and TSV are results syntaxes: SPARQLWrapper sends Accept */* and the server its
        # default RDF syntax, Turtle, which convert() hands over as bytes with a warning.
        assert any("but N3 (" in w for w in warned), warned
        assert_graph(return_format, converted)


def test_sparqlwrapper_construct_with_the_format_names_it_sends(server: LiveServer) -> None:
    expected = {
        RDFXML: "application/rdf+xml",
        RDF_FORMAT: "application/rdf+xml",
        XML: "application/rdf+xml",
        JSONLD: "application/ld+json",
        JSON: "application/ld+json",
        N3: "text/turtle",
        TURTLE: "text/turtle",
    }
    for return_format, media_type in expected.items():
        wrapper = SPARQLWrapper(server.sparql)
        wrapper.setQuery(FORMS["CONSTRUCT"])
        wrapper.setReturnFormat(return_format)
        response = wrapper.query()
        assert response.info()["content-type"].split(";")[0] == media_type, return_format


# --- rdflib -----------------------------------------------------------------------------------


def count(client: httpx.Client, query: str, **params: str | list[str]) -> int:
    response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
COUNT_ALA_ABOUT = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ALA_ABOUT}> {{ ?s ?p ?o }} }}"
GRAPHS = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"


def test_rdflibs_default_graph_name_is_the_services_default_graph(client: httpx.Client) -> None:
    rdflib_default = str(DATASET_DEFAULT_GRAPH_ID)
    assert rdflib_default == "urn:x-rdflib:default"
    merged = count(client, COUNT_DEFAULT)
    in_ala_about = count(client, COUNT_ALA_ABOUT)
    assert merged > in_ala_about > 0
    assert count(client, COUNT_DEFAULT, **{"default-graph-uri": rdflib_default}) == merged
    both = [rdflib_default, ALA_ABOUT]
    assert count(client, COUNT_DEFAULT, **{"default-graph-uri": both}) == merged
    # Alone it keeps the service's named graphs, which rdflib's GRAPH patterns read.
    every_graph = count(client, "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g {} }")
    assert every_graph > 1
    assert (
        count(
            client,
            "SELECT (COUNT(DISTINCT ?g) AS ?n) { GRAPH ?g {} }",
            **{"default-graph-uri": rdflib_default},
        )
        == every_graph
    )
    # With named-graph-uri besides, the dataset is the merged default graph and those graphs.
    response = client.get(
        "/sparql",
        params={
            "query": "SELECT ?g (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
            " GROUP BY ?g ORDER BY ?g",
            "default-graph-uri": rdflib_default,
            "named-graph-uri": ALA_ABOUT,
        },
    )
    assert response.status_code == 200, response.text
    rows = [
        (b.get("g", {}).get("value"), int(b["n"]["value"]))
        for b in response.json()["results"]["bindings"]
    ]
    assert rows == [(None, merged), (ALA_ABOUT, in_ala_about)]


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server: LiveServer, client: httpx.Client, method: str) -> None:
    store = SPARQLStore(server.sparql, method=method)
    dataset = Dataset(store=store)
    rows = list(dataset.query(FORMS["SELECT"]))
    assert [str(row[0]) for row in rows] == [ALA_NAME]  # type: ignore[index]
    assert dataset.query(FORMS["ASK"]).askAnswer is True
    constructed = dataset.query(FORMS["CONSTRUCT"]).graph
    assert constructed is not None
    assert (URIRef(ALA), URIRef(NAME), Literal(ALA_NAME, lang="en")) in constructed
    # Named graphs: the store lists the service's, and each reads as its own graph. (rdflib's
    # Dataset.graph() and graphs() call add_graph, which a read-only SPARQLStore refuses
    # itself: get_context() is the read-only way.)
    named = set(store.contexts())
    assert URIRef(ALA_ABOUT) in named
    assert len(dataset.get_context(URIRef(ALA_ABOUT))) == count(client, COUNT_ALA_ABOUT)
    in_graphs = {row[0] for row in dataset.query(GRAPHS)}  # type: ignore[index]
    assert URIRef(ALA_ABOUT) in in_graphs
    assert len(dataset) == count(client, COUNT_DEFAULT)
    # A plain Graph over the store reads the default graph, the merge of the named graphs.
    names = set(Graph(store=store).objects(URIRef(ALA), URIRef(NAME)))
    assert Literal(ALA_NAME, lang="en") in names


def start_writable(home: Any) -> LiveServer:
    # A copy of the data, unaffected by whoever edits data/ meanwhile.
    data = [home / "sources" / path.name for path in SHIPPED_DATA]
    for source, copy in zip(SHIPPED_DATA, data, strict=True):
        shutil.copytree(source, copy)
    return start_server(
        home, ["--allow-updates"], data=data, env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN}
    )


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    running = start_writable(make_home(tmp_path_factory.mktemp("python-clients")))
    yield running
    running.stop()


def update_store(server: LiveServer, **options: Any) -> SPARQLUpdateStore:
    return SPARQLUpdateStore(
        server.sparql, server.url + "/update", headers=AUTH, method="POST_FORM", **options
    )


def names_of_test_org(server: LiveServer) -> set[str]:
    graph = Graph(store=SPARQLStore(server.sparql), identifier=URIRef(TEST_GRAPH))
    return {str(name) for name in graph.objects(URIRef(TEST_ORG), URIRef(NAME))}


@pytest.fixture
def clean(writable: LiveServer) -> Iterator[None]:
    """Drops the test graph afterwards, even when a test stopped before its own cleanup."""
    yield
    httpx.delete(writable.url + "/store", params={"graph": TEST_GRAPH}, headers=AUTH, timeout=60)


@pytest.mark.usefixtures("clean")
def test_rdflib_sparqlupdatestore(writable: LiveServer) -> None:
    # default_union says what the service's default graph is, the union of the named graphs;
    # without it, rdflib wraps a dataset's updates in GRAPH <urn:x-rdflib:default>.
    store = update_store(writable)
    dataset = Dataset(store=store, default_union=True)
    organization = f'<{TEST_ORG}> a <{SCHEMA}Organization> ; <{SCHEMA}name> "Seven"@en'
    dataset.update(f"INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ {organization} }} }}")
    assert names_of_test_org(writable) == {"Seven"}
    assert URIRef(TEST_GRAPH) in set(store.contexts())
    # A graph's own update: rdflib wraps it in GRAPH <TEST_GRAPH> itself.
    graph = dataset.get_context(URIRef(TEST_GRAPH))
    graph.update(f'INSERT DATA {{ <{TEST_ORG}> <{SCHEMA}alternateName> "Seven B"@en }}')
    alternate = set(graph.objects(URIRef(TEST_ORG), URIRef(SCHEMA + "alternateName")))
    assert alternate == {Literal("Seven B", lang="en")}
    # rdflib's own add and remove, sent as INSERT DATA and DELETE DATA.
    graph.remove((URIRef(TEST_ORG), URIRef(SCHEMA + "alternateName"), None))
    assert set(graph.objects(URIRef(TEST_ORG), URIRef(SCHEMA + "alternateName"))) == set()
    # An update the shapes refuse (a second English name) changes nothing.
    with pytest.raises(Exception, match="422"):
        graph.add((URIRef(TEST_ORG), URIRef(NAME), Literal("Eight", lang="en")))
    store.rollback()  # rdflib keeps a refused edit queued until told to drop it
    assert names_of_test_org(writable) == {"Seven"}
    dataset.update(f"DROP GRAPH <{TEST_GRAPH}>")
    assert names_of_test_org(writable) == set()


@pytest.mark.usefixtures("clean")
def test_rdflib_sparqlupdatestore_in_one_transaction(writable: LiveServer) -> None:
    store = update_store(writable, autocommit=False)
    graph = Dataset(store=store, default_union=True).get_context(URIRef(TEST_GRAPH))
    # Either triple alone breaks the shapes; sent together by commit(), they conform.
    graph.add((URIRef(TEST_ORG), RDF.type, URIRef(SCHEMA + "Organization")))
    graph.add((URIRef(TEST_ORG), URIRef(NAME), Literal("Nine", lang="en")))
    assert names_of_test_org(writable) == set()
    store.commit()
    assert names_of_test_org(writable) == {"Nine"}
    store.update(f"DROP GRAPH <{TEST_GRAPH}>")
    store.commit()
    assert names_of_test_org(writable) == set()
