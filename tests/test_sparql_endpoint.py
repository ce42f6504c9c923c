"""The SPARQL 1.1 Protocol at /sparql, over HTTP against a real server (issue #3, items 2-6)."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

import httpx
import pyoxigraph as ox
import pytest
from conftest import (
    FIXTURES,
    ROOT,
    LiveServer,
    free_port,
    make_home,
    serve_command,
    start_server,
)
from ld_fixtures import client_over_either_store, server_over_either_store  # noqa: F401
from rdflib import Graph, URIRef
from rdflib.namespace import VOID
from SPARQLWrapper import CSV, JSON, TSV, XML, SPARQLWrapper

from libassoc.namespaces import BASE, SD
from libassoc.web.service_description import graph_sizes

ALA = "https://w3id.org/libassoc/org/ala"
ALA_ABOUT = "https://w3id.org/libassoc/graph/ala-about"
NAME = "https://schema.org/name"
ALA_NAME = f"SELECT ?name WHERE {{ <{ALA}> <{NAME}> ?name }}"
ALA_ASK = f'ASK {{ <{ALA}> <{NAME}> "American Library Association"@en }}'
ALA_CONSTRUCT = f"CONSTRUCT {{ <{ALA}> <{NAME}> ?name }} WHERE {{ <{ALA}> <{NAME}> ?name }}"
ALA_DESCRIBE = f"DESCRIBE <{ALA}>"
# Four unrelated patterns over the whole graph: trillions of rows, never finishing on its own.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
DIRECT = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"


def names(response: httpx.Response) -> list[str]:
    result = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)
    return [row["name"].value for row in result]  # type: ignore[union-attr]


def assert_ala_named(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/sparql-results+json"
    assert names(response) == ["American Library Association"]


def assert_plain_error(response: httpx.Response, status: int, *words: str) -> None:
    """A 4xx in plain text that says what went wrong, with no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text
    for word in words:
        assert word in response.text


# --- the three ways to send a query ---------------------------------------------------------


def test_query_by_get(client: httpx.Client) -> None:
    assert_ala_named(client.get("/sparql", params={"query": ALA_NAME}))


def test_query_by_urlencoded_post(client: httpx.Client) -> None:
    assert_ala_named(client.post("/sparql", data={"query": ALA_NAME}))


def test_query_by_direct_post(client: httpx.Client) -> None:
    response = client.post(
        "/sparql", content=ALA_NAME.encode(), headers={"content-type": f"{DIRECT}; charset=utf-8"}
    )
    assert_ala_named(response)


def offering_h2c(framing: str, body: bytes) -> tuple[bytes, bytes]:
    """A direct POST of ``body`` offering HTTP/2, as Java's HttpClient sends it: head, body."""
    head = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        b"Upgrade: h2c\r\nHTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAAAAYABgAA\r\n"
        b"Accept: application/sparql-results+json\r\n"
        b"Content-Type: application/sparql-query; charset=utf-8\r\n"
    )
    if framing == "content-length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body), body
    return head + b"Transfer-Encoding: chunked\r\n\r\n", b"%x\r\n%s\r\n0\r\n\r\n" % (
        len(body),
        body,
    )


def read_answer(replies: BinaryIO) -> tuple[int, bytes]:
    """The next answer on a connection, read from one buffer kept for all its answers."""
    status = int(replies.readline().split()[1])
    head = dict(line.decode().lower().split(":", 1) for line in iter(replies.readline, b"\r\n"))
    return status, replies.read(int(head["content-length"]))


def assert_names_ala(status: int, content: bytes) -> None:
    assert status == 200, content
    result = ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)
    assert [row["name"].value for row in result] == ["American Library Association"]  # type: ignore[union-attr]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_post_offering_an_h2c_upgrade_keeps_its_body(server: LiveServer, framing: str) -> None:
    """Java's HttpClient offers HTTP/2 on every request (Jena's rsparql --post among them).

    The server declines by answering in HTTP/1.1, and must still read the body that follows the
    headers, whether it comes with them or later, and then the next request on the connection.
    """
    head, body = offering_h2c(framing, ALA_NAME.encode())
    host, port = server.url.removeprefix("http://").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=30) as connection,
        connection.makefile("rb") as replies,
    ):
        connection.sendall(head + body)
        assert_names_ala(*read_answer(replies))
        connection.sendall(head)
        time.sleep(0.2)  # the body in a packet of its own
        connection.sendall(body[:5])
        time.sleep(0.2)
        connection.sendall(body[5:] + head + body)  # and another request right behind it
        assert_names_ala(*read_answer(replies))
        assert_names_ala(*read_answer(replies))


