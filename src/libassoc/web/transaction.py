"""A write as a transaction: staged on a copy, validated against the shapes, then committed.

The change runs on an in-memory copy of the whole dataset. Only when the copy still conforms is
the difference applied to the real store, so a refused write leaves it exactly as it was. The
default graph is derived (the merge of the named graphs): a change that writes to it is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pyoxigraph as ox

from libassoc.store import DEFAULT_GRAPH, named_quads, refresh_default_graph
from libassoc.validation import ValidationOutcome, validate_store
from libassoc.web.problem import HttpProblem
from libassoc.web.snapshot import load, take
from libassoc.web.state import Service

Change = Callable[[ox.Store], None]


def _default_quads(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, DEFAULT_GRAPH))


def _graph_names(store: ox.Store) -> set[ox.NamedNode | ox.BlankNode]:
    return set(store.named_graphs())


def _stage(store: ox.Store, change: Change) -> ox.Store:
    """A copy of ``store`` with ``change`` applied and its default graph derived again."""
    copy = load(take(store, -1))
    before = _default_quads(copy)
    change(copy)
    if _default_quads(copy) != before:
        raise HttpProblem(
            403,
            "The write changes the default graph, which this endpoint derives as the merge of all "
            "named graphs. Write to a named graph instead: GRAPH <iri> { ... } in an update, or "
            "?graph=IRI in the Graph Store Protocol.",
        )
    for quad in set(named_quads(copy)) - set(named_quads(store)):
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            raise HttpProblem(
                400,
                f"The write adds a blank node ({quad.triple}); the published data has none, so "
                "give every node an IRI.",
            )
    refresh_default_graph(copy)
    return copy


def _apply(store: ox.Store, staged: ox.Store) -> None:
    """Make ``store`` hold what ``staged`` holds, touching only what differs."""
    old, new = set(named_quads(store)), set(named_quads(staged))
    for quad in old - new:
        store.remove(quad)
    store.extend(new - old)
    old_graphs, new_graphs = _graph_names(store), _graph_names(staged)
    for graph in new_graphs - old_graphs:
        store.add_graph(graph)
    for graph in old_graphs - new_graphs:
        store.remove_graph(graph)
    refresh_default_graph(store)
    store.flush()


async def commit(service: Service, change: Change) -> ValidationOutcome | None:
    """Apply ``change`` if the result conforms; else return the SHACL outcome, store untouched."""
    shapes = [service.config.paths.shapes]
    checks = service.catalog.checks()

    def run() -> ValidationOutcome | None:
        staged = _stage(service.store, change)
        outcome = validate_store(staged, shapes, checks)
        if not outcome.conforms:
            return outcome
        _apply(service.store, staged)
        return None

    async with service.write_lock:
        refused = await asyncio.to_thread(run)
        if refused is None:
            await service.publish()
        return refused
