"""A write as a transaction: its change worked out, validated around it, then applied whole.

The change is read off the request against the live store (``engine/changes.py``), validated on
its neighbourhood (the store conformed before it, so only what it touches can break; a change
to what a class or property is can break nodes anywhere, and is validated with the whole store),
and only then applied, with its journal, so a refused write leaves the store exactly as it was
and an accepted one is never half there. Everything happens under the write lock, and the
readers move to the new generation's checkpoint afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pyoxigraph as ox

from libassoc.engine.changes import refuse_ontology_changes
from libassoc.store import Change, apply
from libassoc.validation import ValidationOutcome, validate_change
from libassoc.web.state import Service

ChangeOf = Callable[[ox.Store], Change]


async def commit(service: Service, change_of: ChangeOf) -> ValidationOutcome | None:
    """Apply the change if the result conforms; else return the SHACL outcome, store untouched."""
    checks = service.catalog.checks()

    def run() -> tuple[ValidationOutcome | None, bool]:
        change = change_of(service.store)
        if not change:
            return None, False
        refuse_ontology_changes(change)
        outcome = validate_change(
            service.store, change, service.shapes, checks, service.checkpoints.root
        )
        if not outcome.conforms:
            return outcome, False
        apply(service.store, change, service.location)
        return None, True

    async def locked() -> ValidationOutcome | None:
        async with service.write_lock:
            refused, changed = await asyncio.to_thread(run)
            if changed:
                await service.publish()
            return refused

    # Shielded: a client that goes away (or a shutdown) cannot release the lock while the
    # thread is still applying the change, nor leave an applied change unpublished.
    return await asyncio.shield(locked())
