"""What every route shares: the store, the query engine, the catalog, the shapes, the write lock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from fastapi import Request

from libassoc.catalog import QueryCatalog
from libassoc.engine.checkpoint import Checkpoint, Checkpoints
from libassoc.engine.dispatch import Dispatcher
from libassoc.hash_subjects import HashSubjects
from libassoc.store import open_store
from libassoc.validation import Shapes
from libassoc.web.clients import Network, client_key
from libassoc.web.config import ServerConfig

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The running service.

    Only writes touch ``store``, under ``write_lock``. Everything that reads, the query workers
    and the pages alike, reads the checkpoint of the latest generation (``reading``).
    """

    config: ServerConfig
    store: ox.Store
    location: Path
    shapes: Shapes
    queries: Dispatcher
    checkpoints: Checkpoints
    catalog: QueryCatalog
    proxies: tuple[Network, ...] = ()
    hashed: HashSubjects = field(default_factory=HashSubjects)
    _indexing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    # A write failed on the disk: RocksDB refuses every write after that until the store is
    # opened again, which ``writable_store`` does before the next one.
    unwritable: bool = False
    generation: int = 0
    graphs: frozenset[str] = frozenset()
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What else follows the store after a write (the dumps); each must return at once and do
    # any long work in the background.
    on_publish: list[Callable[[Checkpoint], None]] = field(default_factory=list)

    def writable_store(self) -> ox.Store:
        """The store, for a write (under ``write_lock``, on the writer's thread).

        OSError or StoreLocationError while the disk still refuses it; the next write tries again.
        What the failed write left is undone by the writer (``store.settle``) before anything else.
        """
        if self.unwritable:
            # RocksDB lets go of the folder only once nothing holds the store: the service alone
            # does (the app hands it over), so an empty stand-in replaces it meanwhile.
            self.store = ox.Store()
            self.store = open_store(self.location)
            self.unwritable = False
            log.info("the store was opened again after a failed write; writes are accepted again")
        return self.store

    def client(self, request: Request) -> str:
        """Who sent ``request``, as per-client fairness tells clients apart."""
        return client_key(request.scope, self.proxies)

    async def start(self) -> None:
        checkpoint = await asyncio.to_thread(self.checkpoints.take, self.store, self.generation)
        self.graphs = frozenset(checkpoint.graphs)
        await self.queries.start(checkpoint)
        # In the background: queries are answered meanwhile, pages wait for it (and /ready).
        self._indexing = asyncio.create_task(asyncio.to_thread(self._index))

    def _index(self) -> None:
        with self.reading() as view:
            try:
                self.hashed.fill(view, self.catalog)
            except Exception:
                log.exception("could not find the hash IRIs of the documents; pages show none")

    async def publish(self) -> None:
        """After a committed write: the readers and the graph list follow the store.

        The new graph list takes effect together with the new data (no wait in between), so a
        request is never checked against one generation and answered from another.
        """
        try:
            checkpoint = await asyncio.to_thread(
                self.checkpoints.take, self.store, self.generation + 1
            )
            await self.queries.publish(checkpoint)
        except (OSError, RuntimeError):
            # The write is committed: its client hears so. Readers stay on the generation
            # before it until a later write publishes again.
            log.exception("could not publish generation %d", self.generation + 1)
            return
        self.generation, self.graphs = checkpoint.generation, frozenset(checkpoint.graphs)
        for follow in self.on_publish:
            follow(checkpoint)

    @contextmanager
    def reading(self) -> Iterator[ox.Store]:
        """The latest checkpoint, read-only, for as long as the caller reads it."""
        with self.queries.reading() as view:
            yield view


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
