"""The Graph Store Protocol at /store and SPARQL Update at /update (issue #3, item 7).

Writes go to a server of this module's own, started with --allow-updates and a token; each
write is validated against the project's shapes and checks before it is committed. The tests
write organizations of their own to a graph of their own, which the ``writer`` fixture drops.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import SHIPPED_DATA, WRITE_TOKEN, LiveServer, make_home, start_server

from libassoc import dumps

ALA = "https://w3id.org/libassoc/org/ala"
ALA_ABOUT = "https://w3id.org/libassoc/graph/ala-about"
TEST_GRAPH = "https://w3id.org/libassoc/graph/endpoint-test"
TEST_ORG = "https://w3id.org/libassoc/org/endpoint-test"
PARENT = "https://w3id.org/libassoc/org/endpoint-test-parent"
SCHEMA = "https://schema.org/"
AUTH = {"authorization": f"Bearer {WRITE_TOKEN}"}
TURTLE = {"content-type": "text/turtle"}
NQUADS_DUMP = f"/dumps/{dumps.DUMP_STEM}.{dumps.DUMP_FORMATS['nquads'].extension}"


def org_turtle(name: str, iri: str = TEST_ORG) -> bytes:
    """An organization as the shapes want it: typed, with one English name."""
    return f'<{iri}> a <{SCHEMA}Organization> ; <{SCHEMA}name> "{name}"@en .\n'.encode()


def statement(predicate: str, value: str) -> bytes:
    return f"<{TEST_ORG}> <{SCHEMA}{predicate}> {value} .\n".encode()


def triples(response: httpx.Response) -> set[ox.Triple]:
    assert response.status_code == 200, response.text
    return {q.triple for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)}


def names(client: httpx.Client, predicate: str = "name") -> list[str]:
    query = f"SELECT ?name WHERE {{ <{TEST_ORG}> <{SCHEMA}{predicate}> ?name }} ORDER BY ?name"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    return [b["name"]["value"] for b in response.json()["results"]["bindings"]]


def start_writable(home: Path) -> LiveServer:
    # A copy of the data: the restart test needs it unchanged, whoever edits data/ meanwhile.
    data = [home / "sources" / path.name for path in SHIPPED_DATA]
    for source, copy in zip(SHIPPED_DATA, data, strict=True):
        if not copy.exists():
            shutil.copytree(source, copy)
    return start_server(
        home, ["--allow-updates"], data=data, env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN}
    )


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = make_home(tmp_path_factory.mktemp("writable"))
    running = start_writable(home)
    yield running
    running.stop()


@pytest.fixture
def writer(writable: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=writable.url, timeout=60) as session:
        yield session
        session.delete("/store", params={"graph": TEST_GRAPH}, headers=AUTH)


# --- reads, for everyone ----------------------------------------------------------------------


def test_read_the_default_graph_and_a_named_graph(client: httpx.Client) -> None:
    name = ox.Triple(
        ox.NamedNode(ALA),
        ox.NamedNode("https://schema.org/name"),
        ox.Literal("American Library Association", language="en"),
    )
    default = triples(client.get("/store?default"))
    assert name in default
    named = triples(client.get("/store", params={"graph": ALA_ABOUT}))
    assert named and named <= default
    head = client.head("/store", params={"graph": ALA_ABOUT})
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/turtle; charset=utf-8"
    nt = client.get(
        "/store", params={"graph": ALA_ABOUT}, headers={"accept": "application/n-triples"}
    )
    assert {q.triple for q in ox.parse(nt.content, format=ox.RdfFormat.N_TRIPLES)} == named


def test_read_errors(client: httpx.Client) -> None:
    assert client.get("/store", params={"graph": "https://example.org/none"}).status_code == 404
    assert client.get("/store").status_code == 400
    assert client.get("/store?default", headers={"accept": "text/csv"}).status_code == 406


def test_writes_are_off_by_default(client: httpx.Client) -> None:
    for response in (
        client.put(
            "/store",
            params={"graph": TEST_GRAPH},
            content=org_turtle("One"),
            headers={**TURTLE, **AUTH},
        ),
        client.delete("/store", params={"graph": ALA_ABOUT}, headers=AUTH),
        client.post("/update", data={"update": "CLEAR ALL"}, headers=AUTH),
    ):
        assert response.status_code == 403
        assert "--allow-updates" in response.text
    assert client.get("/store", params={"graph": ALA_ABOUT}).status_code == 200


# --- writes, for the token holder ---------------------------------------------------------------


def test_writes_need_the_token(writer: httpx.Client) -> None:
    for headers in (
        {},
        {"authorization": "Bearer wrong"},
        {"authorization": f"Basic {WRITE_TOKEN}"},
    ):
        response = writer.put(
            "/store",
            params={"graph": TEST_GRAPH},
            content=org_turtle("One"),
            headers={**TURTLE, **headers},
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert writer.get("/store", params={"graph": TEST_GRAPH}).status_code == 404


def test_put_post_delete_a_graph(writer: httpx.Client) -> None:
    target = {"graph": TEST_GRAPH}
    put = writer.put("/store", params=target, content=org_turtle("One"), headers={**TURTLE, **AUTH})
    assert put.status_code == 201, put.text
    assert names(writer) == ["One"]
    alias = statement("alternateName", '"Uno"@en')
    posted = writer.post("/store", params=target, content=alias, headers={**TURTLE, **AUTH})
    assert posted.status_code == 204, posted.text
    assert names(writer, "alternateName") == ["Uno"]
    again = writer.put(
        "/store", params=target, content=org_turtle("Three"), headers={**TURTLE, **AUTH}
    )
    assert again.status_code == 204, again.text
    assert (names(writer), names(writer, "alternateName")) == (["Three"], [])
    assert len(triples(writer.get("/store", params=target))) == 2
    assert writer.delete("/store", params=target, headers=AUTH).status_code == 204
    assert writer.get("/store", params=target).status_code == 404
    assert names(writer) == []
    assert writer.delete("/store", params=target, headers=AUTH).status_code == 404


def test_a_write_that_breaks_a_shape_is_refused_and_changes_nothing(writer: httpx.Client) -> None:
    target = {"graph": TEST_GRAPH}
    writer.put("/store", params=target, content=org_turtle("One"), headers={**TURTLE, **AUTH})
    before = writer.get("/store?default").content
    bad = statement("foundingDate", '"last year"')
    refused = writer.post("/store", params=target, content=bad, headers={**TURTLE, **AUTH})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/json"
    report = refused.json()
    assert report["conforms"] is False
    [result] = report["results"]
    assert (result["focus"], result["path"], result["value"]) == (
        f"<{TEST_ORG}>",
        "schema:foundingDate",
        "last year",
    )
    assert "xsd:date" in result["message"]
    as_turtle = writer.post(
        "/store", params=target, content=bad, headers={**TURTLE, **AUTH, "accept": "text/turtle"}
    )
    assert as_turtle.status_code == 422
    report_graph = ox.Store()
    report_graph.load(as_turtle.content, format=ox.RdfFormat.TURTLE)
    assert report_graph.query("ASK { ?r a <http://www.w3.org/ns/shacl#ValidationReport> }")
    nameless = f"<{TEST_ORG}> a <{SCHEMA}Organization> .".encode()
    unnamed = writer.put("/store", params=target, content=nameless, headers={**TURTLE, **AUTH})
    assert unnamed.status_code == 422
    assert "needs exactly one schema:name" in unnamed.json()["results"][0]["message"]
    update = f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_ORG}> <{SCHEMA}foundingDate> "x" }} }}'
    assert writer.post("/update", data={"update": update}, headers=AUTH).status_code == 422
    assert writer.get("/store?default").content == before
    assert names(writer) == ["One"]


def test_a_write_that_breaks_a_shape_of_a_node_pointing_at_it_is_refused(
    writer: httpx.Client,
) -> None:
    # The parent loses its type: nothing is wrong with the parent itself, but the child's
    # schema:parentOrganization must name an organization, so the child must be checked too.
    pair = (
        org_turtle("Parent", PARENT)
        + org_turtle("Child")
        + f"<{PARENT}> <{SCHEMA}subOrganization> <{TEST_ORG}> .\n".encode()
        + statement("parentOrganization", f"<{PARENT}>")
    )
    put = writer.put(
        "/store", params={"graph": TEST_GRAPH}, content=pair, headers={**TURTLE, **AUTH}
    )
    assert put.status_code == 201, put.text
    untype = f"DELETE DATA {{ GRAPH <{TEST_GRAPH}> {{ <{PARENT}> a <{SCHEMA}Organization> }} }}"
    refused = writer.post("/update", data={"update": untype}, headers=AUTH)
    assert refused.status_code == 422, refused.text
    assert {(r["focus"], r["path"]) for r in refused.json()["results"]} == {
        (f"<{TEST_ORG}>", "schema:parentOrganization")
    }
    typed = f"ASK {{ <{PARENT}> a <{SCHEMA}Organization> }}"
    assert writer.get("/sparql", params={"query": typed}).json()["boolean"] is True


def test_sparql_update(writer: httpx.Client) -> None:
    insert = (
        f"INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ "
        f'<{TEST_ORG}> a <{SCHEMA}Organization> ; <{SCHEMA}name> "Seven"@en }} }}'
    )
    response = writer.post(
        "/update",
        content=insert.encode(),
        headers={"content-type": "application/sparql-update", **AUTH},
    )
    assert response.status_code == 204, response.text
    assert names(writer) == ["Seven"]
    delete = f"DELETE WHERE {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_ORG}> ?p ?o }} }}"
    assert writer.post("/update", data={"update": delete}, headers=AUTH).status_code == 204
    assert names(writer) == []


@pytest.mark.parametrize(
    ("update", "status", "words"),
    [
        (f'INSERT DATA {{ <{TEST_ORG}> <{SCHEMA}name> "x" }}', 403, "default graph"),
        ("CLEAR DEFAULT", 403, "default graph"),
        (f"LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <{TEST_GRAPH}>", 400, "never fetches"),
        (
            f"INSERT {{ GRAPH <{TEST_GRAPH}> {{ ?s ?p ?o }} }} "
            "WHERE { SERVICE <http://127.0.0.1:9/s> { ?s ?p ?o } }",
            400,
            "SERVICE",
        ),
        ("INSERT DATA {\n GRAPH <g> { <a> <b> } }", 400, "line 2, column"),
        (f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ _:b <{SCHEMA}name> "x" }} }}', 400, "blank node"),
    ],
)
def test_refused_updates(writer: httpx.Client, update: str, status: int, words: str) -> None:
    before = writer.get("/store?default").content
    response = writer.post("/update", data={"update": update}, headers=AUTH)
    assert response.status_code == status, response.text
    assert words in response.text
    assert writer.get("/store?default").content == before


def test_the_default_graph_cannot_be_written(writer: httpx.Client) -> None:
    response = writer.put("/store?default", content=org_turtle("One"), headers={**TURTLE, **AUTH})
    assert response.status_code == 405
    assert "merge" in response.text
    assert response.headers["allow"] == "GET, HEAD"


def test_bad_payloads(writer: httpx.Client) -> None:
    target = {"graph": TEST_GRAPH}
    broken = writer.put("/store", params=target, content=b"<a> <b> .", headers={**TURTLE, **AUTH})
    assert broken.status_code == 400
    assert "not valid" in broken.text
    unknown = writer.put(
        "/store", params=target, content=b"x", headers={"content-type": "image/png", **AUTH}
    )
    assert unknown.status_code == 415


def dump_once(writer: httpx.Client, wanted: Callable[[bytes], bool]) -> httpx.Response:
    """The N-Quads dump once ``wanted`` holds of it: dumps follow writes in the background.

    Until then each answer is a whole earlier generation, its ETag the digest of its bytes.
    """
    deadline = time.monotonic() + 60
    while True:
        response = writer.get(NQUADS_DUMP)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{hashlib.sha256(response.content).hexdigest()}"'
        if wanted(response.content):
            return response
        assert time.monotonic() < deadline, "the dumps did not follow the writes within 60 s"
        time.sleep(0.1)


def test_the_dumps_follow_each_write(writer: httpx.Client) -> None:
    before = dump_once(writer, lambda dump: f"<{TEST_ORG}>".encode() not in dump)
    # Kept now, for the data and the dumps of this generation.
    page = "/org/endpoint-test"
    void_before = writer.get("/.well-known/void", headers={"accept": "text/turtle"})
    assert void_before.headers["etag"]
    assert (
        writer.get(
            "/.well-known/void",
            headers={"if-none-match": void_before.headers["etag"], "accept": "text/turtle"},
        ).status_code
        == 304
    )
    assert page not in writer.get("/sitemap.xml").text
    put = writer.put(
        "/store", params={"graph": TEST_GRAPH}, content=org_turtle("Dumped"), headers=TURTLE | AUTH
    )
    assert put.status_code == 201, put.text
    # Most likely still the dumps before the write: then kept for the new data and those dumps.
    assert writer.get("/sitemap.xml").status_code == 200
    stated = f'<{TEST_ORG}> <{SCHEMA}name> "Dumped"@en <{TEST_GRAPH}> .\n'.encode()
    after = dump_once(writer, lambda dump: stated in dump)
    assert after.headers["etag"] != before.headers["etag"]
    digest = hashlib.sha256(after.content).hexdigest()
    assert digest in writer.get(f"/dumps/{dumps.CHECKSUMS}").text
    assert digest in writer.get("/.well-known/void", headers={"accept": "text/turtle"}).text
    # Not what was kept before: the VoID and the sitemap of the dumps written since.
    assert page in writer.get("/sitemap.xml").text


def test_accepted_writes_survive_a_restart(writable: LiveServer) -> None:
    with httpx.Client(base_url=writable.url, timeout=60) as writer:
        response = writer.put(
            "/store",
            params={"graph": TEST_GRAPH},
            content=org_turtle("Forty-two"),
            headers={**TURTLE, **AUTH},
        )
        assert response.status_code == 201
    writable.stop()
    again = start_writable(writable.home)
    try:
        # Reused, not rebuilt, and not validated again: it was validated in full at the first
        # start, and the write before it was committed.
        assert "built from the same data files" in again.output()
        assert "so was every write" in again.output()
        assert "Validating the whole store" not in again.output()
        with httpx.Client(base_url=again.url, timeout=60) as reader:
            assert names(reader) == ["Forty-two"]
            reader.delete("/store", params={"graph": TEST_GRAPH}, headers=AUTH)
    finally:
        again.stop()
