"""A real server for the linked-data tests: uvicorn on 127.0.0.1, an on-disk store of the real data.

Test modules import the fixtures they use from here (``from ld_fixtures import ld_server``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import uvicorn

from libassoc.settings import Paths
from libassoc.store import open_loaded_store
from libassoc.web.app import create_app
from libassoc.web.config import ServerConfig


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    store: ox.Store
    folder: Path

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(config: ServerConfig, store: ox.Store) -> Iterator[str]:
    """Run the app in a thread until the generator is closed; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config, store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def ld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("ld-server")
    config = ServerConfig(store=folder / "store", query_workers=2)
    store = open_loaded_store(Paths().sources(), config.store)
    for url in serve(config, store):
        yield LiveServer(url, store, folder)
