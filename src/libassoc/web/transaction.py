"""A write as a transaction: staged on a copy, validated against the shapes, then committed.

The change runs on an in-memory copy of the whole dataset. Only when the copy still conforms is
the difference applied to the real store, so a refused write leaves it exactly as it was. The
default graph is derived (the merge of the named graphs): a change that writes to it is refused.

The store conformed before the write, so the shapes check only the nodes the write can have made
invalid (``focus``); validating the whole dataset would take seconds on every write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

import pyoxigraph as ox

from libassoc.store import DEFAULT_GRAPH, named_quads, refresh_default_graph
from libassoc.validation import ValidationOutcome, validate_store
from libassoc.web.problem import HttpProblem
from libassoc.web.snapshot import load, take
from libassoc.web.state import Service

Change = Callable[[ox.Store], None]


@dataclass(frozen=True)
class _Staged:
    """A copy of the store with a change applied, and the named-graph quads it added and removed."""

    store: ox.Store
    added: frozenset[ox.Quad]
    removed: frozenset[ox.Quad]


def _default_quads(store: ox.Store) -> set[ox.Quad]:
    return set(store.quads_for_pattern(None, None, None, DEFAULT_GRAPH))


def _graph_names(store: ox.Store) -> set[ox.NamedNode | ox.BlankNode]:
    return set(store.named_graphs())


def _stage(store: ox.Store, change: Change) -> _Staged:
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
    old, new = set(named_quads(store)), set(named_quads(copy))
    for quad in new - old:
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            raise HttpProblem(
                400,
                f"The write adds a blank node ({quad.triple}); the published data has none, so "
                "give every node an IRI.",
            )
    refresh_default_graph(copy)
    return _Staged(copy, frozenset(new - old), frozenset(old - new))


def _iris(terms: Iterable[object]) -> set[ox.NamedNode]:
    return {term for term in terms if isinstance(term, ox.NamedNode)}


def _focus(staged: _Staged) -> set[ox.NamedNode]:
    """The nodes whose shapes the write can have broken, in the staged merged graph.

    The subjects and IRI objects of the changed quads (an object's shapes may look back at the
    subject: the inverse-link constraints), and every node that points at a changed subject or
    uses it as a predicate, since its sh:class and SPARQL constraints read that description. Not
    the nodes that point at a changed object: its description is the same, and for the object of
    `a schema:Organization` they would be every organization.
    """
    changed = staged.added | staged.removed
    subjects = _iris(q.subject for q in changed)
    merged = staged.store
    referrers = (
        quad.subject
        for subject in subjects
        for quad in chain(
            merged.quads_for_pattern(None, None, subject, DEFAULT_GRAPH),
            merged.quads_for_pattern(None, subject, None, DEFAULT_GRAPH),
        )
    )
    return subjects | _iris(q.object for q in changed) | _iris(referrers)


def _apply(store: ox.Store, staged: _Staged) -> None:
    """Make ``store`` hold what ``staged`` holds, touching only what differs."""
    for quad in staged.removed:
        store.remove(quad)
    store.extend(staged.added)
    old_graphs, new_graphs = _graph_names(store), _graph_names(staged.store)
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
        outcome = validate_store(staged.store, shapes, checks, _focus(staged))
        if not outcome.conforms:
            return outcome
        _apply(service.store, staged)
        return None

    async with service.write_lock:
        refused = await asyncio.to_thread(run)
        if refused is None:
            await service.publish()
        return refused
