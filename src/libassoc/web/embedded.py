"""The service over the embedded Oxigraph store: checkpoints for readers, one writer.

Only writes touch ``store``, under ``write_lock``. Everything that reads, the query workers and
the pages alike, reads the checkpoint of the latest generation (``reading``).

A write is a transaction: its change worked out against the live store (``engine/changes.py``),
validated around it (the store conformed before it, so only what it touches can break; a change
to what a class or property is can break nodes anywhere, and is validated with the whole store),
and only then applied, with its journal, so a refused write leaves the store exactly as it was
and an accepted one is never half there. The readers move to the new generation's checkpoint
afterwards. A store that cannot be written (a full disk) fails the write with 503: nothing of it
stays, the readers keep the generation they have, and the client may try again later.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from libassoc.engine.changes import refuse_ontology_changes
from libassoc.engine.checkpoint import Checkpoint, Checkpoints
from libassoc.engine.dispatch import Dispatcher
from libassoc.engine.problem import HttpProblem
from libassoc.store import StoreLocationError, apply, open_store, settle
from libassoc.validation import ValidationOutcome, validate_change
from libassoc.web.state import ChangeOf, DumpSource, Service

log = logging.getLogger(__name__)

# Room on a disk comes back when someone makes it: minutes, not the seconds a worker takes.
STORE_RETRY_AFTER_SECONDS = 60


def _cause(error: OSError | StoreLocationError) -> str:
    """What the operating system said, without the paths: "No space left on device"."""
    # RocksDB's messages end with it ("...: While appending to file: PATH: File too large").
    said = error.strerror if isinstance(error, OSError) else None
    return said or str(error).rpartition(": ")[2] or "an input/output error"


def _unwritable(error: OSError | StoreLocationError) -> HttpProblem:
    return HttpProblem(
        503,
        f"The store cannot be written now ({_cause(error)}); nothing of this write was kept. "
        "Try again later.",
        {"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
    )


@dataclass(kw_only=True)
class EmbeddedService(Service):
    store: ox.Store
    location: Path
    queries: Dispatcher
    checkpoints: Checkpoints
    # Read once at start: every write's validation needs it, and no write may change it.
    ontology: tuple[ox.Quad, ...] | None = None
    # A write failed on the disk: RocksDB refuses every write after that until the store is
    # opened again, which ``writable_store`` does before the next one.
    unwritable: bool = False

    def writable_store(self) -> ox.Store:
        """The store, for a write (under ``write_lock``, on the writer's thread).

        OSError or StoreLocationError while the disk still refuses it; the next write tries again.
        What the failed write left is undone by the writer (``store.settle``) before anything else.
        """
        if self.unwritable:
            # RocksDB lets go of the folder only once nothing holds the store: the service alone
            # does (the app hands it over), so an empty stand-in replaces it meanwhile. The
            # failed write's traceback may still hold it, in a cycle only the collector breaks.
            self.store = ox.Store()
            gc.collect()
            self.store = open_store(self.location)
            self.unwritable = False
            log.info("the store was opened again after a failed write; writes are accepted again")
        return self.store

    @property
    def staging(self) -> Path:
        return self.checkpoints.root

    @property
    def dumps_folder(self) -> Path:
        return self.location.with_name(self.location.name + ".dumps")

    async def start(self) -> None:
        checkpoint = await asyncio.to_thread(self.checkpoints.take, self.store, self.generation)
        self.graphs = frozenset(checkpoint.graphs)
        await self.queries.start(checkpoint)
        self._find_hash_subjects()

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
        source = self._source(checkpoint)
        for follow in self.on_publish:
            follow(source)

    def _source(self, checkpoint: Checkpoint) -> DumpSource:
        return DumpSource(
            checkpoint.generation,
            ("--queries", str(self.config.paths.queries), "--checkpoint", str(checkpoint.path)),
            partial(self.checkpoints.acquire, checkpoint),
            partial(self.checkpoints.release, checkpoint),
        )

    def dump_source(self) -> DumpSource:
        return self._source(self.queries.checkpoint)

    @contextmanager
    def reading(self) -> Iterator[ox.Store]:
        """The latest checkpoint, read-only, for as long as the caller reads it."""
        with self.queries.reading() as view:
            yield view

    async def commit(self, change_of: ChangeOf) -> ValidationOutcome | None:
        checks = self.catalog.checks()

        def run() -> tuple[ValidationOutcome | None, bool]:
            store = self.writable_store()
            # What an earlier write that failed left (to undo) goes first: the change is worked
            # out on the store as it really is.
            settle(store, self.location)
            change = change_of(store)
            if not change:
                return None, False
            refuse_ontology_changes(change)
            outcome = validate_change(
                store, change, self.shapes, checks, self.checkpoints.root, self.ontology
            )
            if not outcome.conforms:
                return outcome, False
            apply(store, change, self.location)
            self.follow(store, change)
            return None, True

        async def locked() -> ValidationOutcome | None:
            async with self.write_lock:
                try:
                    refused, changed = await asyncio.to_thread(run)
                except (OSError, StoreLocationError) as error:
                    log.error("a write failed and was not kept: %s", error)
                    self.unwritable = True
                    # Its traceback holds the writer's frames, and they the store, which must
                    # be let go of before the next write can open it again: the client hears
                    # the cause, the log has it, the frames go now.
                    error.__traceback__ = None
                    raise _unwritable(error) from None
                if changed:
                    await self.publish()
                return refused

        # Shielded: a client that goes away (or a shutdown) cannot release the lock while the
        # thread is still applying the change, nor leave an applied change unpublished.
        return await asyncio.shield(locked())

    def close(self) -> None:
        self.queries.close()
        self.checkpoints.close()
