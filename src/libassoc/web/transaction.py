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

from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import ONTOLOGY_GRAPH as ONTOLOGY_GRAPH_IRI
from libassoc.neighbourhood import Neighbourhood
from libassoc.store import Change, apply
from libassoc.validation import (
    ValidationOutcome,
    changes_vocabulary,
    validate_around,
    validate_whole_after,
)
from libassoc.web.state import Service

ChangeOf = Callable[[ox.Store], Change]
# The ontology is the contract every other graph is checked against: it is published from
# ontology/libassoc.ttl and changes with the software, not through the endpoint.
ONTOLOGY_GRAPH = ox.NamedNode(str(ONTOLOGY_GRAPH_IRI))


def _refuse_ontology_changes(change: Change) -> None:
    graphs = {q.graph_name for q in change.quads} | change.created | change.dropped
    if ONTOLOGY_GRAPH in graphs:
        raise HttpProblem(
            403,
            f"<{ONTOLOGY_GRAPH.value}> is the ontology, published from ontology/libassoc.ttl; "
            "change that file and restart the server instead.",
        )


async def commit(service: Service, change_of: ChangeOf) -> ValidationOutcome | None:
    """Apply the change if the result conforms; else return the SHACL outcome, store untouched."""
    checks = service.catalog.checks()

    def run() -> tuple[ValidationOutcome | None, bool]:
        change = change_of(service.store)
        if not change:
            return None, False
        _refuse_ontology_changes(change)
        if changes_vocabulary(change):
            outcome = validate_whole_after(
                service.store, change, service.shapes, checks, service.checkpoints.root
            )
        else:
            around = Neighbourhood(service.store, change, ONTOLOGY_GRAPH)
            outcome = validate_around(around, service.shapes, checks)
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
