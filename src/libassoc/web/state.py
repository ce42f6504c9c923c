"""What every route shares: the store, where queries run, the catalog, and the write lock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
from fastapi import Request

from libassoc.catalog import QueryCatalog
from libassoc.web.config import ServerConfig
from libassoc.web.dispatch import Dispatcher
from libassoc.web.snapshot import take


@dataclass
class Service:
    """The running service. SPARQL jobs never read ``store``; the workers and a replica copy it."""

    config: ServerConfig
    store: ox.Store
    queries: Dispatcher
    catalog: QueryCatalog
    generation: int = 0
    graphs: frozenset[str] = frozenset()
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What else follows the store after a write (the dumps), run in order, under the write lock.
    on_publish: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def start(self) -> None:
        snapshot = await asyncio.to_thread(take, self.store, self.generation)
        self.graphs = frozenset(snapshot.graphs)
        await self.queries.start(snapshot)

    async def publish(self) -> None:
        """After a committed write: the query copies and the graph list follow the store.

        The new graph list takes effect together with the new data (no wait in between), so a
        request is never checked against one generation and answered from another.
        """
        snapshot = await asyncio.to_thread(take, self.store, self.generation + 1)
        await self.queries.publish(snapshot)
        self.generation, self.graphs = snapshot.generation, frozenset(snapshot.graphs)
        for follow in self.on_publish:
            await follow()


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
