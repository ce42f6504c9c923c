"""The dataset as query workers receive it: every quad at one generation, as N-Quads."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


@dataclass(frozen=True)
class Snapshot:
    """The whole dataset at one generation: every quad, the merged default graph included."""

    generation: int
    nquads: bytes
    graphs: tuple[str, ...]  # empty named graphs exist too, and N-Quads cannot carry them


@dataclass(frozen=True)
class Ready:
    """A worker's word that it now holds a generation."""

    generation: int


def take(store: ox.Store, generation: int) -> Snapshot:
    """The store's dataset as a worker receives it."""
    nquads = store.dump(format=ox.RdfFormat.N_QUADS) or b""
    graphs = tuple(sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)))
    return Snapshot(generation, nquads, graphs)


def load(snapshot: Snapshot) -> ox.Store:
    """An in-memory store holding exactly the snapshot."""
    store = ox.Store()
    store.bulk_load(snapshot.nquads, format=ox.RdfFormat.N_QUADS)
    for graph in snapshot.graphs:
        store.add_graph(ox.NamedNode(graph))
    return store
