"""Start a SPARQL server as a child process, wait until it answers, restart it, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchkit.rss import started_at, tree

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


# libassoc's per-client shares, lifted: the harness is one client (one address, one User-Agent)
# standing for as many as it runs at once, and the other servers share nothing. Fairness under
# load is bench/load.py's to measure.
LIBASSOC_UNSHARED = ("--client-concurrency", "1000", "--client-budget", "1e9")


class ServerFailedError(RuntimeError):
    """The server exited or did not answer in time; the message ends with its log."""


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server and where its SPARQL endpoint answers."""

    name: str
    argv: tuple[str, ...]
    endpoint: str
    log: Path
    startup_timeout: float = 300.0
    # What to add to the harness's environment (a write token, say).
    env: Mapping[str, str] = field(default_factory=dict)
    # The URL polled until the server is ready; the endpoint itself when empty.
    probe: str = ""
    poll_interval: float = 0.25


def answers(endpoint: str, timeout: float) -> bool:
    """Whether the endpoint gives any HTTP answer below 500 within ``timeout`` seconds."""
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            return client.get(endpoint).status_code < 500
    except httpx.HTTPError:
        return False


class Server:
    """One server process, started and stopped by the harness."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._started = 0.0
        self._launched = False  # once started, later starts append to the same log
        self.startup_seconds = 0.0

    def start(self) -> None:
        self.spec.log.parent.mkdir(parents=True, exist_ok=True)
        self._started = time.monotonic()
        env = {**os.environ, **self.spec.env} if self.spec.env else None
        with self.spec.log.open("ab" if self._launched else "wb") as log:
            self._process = subprocess.Popen(
                self.spec.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self._launched = True

    @property
    def pid(self) -> int | None:
        """The process id while the server runs, else None."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def check(self) -> bool:
        """Whether the endpoint answers now; raise ServerFailedError if it exited or is too slow."""
        if self._process is None or self._process.poll() is not None:
            code = self._process.returncode if self._process is not None else None
            # A negative code is the signal that ended it: -9 is SIGKILL (the OOM killer, say).
            status = f" (exit code {code})" if code is not None else ""
            raise ServerFailedError(
                f"{self.spec.name} exited at start-up{status}\n{self.log_tail()}"
            )
        if answers(self.spec.probe or self.spec.endpoint, timeout=2.0):
            self.startup_seconds = time.monotonic() - self._started
            return True
        if time.monotonic() - self._started > self.spec.startup_timeout:
            self.stop()
            raise ServerFailedError(
                f"{self.spec.name} did not answer within {self.spec.startup_timeout:.0f} s\n"
                + self.log_tail()
            )
        return False

    def wait_ready(self) -> None:
        wait_all([self])

    def responsive(self, timeout: float = 5.0) -> bool:
        return answers(self.spec.endpoint, timeout)

    def restart(self) -> None:
        """Stop and start again: the only way to end a query in a server without a time limit."""
        self.stop()
        self.restarts += 1
        self.start()
        self.wait_ready()

    def stop(self) -> None:
        """Terminate the server, then any process it started that outlived it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        family = [(pid, started_at(pid)) for pid in tree(process.pid)[1:]]
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid, started in family:
            if started is not None and started_at(pid) == started:  # still that same process
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.spec.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_all(specs: Sequence[ServerSpec]) -> list[Server]:
    """Start every server at once (they load in parallel), then wait for each."""
    servers = [Server(spec) for spec in specs]
    try:
        for server in servers:
            server.start()
        wait_all(servers)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def wait_all(servers: Sequence[Server]) -> None:
    """Block until every server answers, timing each from its own start."""
    waiting = list(servers)
    while waiting:
        waiting = [server for server in waiting if not server.check()]
        if waiting:
            time.sleep(min(server.spec.poll_interval for server in waiting))
