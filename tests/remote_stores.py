"""Real triple stores for the tests of serving the graph in front of a remote SPARQL store.

``oxigraph_server`` starts the ``oxigraph`` command of the test environment; ``virtuoso_server``
starts Debian's ``virtuoso-opensource`` (``virtuoso-t`` and ``isql-vt``) on a throw-away database
in a folder, with its HTTP server on. Each yields a ``RemoteStore``: the store's SPARQL query,
SPARQL update and Graph Store Protocol endpoints, and the credentials that writing needs.

Both stores can answer queries without ``FROM`` or ``GRAPH`` over the union of their named graphs,
a triple that two graphs state coming twice; Oxigraph can also keep a default graph of its own.
Virtuoso's default graph also holds its own system graphs (``virtrdf#`` and the like).

Virtuoso's public endpoint, ``/sparql``, runs as the ``SPARQL`` user, which may not update; its
``/sparql-auth`` and ``/sparql-graph-crud-auth`` take HTTP digest authentication, and a user of
their own made here, granted ``SPARQL_UPDATE``, writes through them.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from conftest import free_port

STARTUP_SECONDS = 30.0
QUERY_TIMEOUT_SECONDS = 15
VIRTUOSO = Path("/usr/bin/virtuoso-t")
ISQL = Path("/usr/bin/isql-vt")
VIRTUOSO_USER = "libassoc"


@dataclass(frozen=True)
class RemoteStore:
    """A running store's endpoints, and the credentials that writing to it needs."""

    name: str  # "oxigraph" or "virtuoso"
    query: str  # SPARQL query endpoint URL
    update: str  # SPARQL update endpoint URL
    store: str  # Graph Store Protocol endpoint URL
    # Credentials for libassoc: {} or LIBASSOC_REMOTE_USER and LIBASSOC_REMOTE_PASSWORD.
    env: dict[str, str]
    auth: httpx.Auth | None  # the same credentials for a test's own httpx calls


class StoreFailedError(RuntimeError):
    """A store did not start; the message carries the end of its log."""


def tail(log: Path, size: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-size:]
    except FileNotFoundError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes], *, gently: bool) -> None:
    """End a store's process and wait for it; gently means SIGTERM first."""
    if process.poll() is None:
        if gently:
            process.terminate()
            try:
                process.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                pass
        process.kill()
    process.wait()


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], logs: list[Path], name: str
) -> None:
    """Poll ``ASK {}`` at url until it is answered with 200; raise if the process ends first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = "\n".join(tail(log) for log in logs)
            raise StoreFailedError(f"{name} exited with {process.returncode}:\n{text}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    text = "\n".join(tail(log) for log in logs)
    raise StoreFailedError(f"{name} did not answer within {STARTUP_SECONDS} s:\n{text}")


@contextmanager
def oxigraph_server(folder: Path, union_default_graph: bool = True) -> Iterator[RemoteStore]:
    """``oxigraph serve`` on a database in folder, its default graph the union of the others
    (which repeats a triple that two graphs state), or a graph of its own."""
    executable = Path(sys.executable).with_name("oxigraph")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "oxigraph.log"
    command = [
        str(executable),
        "serve",
        "--location",
        str(folder / "data"),
        "--bind",
        f"127.0.0.1:{port}",
        *(["--union-default-graph"] if union_default_graph else []),
        # A query that the tests abandon must not run on for the rest of the session.
        "--timeout-s",
        str(QUERY_TIMEOUT_SECONDS),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/query", process, [log], "oxigraph")
        yield RemoteStore(
            name="oxigraph",
            query=f"{base}/query",
            update=f"{base}/update",
            store=f"{base}/store",
            env={},
            auth=None,
        )
    finally:
        stop(process, gently=True)


def virtuoso_ini(folder: Path, sql_port: int, http_port: int) -> str:
    """A configuration for a throw-away database in folder, with the HTTP server on."""
    return f"""\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
ServerThreads = 20
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}/www
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
[SPARQL]
ResultSetMaxRows = 1000000
"""


def isql(sql_port: int, statements: str) -> str:
    """Run SQL as dba; raise if isql fails or reports an error (it exits 0 on SQL errors)."""
    done = subprocess.run(
        [
            str(ISQL),
            f"127.0.0.1:{sql_port}",
            "dba",
            "dba",
            "verbose=off",
            "banner=off",
            "prompt=off",
            "echo=off",
            "errors=stdout",
            f"exec={statements}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise StoreFailedError(f"isql failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[RemoteStore]:
    """Virtuoso on a new database in folder; a user of its own may update through /sparql-auth.

    The server's log stays in the folder (virtuoso.log, and its output in virtuoso.out).
    """
    if not VIRTUOSO.exists():
        raise StoreFailedError(f"{VIRTUOSO} is not installed (Debian's virtuoso-opensource)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "www").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(virtuoso_ini(folder, sql_port, http_port), encoding="utf-8")
    output = folder / "virtuoso.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(VIRTUOSO), "+configfile", str(ini), "+foreground"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=folder,
            start_new_session=True,  # a Ctrl-C of the tests reaches it only through us
        )
    try:
        base = f"http://127.0.0.1:{http_port}"
        logs = [folder / "virtuoso.log", output]
        wait_until_answering(f"{base}/sparql", process, logs, "virtuoso")
        password = secrets.token_urlsafe(12)
        # The public endpoint runs as the user SPARQL, which has no SPARQL_UPDATE: it cannot
        # write. The user made here can, through the endpoints that take digest auth.
        isql(
            sql_port,
            f"DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{password}'); "
            f'GRANT SPARQL_UPDATE TO "{VIRTUOSO_USER}";',
        )
        yield RemoteStore(
            name="virtuoso",
            query=f"{base}/sparql",
            update=f"{base}/sparql-auth",
            store=f"{base}/sparql-graph-crud-auth",
            env={"LIBASSOC_REMOTE_USER": VIRTUOSO_USER, "LIBASSOC_REMOTE_PASSWORD": password},
            auth=httpx.DigestAuth(VIRTUOSO_USER, password),
        )
    finally:
        # A throw-away database: no checkpoint at shutdown is needed.
        stop(process, gently=False)
