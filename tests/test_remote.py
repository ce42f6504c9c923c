"""libassoc in front of a remote store (issue #11): Oxigraph server, and Virtuoso in the slow tier.

Each store is filled with ``libassoc push``, the merge of the graphs kept where the store needs
it (Oxigraph: its own default graph; Virtuoso, whose default graph is the union of everything it
holds: a named graph, named as the default graph of each query). The server in front of it must
answer every competency query with its expected result, serve every page, the VoID and the
dumps exactly as the embedded store's server does, refuse an invalid write leaving the store as
it was, and commit a valid one. The endpoint, page and crawl tests also run against the Oxigraph
server (``ld_fixtures.server_over_either_store``).
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import (
    ROOT,
    WRITE_TOKEN,
    LiveServer,
    free_port,
    make_home,
    push_shipped_data,
    remote_options,
    serve_command,
    start_server,
)
from ld_fixtures import shipped_store  # noqa: F401 (a fixture)
from remote_stores import RemoteStore, oxigraph_server, virtuoso_server
from test_queries import canonical_rows, expected_path, parsed_expected

from libassoc.catalog import QueryCatalog
from libassoc.engine.problem import HttpProblem
from libassoc.neighbourhood import Neighbourhood
from libassoc.publication import document_paths
from libassoc.reach import EVERYTHING
from libassoc.remote.access import RemoteEndpoints
from libassoc.remote.around import around_change
from libassoc.remote.dataset import RemoteDataset
from libassoc.settings import Paths
from libassoc.store import DEFAULT_GRAPH, merged_triples, named_quads, net, plan
from libassoc.validation import ONTOLOGY_GRAPH, Shapes

BLANK = re.compile(r"_:\w+")
MERGE_GRAPH = "urn:libassoc:merge"  # outside the base IRI: no source of the dataset
# The dataset's quads: Virtuoso holds graphs of its own, and the merge in a graph of its own.
COUNT_QUADS = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    'FILTER(STRSTARTS(STR(?g), "https://w3id.org/libassoc/")) }'
)
ALA = "https://w3id.org/libassoc/org/ala"
SCHEMA = "https://schema.org/"
TEST_GRAPH = "https://w3id.org/libassoc/graph/remote-write-test"
VALID = f'<{ALA}> <https://schema.org/alternateName> "ALA, written through libassoc"@en .'
INVALID = f'<{ALA}> <https://schema.org/foundingDate> "not a date" .'
RUNAWAY = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?t ?q ?u } "
    "GRAPH ?c { ?v ?r ?w } }"
)


@dataclass(frozen=True)
class Fronted:
    server: LiveServer
    remote: RemoteStore


STORES = {
    "oxigraph": (lambda folder: oxigraph_server(folder, union_default_graph=False), "kept"),
    "virtuoso": (virtuoso_server, MERGE_GRAPH),
}


@pytest.fixture(
    scope="module", params=["oxigraph", pytest.param("virtuoso", marks=pytest.mark.slow)]
)
def fronted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fronted]:
    start, default_graph = STORES[request.param]
    folder = tmp_path_factory.mktemp(f"fronting-{request.param}")
    home = make_home(folder)
    with ExitStack() as stack:
        remote = stack.enter_context(start(folder / "store"))
        merge = "default" if default_graph == "kept" else default_graph
        push_shipped_data(home, remote.store, remote.env, merge)
        server = start_server(
            home,
            ["--allow-updates", "--query-timeout", "10", *remote_options(remote, default_graph)],
            data=(),
            env={**remote.env, "LIBASSOC_WRITE_TOKEN": WRITE_TOKEN},
        )
        stack.callback(server.stop)
        yield Fronted(server, remote)


def remote_count(remote: RemoteStore) -> int:
    response = httpx.post(
        remote.query,
        data={"query": COUNT_QUADS},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# Where Virtuoso's own engine answers otherwise than the SPARQL 1.1 semantics the expected results
# follow (Virtuoso 7.2.5, Debian's): libassoc sends the query on and passes the answer back.
VIRTUOSO_ANSWERS_OTHERWISE = {
    "cq-13-founded-before-1960": 'holds "1957"^^xsd:gYear and "1957-01-01"^^xsd:date for one '
    "value, and keeps one of them in the graph of the merge",
    "cq-19-facts-from-outside-sources": 'holds "1957"^^xsd:gYear and "1957-01-01"^^xsd:date for '
    "one value, and keeps one of them in the graph of the merge",
}


@pytest.mark.parametrize(
    "query", QueryCatalog.from_dir(Paths().queries).competency(), ids=lambda q: q.name
)
def test_every_competency_query_gives_its_expected_result(  # type: ignore[no-untyped-def]
    fronted: Fronted, query, request: pytest.FixtureRequest
) -> None:
    different = VIRTUOSO_ANSWERS_OTHERWISE.get(query.name)
    if fronted.remote.name == "virtuoso" and different:
        # Which of the two literals it keeps varies from one load to the next: not strict.
        # test_virtuoso_takes_two_literals_for_one proves the cause, strictly.
        request.applymarker(pytest.mark.xfail(reason=f"Virtuoso {different}", strict=False))
    response = httpx.post(
        fronted.server.sparql,
        data={"query": query.text},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    got = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    expected = parsed_expected(expected_path(query))
    if isinstance(expected, ox.QueryBoolean):
        assert isinstance(got, ox.QueryBoolean) and bool(got) == bool(expected)
        return
    assert isinstance(got, ox.QuerySolutions)
    got_rows, want_rows = canonical_rows(got), canonical_rows(expected)
    # Virtuoso orders strings by a collation of its own, not by code point as SPARQL does.
    if "ORDER BY" in query.text.upper() and fronted.remote.name != "virtuoso":
        assert got_rows == want_rows
    else:
        assert Counter(got_rows) == Counter(want_rows)


def _nquads(server: LiveServer, path: str, client: httpx.Client) -> list[str]:
    response = client.get(f"{server.url}/{path}", headers={"accept": "application/n-quads"})
    assert response.status_code == 200, (path, response.text[:300])
    # Blank nodes (the shapes have some) are named afresh by each process.
    return sorted(BLANK.sub("_:b", line) for line in response.text.splitlines())


def test_every_entity_dereferences_as_in_the_embedded_store(
    fronted: Fronted,
    server: LiveServer,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    paths = [
        p
        for p in document_paths(shipped_store, QueryCatalog.from_dir(Paths().queries))
        if p and not p.endswith("/")
    ]
    assert len(paths) > 300
    with httpx.Client(timeout=30) as client:
        for path in paths:
            assert _nquads(fronted.server, path, client) == _nquads(server, path, client), path


def test_pages_void_and_dumps_as_in_the_embedded_store(
    fronted: Fronted, server: LiveServer
) -> None:
    with httpx.Client(timeout=60) as client:
        for path in ("/", "/org/ala", "/ontology", "/.well-known/void", "/dumps/"):
            page = client.get(fronted.server.url + path, headers={"accept": "text/html"})
            assert page.status_code == 200 and "<html" in page.text, path
        sums = [client.get(s.url + "/dumps/SHA256SUMS") for s in (fronted.server, server)]
        assert sums[0].status_code == 200 and sums[0].text == sums[1].text
        void = [
            client.get(s.url + "/.well-known/void", headers={"accept": "application/n-triples"})
            for s in (fronted.server, server)
        ]
        assert sorted(void[0].text.splitlines()) == sorted(void[1].text.splitlines())


def _write(server: LiveServer, body: str, method: str = "POST") -> httpx.Response:
    return httpx.request(
        method,
        server.url + "/store",
        params={"graph": TEST_GRAPH},
        content=body.encode(),
        headers={"authorization": f"Bearer {WRITE_TOKEN}", "content-type": "text/turtle"},
        timeout=60,
    )


def _alternate_names(server: LiveServer) -> set[str]:
    query = f"SELECT ?name WHERE {{ <{ALA}> <https://schema.org/alternateName> ?name }}"
    response = httpx.post(server.sparql, data={"query": query}, timeout=30)
    return {row["name"]["value"] for row in response.json()["results"]["bindings"]}


def test_an_invalid_write_is_refused_and_changes_nothing(fronted: Fronted) -> None:
    before = remote_count(fronted.remote)
    refused = _write(fronted.server, INVALID)
    assert refused.status_code == 422, refused.text
    assert "foundingDate" in refused.text
    assert remote_count(fronted.remote) == before


def test_a_valid_write_is_committed_and_kept_in_the_merge(fronted: Fronted) -> None:
    before = remote_count(fronted.remote)
    assert _write(fronted.server, VALID).status_code == 201
    assert remote_count(fronted.remote) == before + 1
    assert "ALA, written through libassoc" in _alternate_names(fronted.server)
    page = httpx.get(fronted.server.url + "/org/ala", headers={"accept": "text/turtle"})
    assert "written through libassoc" in page.text
    # Gone again by an update: from its graph and from the merge the default graph is.
    removal = (
        f"DELETE DATA {{ GRAPH <{TEST_GRAPH}> {{ <{ALA}> <https://schema.org/alternateName> "
        '"ALA, written through libassoc"@en } }'
    )
    removed = httpx.post(
        fronted.server.url + "/update",
        data={"update": removal},
        headers={"authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=60,
    )
    assert removed.status_code == 204, removed.text
    assert remote_count(fronted.remote) == before
    assert "ALA, written through libassoc" not in _alternate_names(fronted.server)


def test_an_update_that_must_be_carried_out_to_be_known_is_refused(fronted: Fronted) -> None:
    update = "DELETE WHERE { GRAPH ?g { ?s <https://schema.org/alternateName> ?name } }"
    refused = httpx.post(
        fronted.server.url + "/update",
        data={"update": update},
        headers={"authorization": f"Bearer {WRITE_TOKEN}"},
        timeout=60,
    )
    assert refused.status_code == 501 and "DATA forms" in refused.text


def test_a_default_graph_that_repeats_triples_is_refused_at_start(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "store", union_default_graph=True) as remote:
        push_shipped_data(make_home(tmp_path), remote.store, remote.env, merge=None)
        done = _serve(tmp_path, remote_options(remote, "union"))
    assert done.returncode == 2, done.stderr
    assert "repeats a triple" in done.stderr and "--remote-default-graph kept" in done.stderr


def test_a_query_the_store_stops_at_the_time_limit_is_no_answer(fronted: Fronted) -> None:
    """Virtuoso, told the limit, answers 200 with what it had when it stopped: that is no answer.
    (Oxigraph server takes no limit per query, only one for all, ``--timeout-s``.)"""
    if fronted.remote.name != "virtuoso":
        pytest.skip("Oxigraph server takes no time limit with a query")
    dataset = RemoteDataset(
        RemoteEndpoints(fronted.remote.query), QueryCatalog.from_dir(Paths().queries), 1.0
    )
    dataset.server = "Virtuoso"  # as its Server header says: the limit goes with the query
    try:
        with pytest.raises(HttpProblem) as refused:
            list(dataset.query(RUNAWAY))  # type: ignore[arg-type]
    finally:
        dataset.close()
    assert refused.value.status == 503
    assert "stopped the query at the time limit of 1 s" in refused.value.message


def test_a_write_is_validated_on_what_a_few_queries_fetch(
    fronted: Fronted,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    """The neighbourhood of a change comes in a fixed number of batched queries, whatever the
    change touches, and holds exactly what it holds in the embedded store."""
    dataset = RemoteDataset(
        RemoteEndpoints(fronted.remote.query), QueryCatalog.from_dir(Paths().queries)
    )
    graph = ox.NamedNode(TEST_GRAPH)
    ala, core = ox.NamedNode(ALA), ox.NamedNode("https://w3id.org/libassoc/org/core")
    name = ox.Literal("X", language="en")
    changes = [  # about the ALA, linked from everywhere; a new division, linked from nothing
        [ox.Quad(ala, ox.NamedNode(SCHEMA + "alternateName"), name, graph)],
        [ox.Quad(ox.NamedNode(ALA + "-new"), ox.NamedNode(SCHEMA + "parentOrganization"), core)],
    ]
    try:
        # Assuming the shapes read anything, and knowing what they read.
        for reach, added in product((EVERYTHING, Shapes([Paths().shapes]).reach), changes):
            change = net(shipped_store, [ox.Quad(*q.triple, graph) for q in added], [])
            dataset.requests = 0
            nearby = around_change(dataset, change, ONTOLOGY_GRAPH, reach)
            assert dataset.requests <= 6
            fetched = Neighbourhood(nearby, change, ONTOLOGY_GRAPH, reach=reach)
            embedded = Neighbourhood(shipped_store, change, ONTOLOGY_GRAPH, reach=reach)
            assert fetched.focus == embedded.focus
            assert fetched.triples() == embedded.triples()
        assert (
            len(
                Neighbourhood(
                    shipped_store, net(shipped_store, changes[0], []), ONTOLOGY_GRAPH
                ).focus
            )
            > 20
        )
    finally:
        dataset.close()


def _serve(
    tmp_path: Path, options: list[str], data: tuple[Path, ...] = ()
) -> subprocess.CompletedProcess[str]:
    home = make_home(tmp_path)
    return subprocess.run(
        serve_command(free_port(), options, data),
        capture_output=True,
        text=True,
        env={"LIBASSOC_HOME": str(home), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )


def test_a_remote_store_that_does_not_answer_stops_the_start(tmp_path: Path) -> None:
    done = _serve(tmp_path, ["--remote-query", f"http://127.0.0.1:{free_port()}/query"])
    assert done.returncode == 2
    assert "cannot be queried" in done.stderr and "Traceback" not in done.stderr


def test_data_files_are_pushed_not_served_in_front_of_a_remote_store(tmp_path: Path) -> None:
    done = _serve(tmp_path, ["--remote-query", "http://127.0.0.1:1/query"], (ROOT / "data",))
    assert done.returncode == 2 and "libassoc push" in done.stderr


def test_the_graph_store_reads_as_in_the_embedded_store(
    fronted: Fronted, server: LiveServer
) -> None:
    """Whole graphs come through the store's own Graph Store Protocol (--remote-store)."""
    with httpx.Client(timeout=60) as client:
        graphs = [{"graph": "https://w3id.org/libassoc/graph/ala-about"}, {"default": ""}]
        if fronted.remote.name == "virtuoso":
            graphs.pop()  # its graph of the merge keeps one of two literals it takes as equal
        for params in graphs:
            answers = [
                client.get(
                    s.url + "/store", params=params, headers={"accept": "application/n-triples"}
                )
                for s in (fronted.server, server)
            ]
            assert answers[0].status_code == 200, answers[0].text
            assert sorted(answers[0].text.splitlines()) == sorted(answers[1].text.splitlines())
            assert len(answers[0].text.splitlines()) > 20
        # Not a graph of the dataset: the store's own graphs (Virtuoso's) are not served.
        elsewhere = {"graph": "http://www.openlinksw.com/schemas/virtrdf#"}
        assert client.get(fronted.server.url + "/store", params=elsewhere).status_code == 404


