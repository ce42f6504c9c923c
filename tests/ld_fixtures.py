"""Fixtures and helpers of the linked-data tests, built on conftest's real server.

``ld_server`` is conftest's server (``libassoc serve`` on 127.0.0.1, on-disk store, the shipped
data) with one variation: ``queries/app`` is a real folder in its home, because the query
catalog does not descend into a symlinked folder. Test modules import what they use from here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from conftest import ROOT, SHIPPED_DATA, LiveServer, make_home, start_server

from libassoc.store import open_loaded_store


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(server.url + path, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def ld_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("linked-data")
    shutil.copytree(ROOT / "queries" / "app", home / "queries" / "app")
    running = start_server(make_home(home))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def shipped_store() -> ox.Store:
    """The data the server serves, loaded here too, to derive what the answers must hold."""
    return open_loaded_store(SHIPPED_DATA)
