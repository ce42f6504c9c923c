"""A real server for the endpoint tests: ``python -m libassoc serve`` on 127.0.0.1, on-disk store.

The server reads the shipped ontology and data and validates them as a user's server does, with
the project's shapes and checks. That takes seconds at every start, so the tests share servers:
one read-only server for the session, and one of their own for the modules that write.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "endpoint"
SHIPPED_DATA = (ROOT / "ontology", ROOT / "data")
WRITE_TOKEN = "test-token-5b1f"  # noqa: S105 (a token for a throw-away test server)
STARTUP_SECONDS = 180.0
# The read-only servers': a short time limit and a small row cap, as the tests need.
READ_ONLY_OPTIONS = ("--query-timeout", "2", "--max-rows", "5000", "--max-request-bytes", "100000")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_home(folder: Path) -> Path:
    """A project root for a test server: the real shapes, queries (checks too) and query UI."""
    # Copied, not linked: the catalog does not follow links to folders.
    for name in ("shapes", "queries"):
        shutil.copytree(ROOT / name, folder / name, dirs_exist_ok=True)
    if (ROOT / "node_modules").exists() and not (folder / "node_modules").exists():
        (folder / "node_modules").symlink_to(ROOT / "node_modules")
    return folder


@dataclass
class LiveServer:
    """A running ``libassoc serve`` process."""

    url: str
    process: subprocess.Popen[bytes]
    home: Path
    log: Path

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    @property
    def remote(self) -> bool:
        """Whether it serves a remote store rather than its own."""
        return "--remote-query" in list(map(str, self.process.args))  # type: ignore[arg-type]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve_command(port: int, options: Sequence[str], data: Sequence[Path]) -> list[str]:
    command = [sys.executable, "-m", "libassoc", "serve", "--port", str(port)]
    for path in data:
        command += ["--data", str(path)]
    return [*command, *options]


def start_server(
    home: Path,
    options: Sequence[str] = (),
    data: Sequence[Path] = SHIPPED_DATA,
    env: dict[str, str] | None = None,
) -> LiveServer:
    """Start a server and wait until it answers and is ready (its indexes built, so a search
    finds what it should); fail with its output if it does not."""
    port = free_port()
    log = home / f"server-{port}.log"
    environment = {**os.environ, "LIBASSOC_HOME": str(home), **(env or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(port, options, data),
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, home, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{server.output()}")
        try:
            answers = httpx.get(server.sparql, params={"query": "ASK {}"}, timeout=5)
            if answers.status_code == 200 and httpx.get(server.url + "/ready").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS} s:\n{server.output()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A read-only server with a short time limit and a small row cap, as the tests need."""
    home = make_home(tmp_path_factory.mktemp("read-only"))
    running = start_server(home, READ_ONLY_OPTIONS)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session


def push_shipped_data(home: Path, store_url: str, env: dict[str, str], merge: str | None) -> None:
    """``libassoc push`` the shipped data to a remote store, as the README says, with the merge
    of the graphs in the default graph (``merge="default"``) or a named graph (an IRI)."""
    command = [sys.executable, "-m", "libassoc", "push", "--store-url", store_url]
    for path in SHIPPED_DATA:
        command += ["--data", str(path)]
    if merge == "default":
        command.append("--merge-default-graph")
    elif merge is not None:
        command += ["--merge-default-graph", merge]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "LIBASSOC_HOME": str(home), **env},
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def remote_options(remote: Any, default_graph: str) -> list[str]:
    """The options of a server in front of ``remote`` (a ``remote_stores.RemoteStore``)."""
    return [
        "--remote-query",
        remote.query,
        "--remote-update",
        remote.update,
        "--remote-store",
        remote.store,
        "--remote-default-graph",
        default_graph,
    ]


@pytest.fixture(scope="session")
def remote_oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An Oxigraph server holding the shipped data, its default graph kept as their merge."""
    from remote_stores import oxigraph_server

    folder = tmp_path_factory.mktemp("remote-oxigraph")
    with oxigraph_server(folder / "store", union_default_graph=False) as remote:
        push_shipped_data(make_home(folder), remote.store, remote.env, merge="default")
        yield remote


@pytest.fixture(scope="session")
def remote_server(
    tmp_path_factory: pytest.TempPathFactory, remote_oxigraph: Any
) -> Iterator[LiveServer]:
    """The read-only server's twin, in front of an Oxigraph server instead of its own store."""
    home = make_home(tmp_path_factory.mktemp("read-only-remote"))
    running = start_server(
        home, [*READ_ONLY_OPTIONS, *remote_options(remote_oxigraph, "kept")], data=()
    )
    yield running
    running.stop()


@pytest.fixture(scope="session", params=["embedded", "remote"])
def either_server(request: pytest.FixtureRequest) -> LiveServer:
    """The read-only server over its own store, then over a remote one: the same tests for both."""
    name = "server" if request.param == "embedded" else "remote_server"
    found: LiveServer = request.getfixturevalue(name)
    return found
