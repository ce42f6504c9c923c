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

    def _graph_names(self) -> frozenset[str]:
        return frozenset(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    async def start(self) -> None:
        self.graphs = self._graph_names()
        await self.queries.start(await asyncio.to_thread(take, self.store, self.generation))

    async def publish(self) -> None:
        """After a committed write: the query copies and the graph list follow the store."""
        self.generation += 1
        self.graphs = self._graph_names()
        await self.queries.publish(await asyncio.to_thread(take, self.store, self.generation))
        for follow in self.on_publish:
            await follow()


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
