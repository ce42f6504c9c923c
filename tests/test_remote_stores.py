"""The real triple stores of ``remote_stores`` start, take writes with their credentials only,
answer over the union of their named graphs, and are gone when their block ends."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from remote_stores import RemoteStore, oxigraph_server, virtuoso_server

pytestmark = pytest.mark.slow

Starter = Callable[[Path], AbstractContextManager[RemoteStore]]
STARTERS: dict[str, Starter] = {"oxigraph": oxigraph_server, "virtuoso": virtuoso_server}
EX = "https://example.org/"
TRIPLE = f'<{EX}s> <{EX}p> "o"'
JSON = {"accept": "application/sparql-results+json"}


@pytest.fixture(scope="module", params=sorted(STARTERS))
def remote(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RemoteStore]:
    name: str = request.param
    with STARTERS[name](tmp_path_factory.mktemp(name)) as store:
        yield store


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as session:
        yield session


def update(
    client: httpx.Client, remote: RemoteStore, text: str, *, auth: bool = True
) -> httpx.Response:
    return client.post(
        remote.update,
        data={"update": text},
        auth=remote.auth if auth and remote.auth is not None else httpx.USE_CLIENT_DEFAULT,
    )


def select(client: httpx.Client, remote: RemoteStore, text: str) -> list[dict[str, str]]:
    """The rows of a SELECT, each variable bound to its value's lexical form."""
    response = client.post(remote.query, data={"query": text}, headers=JSON)
    assert response.status_code == 200, response.text
    return [
        {variable: term["value"] for variable, term in row.items()}
        for row in response.json()["results"]["bindings"]
    ]


def insert(graph: str, triple: str = TRIPLE) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{ {triple} }} }}"


def delete(graph: str, triple: str = TRIPLE) -> str:
    return f"DELETE DATA {{ GRAPH <{graph}> {{ {triple} }} }}"


def in_default_graph(client: httpx.Client, remote: RemoteStore, subject: str) -> list[str]:
    rows = select(client, remote, "SELECT * WHERE { ?s ?p ?o }")
    return [row["o"] for row in rows if row["s"] == subject and row["p"] == f"{EX}p"]


def in_named_graphs(client: httpx.Client, remote: RemoteStore, subject: str) -> set[str]:
    rows = select(client, remote, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{subject}> <{EX}p> ?o }} }}")
    return {row["g"] for row in rows}


def test_an_update_with_the_credentials_is_seen_in_its_graph_and_the_default_graph(
    remote: RemoteStore, client: httpx.Client
) -> None:
    graph = f"{EX}g1"
    response = update(client, remote, insert(graph))
    assert response.is_success, response.text
    try:
        assert in_named_graphs(client, remote, f"{EX}s") == {graph}
        # The default graph is the union of the named graphs.
        assert in_default_graph(client, remote, f"{EX}s") == ["o"]
    finally:
        response = update(client, remote, delete(graph))
    assert response.is_success, response.text
    assert in_named_graphs(client, remote, f"{EX}s") == set()
    assert in_default_graph(client, remote, f"{EX}s") == []


def test_an_update_without_the_credentials_is_refused(
    remote: RemoteStore, client: httpx.Client
) -> None:
    if remote.auth is None:
        pytest.skip(f"{remote.name} takes updates without credentials")
    subject = f"{EX}anonymous"
    response = update(client, remote, insert(f"{EX}g1", f'<{subject}> <{EX}p> "o"'), auth=False)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert in_named_graphs(client, remote, subject) == set()


def test_the_query_endpoint_does_not_update(remote: RemoteStore, client: httpx.Client) -> None:
    subject = f"{EX}through-query"
    text = insert(f"{EX}g1", f'<{subject}> <{EX}p> "o"')
    for form in ({"update": text}, {"query": text}):
        with contextlib.suppress(httpx.HTTPError):
            response = client.post(remote.query, data=form, headers=JSON)
            assert not response.is_success, response.text
    assert in_named_graphs(client, remote, subject) == set()


def test_the_default_graph_holds_a_triple_of_two_graphs(
    remote: RemoteStore, client: httpx.Client
) -> None:
    subject = f"{EX}twice"
    triple = f'<{subject}> <{EX}p> "o"'
    graphs = {f"{EX}two-a", f"{EX}two-b"}
    for graph in graphs:
        assert update(client, remote, insert(graph, triple)).is_success
    try:
        assert in_named_graphs(client, remote, subject) == graphs
        assert set(in_default_graph(client, remote, subject)) == {"o"}
    finally:
        for graph in graphs:
            assert update(client, remote, f"DROP SILENT GRAPH <{graph}>").is_success
    assert in_default_graph(client, remote, subject) == []


def test_the_graph_store_protocol_puts_and_gets_a_graph(
    remote: RemoteStore, client: httpx.Client
) -> None:
    graph = f"{EX}gsp"
    auth = remote.auth if remote.auth is not None else httpx.USE_CLIENT_DEFAULT
    body = f'<{EX}gsp-s> <{EX}p> "put"@en .\n'
    response = client.put(
        remote.store,
        params={"graph": graph},
        content=body,
        headers={"content-type": "application/n-triples"},
        auth=auth,
    )
    assert response.is_success, response.text
    response = client.get(
        remote.store,
        params={"graph": graph},
        headers={"accept": "application/n-triples"},
        auth=auth,
    )
    assert response.status_code == 200, response.text
    assert response.text.split() == body.split()
    assert client.delete(remote.store, params={"graph": graph}, auth=auth).is_success


def processes_naming(folder: Path) -> list[str]:
    """The command lines of the running processes that name folder."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            words = cmdline.read_bytes().split(b"\0")
            if any(str(folder).encode() in word for word in words):
                found.append(b" ".join(words).decode(errors="replace"))
    return found


@pytest.mark.parametrize("name", sorted(STARTERS))
def test_the_store_is_gone_when_its_block_raises(name: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="the test's own"), STARTERS[name](tmp_path) as store:
        assert httpx.get(store.query, params={"query": "ASK {}"}, timeout=10).status_code == 200
        assert processes_naming(tmp_path)
        raise RuntimeError("the test's own")
    assert processes_naming(tmp_path) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(store.query, params={"query": "ASK {}"}, timeout=5)
