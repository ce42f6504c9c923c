"""What every route shares: the dataset behind the service, its query engine, catalog and shapes.

The service is an embedded Oxigraph store (``embedded.py``) or a remote SPARQL store
(``remote.py``); routes see only what both offer: an engine that answers query jobs, a
dataset to read pages from, a validating write, and the source the dumps are written from.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import pyoxigraph as ox
from fastapi import Request

from libassoc.catalog import QueryCatalog
from libassoc.dataset import Dataset
from libassoc.engine.evaluation import GraphJob, Outcome, QueryJob
from libassoc.engine.fairness import Fairness
from libassoc.engine.result_cache import ResultCache
from libassoc.hash_subjects import HashSubjects
from libassoc.search_index import SearchIndex
from libassoc.store import Change
from libassoc.validation import Shapes, ValidationOutcome
from libassoc.web.clients import Network, client_key
from libassoc.web.config import ServerConfig
from libassoc.web.kept_pages import KeptPages

log = logging.getLogger(__name__)
T = TypeVar("T")

ChangeOf = Callable[[Dataset], Change]


class QueryEngine(Protocol):
    """Where query jobs are answered, under the time limit and each client's share."""

    @property
    def fairness(self) -> Fairness | None: ...

    @property
    def kept(self) -> ResultCache | None:
        """Answers kept for the current data, if this engine keeps any."""

    @property
    def timeouts(self) -> int:
        """Jobs stopped at the time limit."""

    @property
    def restarts(self) -> int:
        """Query workers replaced."""

    @property
    def waiting(self) -> int:
        """Jobs waiting for a worker (or a connection to the remote store) now."""

    async def submit(
        self,
        job: QueryJob | GraphJob,
        *,
        may_run_inline: bool = True,
        client: str | None = None,
        reuse: bool = True,
    ) -> Outcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DumpSource:
    """One generation of the data, as the process that writes the dumps reads it.

    ``arguments`` go to ``python -m libassoc.publication`` before the output folder; ``hold``
    keeps the data there while it is read (False: it is gone), ``release`` lets it go.
    """

    generation: int
    arguments: tuple[str, ...]
    hold: Callable[[], bool] = field(default=lambda: True, compare=False)
    release: Callable[[], None] = field(default=lambda: None, compare=False)


@dataclass(kw_only=True)
class Service(ABC):
    """The running service."""

    config: ServerConfig
    shapes: Shapes
    queries: QueryEngine
    catalog: QueryCatalog
    proxies: tuple[Network, ...] = ()
    hashed: HashSubjects = field(default_factory=HashSubjects)
    searchable: SearchIndex = field(default_factory=SearchIndex)
    generation: int = 0
    # Pages kept for the current generation; None where the data may change behind our back.
    pages: KeptPages | None = None
    graphs: frozenset[str] = frozenset()
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What else follows the data after a write (the dumps); each must return at once and do
    # any long work in the background.
    on_publish: list[Callable[[DumpSource], None]] = field(default_factory=list)
    _indexing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    def client(self, request: Request) -> str:
        """Who sent ``request``, as per-client fairness tells clients apart."""
        return client_key(request.scope, self.proxies)

    def check_share(self, request: Request) -> None:
        """429 with ``Retry-After`` when whoever sent ``request`` has spent its share of time."""
        fairness = self.queries.fairness
        if fairness is not None:
            fairness.check(self.client(request))

    async def on_share(self, request: Request, work: Callable[[], T]) -> T:
        """What ``work`` returns, run on a thread, its processor time charged to the share of
        whoever sent ``request``: a page or a search costs the server as a query does."""

        def timed() -> tuple[T, float]:
            started = time.thread_time()
            return work(), time.thread_time() - started

        result, seconds = await asyncio.to_thread(timed)
        fairness = self.queries.fairness
        if fairness is not None:
            fairness.charge(self.client(request), seconds)
        return result

    @abstractmethod
    async def start(self) -> None:
        """Open what the service reads, start answering, and have the hash IRIs found."""

    def _find_hash_subjects(self) -> None:
        # In the background: queries are answered meanwhile, pages wait for it (and /ready).
        self._indexing = asyncio.create_task(asyncio.to_thread(self._index))

    def _index(self) -> None:
        if self.config.allow_updates:
            # Worked out from the shapes' SPARQL in about a second, which the first write would
            # otherwise wait for.
            self.shapes.reach  # noqa: B018
        with self.reading() as view:
            try:
                self.hashed.fill(view, self.catalog)
            except Exception:
                log.exception("could not find the hash IRIs of the documents; pages show none")
            try:
                self.searchable.fill(view, self.catalog)
            except Exception:
                log.exception("could not index the names for search; searches find nothing")
        # The indexes live as long as the server: out of the collector's full passes, which
        # over a million names would stall every request now and then (see app.py).
        gc.freeze()

    def follow(self, store: Dataset, change: Change) -> None:
        """After ``change`` was made to ``store`` (on the writer's thread): the indexes follow."""
        self.hashed.follow(store, change)
        self.searchable.follow(store, change)

    @abstractmethod
    def reading(self) -> AbstractContextManager[Dataset]:
        """The data as it is now, for as long as the caller reads it (on any thread)."""

    def around(self, view: Dataset, document: ox.NamedNode) -> Dataset:
        """What the page of ``document`` reads, from ``view`` (``reading``): ``view`` itself,
        unless each read costs a round trip."""
        return view

    def labelled(self, view: Dataset, quads: Iterable[ox.Quad]) -> Dataset:
        """What a page showing ``quads`` reads to label them (see ``around``)."""
        return view

    @abstractmethod
    async def commit(self, change_of: ChangeOf) -> ValidationOutcome | None:
        """Apply the change if the result conforms; else the SHACL outcome, nothing changed."""

    @abstractmethod
    def dump_source(self) -> DumpSource:
        """The newest generation, for the dumps."""

    @property
    def staging(self) -> Path | None:
        """Where an update that must be carried out to be known (``DELETE ... WHERE``) is
        staged; None when there is no copy to carry it out on."""
        return None

    @property
    def dumps_folder(self) -> Path | None:
        """Where the dumps are written: beside the store, so that the next start clears what a
        killed server left; None for a temporary folder."""
        return None

    @abstractmethod
    def close(self) -> None: ...


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