def test_a_pipeline_of_many_upgrade_offers_is_answered_in_full(server: LiveServer) -> None:
    head, body = offering_h2c("content-length", ALA_ASK.encode())
    host, port = server.url.removeprefix("http://").split(":")
    count = 2_000
    with (
        socket.create_connection((host, int(port)), timeout=60) as connection,
        connection.makefile("rb") as replies,
    ):
        sender = threading.Thread(target=connection.sendall, args=((head + body) * count,))
        sender.start()
        answers = [read_answer(replies) for _ in range(count)]
        sender.join()
    assert {status for status, _ in answers} == {200}
    assert all(json.loads(content)["boolean"] is True for _, content in answers)


def test_form_values_are_decoded_once(client: httpx.Client) -> None:
    """The text `50%41` is sent as `50%2541` and must come back as `50%41`, not `50A`."""
    query = 'SELECT ?value WHERE { BIND("50%41" AS ?value) }'
    body = urlencode({"query": query}).encode()
    assert b"50%2541" in body
    for response in (
        client.post("/sparql", content=body, headers={"content-type": FORM}),
        client.get(f"/sparql?query={quote(query)}"),
    ):
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"][0]["value"]["value"] == "50%41"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_in_every_format(server: LiveServer, method: str) -> None:
    for return_format, marker in ((JSON, None), (XML, None), (CSV, "name"), (TSV, "?name")):
        wrapper = SPARQLWrapper(server.sparql)
        wrapper.setMethod(method)
        wrapper.setQuery(ALA_NAME)
        wrapper.setReturnFormat(return_format)
        converted = wrapper.query().convert()
        if return_format == JSON:
            assert converted["results"]["bindings"][0]["name"]["value"] == (
                "American Library Association"
            )
        elif return_format == XML:
            assert "American Library Association" in converted.toxml()
        else:
            text = converted.decode()
            assert text.splitlines()[0] == marker
            assert "American Library Association" in text


def test_sparqlwrapper_construct_as_turtle(server: LiveServer) -> None:
    wrapper = SPARQLWrapper(server.sparql)
    wrapper.setQuery(ALA_CONSTRUCT)
    wrapper.setReturnFormat("turtle")
    graph = Graph().parse(data=wrapper.queryAndConvert(), format="turtle")
    assert "American Library Association" in {str(o) for o in graph.objects()}


# --- result formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "results_format"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", "JSON"),
        ("application/sparql-results+xml", "application/sparql-results+xml", "XML"),
        ("text/csv", "text/csv", "CSV"),
        ("text/tab-separated-values", "text/tab-separated-values", "TSV"),
    ],
)
def test_select_and_ask_formats(
    client: httpx.Client, accept: str, media_type: str, results_format: str
) -> None:
    oxformat = getattr(ox.QueryResultsFormat, results_format)
    response = client.get("/sparql", params={"query": ALA_NAME}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    assert "American Library Association" in response.text
    if results_format in ("JSON", "XML", "TSV"):
        parsed = ox.parse_query_results(response.content, format=oxformat)
        assert isinstance(parsed, ox.QuerySolutions)
        assert len(list(parsed)) == 1
    asked = client.get("/sparql", params={"query": ALA_ASK}, headers={"accept": accept})
    assert asked.status_code == 200
    assert "true" in asked.text


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/trig", ox.RdfFormat.TRIG),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
    ],
)
@pytest.mark.parametrize("query", [ALA_CONSTRUCT, ALA_DESCRIBE])
def test_construct_and_describe_formats(
    client: httpx.Client, query: str, accept: str, rdf_format: ox.RdfFormat
) -> None:
    response = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    triples = list(ox.parse(response.content, format=rdf_format))
    expected = ox.Literal("American Library Association", language="en")
    assert any(t.predicate == ox.NamedNode(NAME) and t.object == expected for t in triples)


