"""Helpers of the linked-data tests, which run against conftest's real server (``server``).

Test modules import what they use from here (``from ld_fixtures import get, shipped_store``).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from conftest import SHIPPED_DATA, LiveServer

from libassoc.store import open_loaded_store


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def shipped_store() -> ox.Store:
    """The data the server serves, loaded here too, to derive what the answers must hold."""
    return open_loaded_store(SHIPPED_DATA)


@pytest.fixture(scope="session", name="server")
def server_over_either_store(either_server: LiveServer) -> LiveServer:
    """conftest's read-only server, over its own store and then over a remote one: a module that
    imports this fixture runs each of its tests against both, so the two cannot drift apart."""
    return either_server


@pytest.fixture(scope="session", name="client")
def client_over_either_store(server: LiveServer) -> Iterator[httpx.Client]:
    """A client of the module's ``server``: conftest's would stay bound to the first server."""
    with httpx.Client(base_url=server.url, timeout=30) as session:
        yield session
