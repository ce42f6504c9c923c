"""A write as a transaction: its change worked out, validated around it, then applied whole.

The change is read off the request against the live store (``engine/changes.py``), validated on
its neighbourhood (the store conformed before it, so only what it touches can break; a change
to what a class or property is can break nodes anywhere, and is validated with the whole store),
and only then applied, with its journal, so a refused write leaves the store exactly as it was
and an accepted one is never half there. Everything happens under the write lock, and the
readers move to the new generation's checkpoint afterwards.

A store that cannot be written (a full disk) fails the write with 503: nothing of it stays, the
readers keep the generation they have, and the client may try again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pyoxigraph as ox

from libassoc.engine.changes import refuse_ontology_changes
from libassoc.engine.problem import HttpProblem
from libassoc.store import Change, StoreLocationError, apply, settle
from libassoc.validation import ValidationOutcome, validate_change
from libassoc.web.state import Service

log = logging.getLogger(__name__)

ChangeOf = Callable[[ox.Store], Change]

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


async def commit(service: Service, change_of: ChangeOf) -> ValidationOutcome | None:
    """Apply the change if the result conforms; else return the SHACL outcome, store untouched."""
    checks = service.catalog.checks()

    def run() -> tuple[ValidationOutcome | None, bool]:
        store = service.writable_store()
        # What an earlier write that failed left (to undo) goes first: the change is worked
        # out on the store as it really is.
        settle(store, service.location)
        change = change_of(store)
        if not change:
            return None, False
        refuse_ontology_changes(change)
        outcome = validate_change(store, change, service.shapes, checks, service.checkpoints.root)
        if not outcome.conforms:
            return outcome, False
        apply(store, change, service.location)
        service.hashed.follow(store, change)
        return None, True

    async def locked() -> ValidationOutcome | None:
        async with service.write_lock:
            try:
                refused, changed = await asyncio.to_thread(run)
            except (OSError, StoreLocationError) as error:
                log.error("a write failed and was not kept: %s", error)
                service.unwritable = True
                raise _unwritable(error) from error
            if changed:
                await service.publish()
            return refused

    # Shielded: a client that goes away (or a shutdown) cannot release the lock while the
    # thread is still applying the change, nor leave an applied change unpublished.
    return await asyncio.shield(locked())