def test_virtuoso_takes_two_literals_for_one(
    fronted: Fronted,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    """Why two competency queries may answer otherwise in front of Virtuoso: its graph of the
    merge holds fewer triples than the merge, two literals of one value kept as one. Fails the
    day Virtuoso keeps them apart, and the exceptions above can go."""
    if fronted.remote.name != "virtuoso":
        pytest.skip("a defect of Virtuoso's")
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{MERGE_GRAPH}> {{ ?s ?p ?o }} }}"
    response = httpx.post(
        fronted.remote.query,
        data={"query": query},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    kept = int(response.json()["results"]["bindings"][0]["n"]["value"])
    assert kept < len(set(merged_triples(shipped_store)))


@pytest.mark.parametrize("where", ["somewhere", "https://w3id.org/libassoc/graph/merge"])
def test_the_merge_is_kept_in_a_graph_outside_the_dataset(tmp_path: Path, where: str) -> None:
    options = ["--remote-query", "http://127.0.0.1:1/query", "--remote-default-graph", where]
    done = _serve(tmp_path, options)
    assert done.returncode == 2 and "--remote-default-graph" in done.stderr


def test_a_large_write_is_looked_up_in_a_few_requests(
    fronted: Fronted,
    shipped_store: ox.Store,  # noqa: F811
) -> None:
    """What a write of 1,000 quads already holds, and what the merge then gains, comes in a few
    requests, not one per quad."""
    dataset = RemoteDataset(
        RemoteEndpoints(fronted.remote.query, default_graph=STORES[fronted.remote.name][1]),
        QueryCatalog.from_dir(Paths().queries),
    )
    graph = ox.NamedNode(TEST_GRAPH)
    stated = [q for q in named_quads(shipped_store)][:500]
    new = [
        ox.Quad(
            ox.NamedNode(f"{ALA}-{n}"), ox.NamedNode(SCHEMA + "name"), ox.Literal(f"N{n}"), graph
        )
        for n in range(500)
    ]
    try:
        change = net(dataset, [*stated, *new], [])
        assert change.added == frozenset(new)  # the 500 stated are there already
        assert dataset.requests <= 6
        dataset.requests = 0
        planned = plan(dataset, change)
        assert len([q for q in planned.add if q.graph_name == DEFAULT_GRAPH]) == 500
        assert dataset.requests <= 6
    finally:
        dataset.close()
