"""``libassoc push`` sends every named graph to Graph Store Protocol servers: Oxigraph, and ours."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import FIXTURES, ROOT, SHIPPED_DATA, WRITE_TOKEN, free_port, make_home, start_server
from ld_fixtures import shipped_store  # noqa: F401 (a fixture)

from libassoc.push import TOKEN_VARIABLE
from libassoc.store import merged_triples, named_quads, open_loaded_store

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
TRIPLES = (
    "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
)
GRAPHS = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(endpoint: str, query: str) -> int:
    response = httpx.post(
        endpoint,
        data={"query": query},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home like the servers', with the shapes and checks: push validates before it sends."""
    return make_home(tmp_path_factory.mktemp("push-home"))


def push(
    home: Path,
    store_url: str,
    token: str | None = None,
    sources: Sequence[Path] = SHIPPED_DATA,
    options: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_VARIABLE}
    env["LIBASSOC_HOME"] = str(home)
    if token:
        env[TOKEN_VARIABLE] = token
    data = [option for path in sources for option in ("--data", str(path))]
    return subprocess.run(
        [sys.executable, "-m", "libassoc", "push", "--store-url", store_url, *data, *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def expected_counts(store: ox.Store) -> tuple[int, int, int]:
    quads = list(named_quads(store))
    return len(quads), len(set(merged_triples(store))), len({q.graph_name for q in quads})


@pytest.fixture
def oxigraph_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(OXIGRAPH),
            "serve",
            "--location",
            str(tmp_path / "oxigraph"),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("oxigraph serve did not start")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.slow
def test_push_to_oxigraph_server_gives_the_same_counts(
    oxigraph_server: str,
    home: Path,
    shipped_store: ox.Store,  # noqa: F811 (the fixture imported above)
) -> None:
    done = push(home, oxigraph_server + "/store")
    assert done.returncode == 0, done.stderr
    want = expected_counts(shipped_store)
    query = oxigraph_server + "/query"
    assert (count(query, QUADS), count(query, TRIPLES), count(query, GRAPHS)) == want
    again = push(home, oxigraph_server + "/store")  # each graph is replaced, never added to
    assert again.returncode == 0, again.stderr
    assert (count(query, QUADS), count(query, TRIPLES), count(query, GRAPHS)) == want


@pytest.mark.slow
def test_a_push_in_parts_cut_short_resumes_where_it_was(
    oxigraph_server: str,
    home: Path,
    shipped_store: ox.Store,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    graphs = sorted(g.value for g in shipped_store.named_graphs() if isinstance(g, ox.NamedNode))
    progress = tmp_path / "pushed.txt"
    # As if a push had stopped after the first three graphs: they are not sent again.
    progress.write_text("".join(g + "\n" for g in graphs[:3]))
    options = ["--part-triples", "7", "--progress", str(progress)]
    done = push(home, oxigraph_server + "/store", options=options)
    assert done.returncode == 0, done.stderr
    assert "was pushed before: skipped" in done.stderr and "triples sent" in done.stderr
    assert progress.read_text().splitlines() == graphs
    query = oxigraph_server + "/query"
    assert count(query, GRAPHS) == len(graphs) - 3
    # Every graph of more than 7 triples went in parts, and came out whole.
    quads = sum(1 for q in named_quads(shipped_store) if q.graph_name.value not in graphs[:3])  # type: ignore[union-attr]
    assert count(query, QUADS) == quads
    assert (
        max(
            len(list(shipped_store.quads_for_pattern(None, None, None, ox.NamedNode(g))))
            for g in graphs
        )
        > 7
    )


@pytest.fixture(scope="module")
def ontology_only_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Our own server, writable with a token, that starts with the ontology alone.

    Not empty: the shapes want the ontology's header, so a server without it refuses to start.
    """
    home = make_home(tmp_path_factory.mktemp("push-target"))
    running = start_server(
        home,
        ["--allow-updates"],
        data=[ROOT / "ontology"],
        env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN},
    )
    yield running.url
    running.stop()


def test_push_to_our_own_server_needs_the_token_and_gives_the_same_counts(
    ontology_only_server: str, home: Path
) -> None:
    # Our server validates each graph as it arrives, so the data must conform graph by graph,
    # which the shipped data does not (a graph names organizations another one describes): a
    # small graph of its own proves the protocol here; all the shipped data goes to Oxigraph.
    sources = [ROOT / "ontology", FIXTURES / "push"]
    refused = push(home, ontology_only_server + "/store", sources=sources)
    assert refused.returncode == 3, refused.stderr
    assert "HTTP 401" in refused.stderr or "HTTP 403" in refused.stderr
    done = push(home, ontology_only_server + "/store", WRITE_TOKEN, sources)
    assert done.returncode == 0, done.stderr
    assert WRITE_TOKEN not in done.stdout + done.stderr
    sparql = ontology_only_server + "/sparql"
    want = expected_counts(open_loaded_store(sources))
    assert (count(sparql, QUADS), count(sparql, TRIPLES), count(sparql, GRAPHS)) == want