def test_json_ld_expands_to_schema_org(client: httpx.Client) -> None:
    response = client.get(
        "/sparql", params={"query": ALA_CONSTRUCT}, headers={"accept": "application/ld+json"}
    )
    document = json.loads(response.content)
    assert document[0]["@id"] == ALA
    assert document[0][NAME][0] == {"@language": "en", "@value": "American Library Association"}


def test_q_values_decide(client: httpx.Client) -> None:
    accept = "application/sparql-results+json;q=0.5, application/sparql-results+xml;q=0.9"
    response = client.get("/sparql", params={"query": ALA_NAME}, headers={"accept": accept})
    assert response.headers["content-type"] == "application/sparql-results+xml"
    accept = "text/csv;q=0, */*;q=0.1"
    response = client.get("/sparql", params={"query": ALA_NAME}, headers={"accept": accept})
    assert response.headers["content-type"] == "application/sparql-results+json"


def test_unacceptable_accept_is_406(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": ALA_NAME}, headers={"accept": "image/png"})
    assert_plain_error(response, 406, "image/png", "application/sparql-results+json")
    response = client.get("/sparql", params={"query": ALA_DESCRIBE}, headers={"accept": "text/csv"})
    assert_plain_error(response, 406, "text/turtle")


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    response = client.get(
        "/sparql",
        params={"query": ALA_NAME, "format": "csv"},
        headers={"accept": "application/sparql-results+json"},
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    response = client.post("/sparql", data={"query": ALA_CONSTRUCT, "format": "nt"})
    assert response.headers["content-type"] == "application/n-triples"
    # A name that fits nothing for a SELECT leaves the choice to Accept.
    response = client.get("/sparql", params={"query": ALA_NAME, "format": "turtle"})
    assert_ala_named(response)
    response = client.get(
        "/sparql",
        params={"query": ALA_NAME, "output": "turtle"},
        headers={"accept": "text/turtle"},
    )
    assert_plain_error(response, 406, "text/turtle")
    response = client.get("/sparql", params={"query": ALA_CONSTRUCT, "output": "xml"})
    assert response.headers["content-type"] == "application/rdf+xml"
    response = client.post("/sparql", data={"query": ALA_ASK, "results": "xml"})
    assert response.headers["content-type"] == "application/sparql-results+xml"


def test_head(client: httpx.Client) -> None:
    response = client.head("/sparql", params={"query": ALA_NAME})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json"
    assert response.content == b""
    assert client.head("/sparql", headers={"accept": "text/turtle"}).status_code == 200


def test_cors_for_any_origin_without_credentials(client: httpx.Client) -> None:
    origin = {"origin": "https://elsewhere.example"}
    response = client.get("/sparql", params={"query": ALA_ASK}, headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/sparql",
        headers={
            **origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers


# --- the dataset --------------------------------------------------------------------------------


def count(client: httpx.Client, query: str, **params: str | list[str]) -> int:
    response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_the_merge_without_duplicates(client: httpx.Client) -> None:
    every = count(client, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    distinct = count(
        client, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }"
    )
    assert every == distinct > 0


def test_default_graph_uri_and_named_graph_uri(client: httpx.Client) -> None:
    in_graph = count(client, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ALA_ABOUT}> {{ ?s ?p ?o }} }}")
    assert in_graph > 0
    as_default = count(
        client, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", **{"default-graph-uri": ALA_ABOUT}
    )
    assert as_default == in_graph
    response = client.get(
        "/sparql",
        params={
            "query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": ALA_ABOUT,
        },
    )
    assert [b["g"]["value"] for b in response.json()["results"]["bindings"]] == [ALA_ABOUT]
    # Only named graphs given: the default graph is empty, as the protocol says.
    assert (
        count(client, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", **{"named-graph-uri": ALA_ABOUT}) == 0
    )
    from_clause = f"SELECT (COUNT(*) AS ?n) FROM <{ALA_ABOUT}> {{ ?s ?p ?o }}"  # noqa: S608
    assert count(client, from_clause) == in_graph


def test_an_answer_larger_than_a_pipe_buffer_arrives_whole(client: httpx.Client) -> None:
    # Workers hand answers over a pipe (64 KiB of buffer): a large one takes many reads.
    every = count(client, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }")
    response = client.get("/sparql", params={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"})
    assert response.status_code == 200, response.text
    assert len(response.content) > 256 * 1024
    assert len(response.json()["results"]["bindings"]) == every


def test_several_default_graph_uris_give_their_merge(client: httpx.Client) -> None:
    # Both seed pages state ALA's name: the merge of their graphs holds that triple once.
    both = [ALA_ABOUT, "https://w3id.org/libassoc/graph/nmsl-professional-organizations"]
    response = client.get("/sparql", params={"query": ALA_NAME, "default-graph-uri": both})
    assert response.status_code == 200, response.text
    names = [b["name"]["value"] for b in response.json()["results"]["bindings"]]
    assert names == ["American Library Association"]
    named = client.get(
        "/sparql",
        params={
            "query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
            "default-graph-uri": both,
            "named-graph-uri": ALA_ABOUT,
        },
    )
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [ALA_ABOUT]


NMSL = "https://w3id.org/libassoc/graph/nmsl-professional-organizations"
ALA_NAME_FROM_BOTH = (
    f"SELECT ?name FROM <{ALA_ABOUT}> FROM <{NMSL}> WHERE {{ <{ALA}> <{NAME}> ?name }}"  # noqa: S608
)


def test_several_from_clauses_give_their_merge(client: httpx.Client) -> None:
    # As with default-graph-uri: ALA's name, stated in both graphs, is one triple of the merge.
    response = client.get("/sparql", params={"query": ALA_NAME_FROM_BOTH})
    assert response.status_code == 200, response.text
    assert names(response) == ["American Library Association"]
    graphs = "SELECT DISTINCT ?g FROM <{}> FROM <{}> {} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    with_named = graphs.format(ALA_ABOUT, NMSL, f"FROM NAMED <{ALA_ABOUT}>")
    response = client.get("/sparql", params={"query": with_named})
    assert [b["g"]["value"] for b in response.json()["results"]["bindings"]] == [ALA_ABOUT]
    # FROM without FROM NAMED: the dataset has no named graphs at all.
    response = client.get("/sparql", params={"query": graphs.format(ALA_ABOUT, NMSL, "")})
    assert response.json()["results"]["bindings"] == []


def test_the_protocol_dataset_replaces_the_query_dataset(client: httpx.Client) -> None:
    in_graph = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ALA_ABOUT}> {{ ?s ?p ?o }} }}"
    only_ala_about = count(client, in_graph)
    for default in ([ALA_ABOUT], [ALA_ABOUT, ALA_ABOUT]):
        query = f"SELECT (COUNT(*) AS ?n) FROM <{NMSL}> {{ ?s ?p ?o }}"  # noqa: S608
        assert count(client, query, **{"default-graph-uri": default}) == only_ala_about


# --- service description and UI --------------------------------------------------------------


def test_service_description_for_rdf_clients(client: httpx.Client, server: LiveServer) -> None:
    # The sizes come from the VoID of the dumps, written just after start-up: waited for here.
    assert client.get("/dumps/").status_code == 200
    response = client.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    store = ox.Store()
    store.load(response.content, format=ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    void = "http://rdfs.org/ns/void#"
    service = ox.NamedNode(server.sparql + "#service")
    assert ox.Quad(service, ox.NamedNode(sd + "endpoint"), ox.NamedNode(server.sparql)) in store
    formats = {
        q.object.value
        for q in store.quads_for_pattern(service, ox.NamedNode(sd + "resultFormat"), None)
    }
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/JSON-LD" in formats
    answer = store.query(
        f"""SELECT ?size WHERE {{
            <{service.value}> <{sd}defaultDataset>/<{sd}namedGraph> ?entry .
            ?entry <{sd}name> <{ALA_ABOUT}> ; <{sd}graph>/<{void}triples> ?size }}"""
    )
    assert isinstance(answer, ox.QuerySolutions)
    sizes = [int(row["size"].value) for row in answer]  # type: ignore[union-attr]
    assert sizes == [
        count(client, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{ALA_ABOUT}> {{ ?s ?p ?o }} }}")
    ]
    merged = store.query(
        f"""SELECT ?size WHERE {{
            <{service.value}> <{sd}defaultDataset>/<{sd}defaultGraph>/<{void}triples> ?size }}"""
    )
    assert isinstance(merged, ox.QuerySolutions)
    assert [int(row["size"].value) for row in merged] == [  # type: ignore[union-attr]
        count(client, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    ]
    default = client.get("/sparql", headers={"accept": "application/ld+json"})
    assert default.headers["content-type"] == "application/ld+json"


def test_a_graph_the_published_void_does_not_count_yet_has_no_size() -> None:
    void = "http://rdfs.org/ns/void#"
    dataset, counted, created = (ox.NamedNode(BASE + name) for name in ("d", "g1", "g2"))
    described = [
        ox.Triple(dataset, ox.NamedNode(void + "subset"), counted),
        ox.Triple(dataset, ox.NamedNode(void + "triples"), ox.Literal(10)),
        ox.Triple(counted, ox.NamedNode(void + "triples"), ox.Literal(4)),
    ]
    # A write made g2 after the dumps were written: not empty, only not counted yet.
    sizes = graph_sizes([counted.value, created.value], described)
    assert sizes == (10, {counted.value: 4, created.value: None})


def test_the_service_description_does_not_wait_for_the_dumps(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    # Without one of its queries the process writing the dumps fails: none are ever published.
    (home / "queries" / "app" / "nodes.rq").unlink()
    server = start_server(home)
    try:
        deadline = time.monotonic() + 60
        while "could not write the dumps" not in server.output():
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        response = httpx.get(server.sparql, headers={"accept": "text/turtle"}, timeout=10)
        assert response.status_code == 200, response.text
        described = Graph().parse(data=response.text, format="turtle")
        assert URIRef(server.sparql) in set(described.objects(None, SD.endpoint))
        assert (None, VOID.triples, None) not in described, "no sizes before any dumps"
    finally:
        server.stop()


def test_query_ui_for_browsers(client: httpx.Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/assets/yasgui/yasgui.min.js" in response.text
    assert "https://" not in response.text.split('<script id="examples"')[0].replace(
        "https://w3id.org", ""
    )
    script = client.get("/assets/yasgui/yasgui.min.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000


# --- safety -----------------------------------------------------------------------------------


def test_service_to_a_remote_endpoint_is_refused(client: httpx.Client) -> None:
    query = "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    assert_plain_error(client.get("/sparql", params={"query": query}), 400, "SERVICE", "allow-list")


@pytest.fixture
def fetch_watch() -> Iterator[tuple[str, list[str]]]:
    """A web server on 127.0.0.1 holding a Turtle document, which logs every request it gets."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
            self.send_response(200)
            self.send_header("content-type", "text/turtle")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web.server_address[1]}/data.ttl", asked
    web.shutdown()
    web.server_close()


def test_graphs_the_store_lacks_are_empty_and_never_fetched(
    client: httpx.Client, fetch_watch: tuple[str, list[str]]
) -> None:
    # As in Oxigraph's and Fuseki's servers and the W3C protocol tests: an empty graph.
    remote, asked = fetch_watch
    every = "SELECT * { ?s ?p ?o }"
    in_graphs = "SELECT * { GRAPH ?g { ?s ?p ?o } }"
    from_remote = f"SELECT * FROM <{remote}> {{ ?s ?p ?o }}"  # noqa: S608
    from_both = f"SELECT * FROM <{remote}> FROM <{ALA_ABOUT}> {{ <{remote}> ?p ?o }}"  # noqa: S608
    from_named = f"SELECT * FROM NAMED <{remote}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"  # noqa: S608
    for params in (
        {"query": from_remote},
        {"query": from_both},
        {"query": from_named},
        {"query": every, "default-graph-uri": remote},
        {"query": every, "default-graph-uri": [remote, "urn:nowhere"]},
        {"query": in_graphs, "named-graph-uri": remote},
        {"query": in_graphs, "default-graph-uri": ALA_ABOUT, "named-graph-uri": remote},
    ):
        response = client.get("/sparql", params=params)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["results"]["bindings"] == [], params
    # The graphs that exist still count beside one that does not.
    response = client.get(
        "/sparql", params={"query": ALA_NAME, "default-graph-uri": [remote, ALA_ABOUT]}
    )
    assert names(response) == ["American Library Association"]
    assert asked == []
    response = client.get("/sparql", params={"query": every, "named-graph-uri": "not an IRI"})
    assert_plain_error(response, 400, "named-graph-uri='not an IRI'", "IRI")


def test_malformed_query_names_line_and_column(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "SELECT *\nWHERE { ?s ?p }"})
    assert_plain_error(response, 400, "not valid SPARQL", "line 2, column")


def test_result_row_cap(client: httpx.Client) -> None:
    digits = "VALUES ?d { 0 1 2 3 4 5 6 7 8 9 }"
    query = "SELECT * { " + " ".join(digits.replace("?d", f"?d{i}") for i in range(4)) + " }"
    assert_plain_error(client.get("/sparql", params={"query": query}), 400, "more than 5000 rows")
    limited = client.get("/sparql", params={"query": query + " LIMIT 10"})
    assert len(limited.json()["results"]["bindings"]) == 10


def test_request_size_cap(client: httpx.Client) -> None:
    padding = "#" + "x" * 200_000 + "\n"
    response = client.post(
        "/sparql", content=(padding + ALA_ASK).encode(), headers={"content-type": DIRECT}
    )
    assert_plain_error(response, 413, "100000 bytes")
    response = client.post("/sparql", data={"query": padding + ALA_ASK})
    assert_plain_error(response, 413)


@pytest.mark.parametrize(
    ("request_args", "status"),
    [
        (
            {
                "method": "POST",
                "url": "/sparql",
                "content": b"query=ASK{}",
                "headers": {"content-type": "text/plain"},
            },
            415,
        ),
        ({"method": "GET", "url": "/sparql?query=ASK{}&query=ASK{}"}, 400),
        (
            {
                "method": "POST",
                "url": "/sparql",
                "content": b"\xff\xfe",
                "headers": {"content-type": DIRECT},
            },
            400,
        ),
        ({"method": "GET", "url": "/sparql?query=%FF"}, 400),
        ({"method": "POST", "url": "/sparql", "data": {"update": "CLEAR ALL"}}, 400),
        ({"method": "POST", "url": "/sparql", "data": {"format": "json"}}, 400),
        (
            {"method": "POST", "url": "/sparql", "content": b"", "headers": {"content-type": FORM}},
            400,
        ),
        ({"method": "GET", "url": "/sparql?query=ASK{}&format=csv&format=json"}, 400),
        ({"method": "PUT", "url": "/sparql"}, 405),
        ({"method": "GET", "url": "/update"}, 405),
        ({"method": "GET", "url": "/store"}, 400),
        ({"method": "GET", "url": "/store?graph=http://example.org/none"}, 404),
        ({"method": "POST", "url": "/update", "data": {"update": "CLEAR ALL"}}, 403),
    ],
)
def test_bad_requests_get_a_4xx_in_plain_words(
    client: httpx.Client, request_args: dict[str, object], status: int
) -> None:
    response = client.request(**request_args)  # type: ignore[arg-type]
    assert_plain_error(response, status)
    assert len(response.text.strip()) > 10


# --- the time limit ----------------------------------------------------------------------------


def worker_pids(server: LiveServer) -> set[int]:
    """The server's child processes (workers are started from its threads, so every task)."""
    tasks = Path(f"/proc/{server.process.pid}/task")
    return {int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()}


def test_runaway_query_stops_at_its_limit_and_cheap_queries_stay_fast(
    server: LiveServer, client: httpx.Client
) -> None:
    for _ in range(3 * (not server.remote)):  # the pool may be replacing a worker still
        if len(worker_pids(server)) >= 2:
            break
        time.sleep(1)
    before = worker_pids(server)
    outcome: dict[str, object] = {}

    def run_away() -> None:
        started = time.monotonic()
        response = httpx.get(server.sparql, params={"query": RUNAWAY}, timeout=60)
        outcome.update(response=response, seconds=time.monotonic() - started)

    runaway = threading.Thread(target=run_away)
    runaway.start()
    time.sleep(0.3)
    latencies = []
    while runaway.is_alive() and len(latencies) < 15:
        started = time.monotonic()
        assert client.get("/sparql", params={"query": ALA_ASK}).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.05)
    runaway.join()
    assert statistics.median(latencies) < 0.1, latencies
    assert max(latencies[1:]) < 0.1, [f"{x * 1000:.0f}" for x in latencies]

    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert_plain_error(response, 503, "time limit of 2 s", "stopped")
    assert 1.9 < float(str(outcome["seconds"])) < 5
    # The worker that ran it is gone: the work really stopped. (A remote store goes on with it
    # for as long as its own limit lets it: Oxigraph server's --timeout-s, say.)
    assert server.remote or before - worker_pids(server), "no worker was stopped"


def test_competency_queries_answer(client: httpx.Client, server: LiveServer) -> None:
    from libassoc.catalog import QueryCatalog

    for query in QueryCatalog.from_dir(server.home / "queries").competency():
        response = client.post("/sparql", data={"query": query.text})
        assert response.status_code == 200, f"{query.name}: {response.text}"


def test_start_up_says_what_it_does(server: LiveServer) -> None:
    # Validation takes seconds: the user sees each step, not a silent terminal.
    log = server.output()
    steps = [
        "Loading the data into the store at",
        "Validating the whole store",
        "The data conforms",
        f"Starting the server: SPARQL endpoint and query UI at {server.sparql}",
    ]
    if server.remote:
        steps = ["Checking the remote store at", steps[-1]]
    positions = [log.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), log


def test_serve_refuses_to_start_on_a_violation(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    command = serve_command(free_port(), [], [ROOT / "ontology", FIXTURES / "invalid.ttl"])
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LIBASSOC_HOME": str(home)},
    )
    assert done.returncode == 1
    assert "An organization needs exactly one schema:name" in done.stderr
    assert "org/nameless" in done.stderr
    assert "Uvicorn running" not in done.stderr


def test_an_answer_carries_an_etag_and_a_client_holding_it_gets_304(client: httpx.Client) -> None:
    first = client.get("/sparql", params={"query": ALA_NAME})
    assert_ala_named(first)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), "a strong validator"
    again = client.get("/sparql", params={"query": ALA_NAME})
    assert again.headers["etag"] == etag, "the same answer on the same data: the same ETag"

    unchanged = client.get("/sparql", params={"query": ALA_NAME}, headers={"if-none-match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == etag and "Accept" in unchanged.headers["vary"]
    weak = client.get(
        "/sparql", params={"query": ALA_NAME}, headers={"if-none-match": f'"other", W/{etag}'}
    )
    assert weak.status_code == 304, "If-None-Match compares weakly, in a list"

    xml = client.get(
        "/sparql",
        params={"query": ALA_NAME},
        headers={"if-none-match": etag, "accept": "application/sparql-results+xml"},
    )
    assert xml.status_code == 200 and xml.headers["etag"] != etag, "each syntax its own ETag"
    other = client.get("/sparql", params={"query": ALA_ASK}, headers={"if-none-match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag
    # A POST is not a read that a cache may answer: its body always comes.
    posted = client.post("/sparql", data={"query": ALA_NAME}, headers={"if-none-match": etag})
    assert_ala_named(posted)
    graph = client.get("/store", params={"graph": ALA_ABOUT})
    assert graph.status_code == 200
    held = client.get(
        "/store", params={"graph": ALA_ABOUT}, headers={"if-none-match": graph.headers["etag"]}
    )
    assert (held.status_code, held.content) == (304, b"")
