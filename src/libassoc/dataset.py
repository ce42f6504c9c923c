"""What reading the dataset takes: the one small interface the query engine and validation read.

An embedded Oxigraph store and each of its read-only checkpoints are datasets as they are; a
store behind a SPARQL endpoint is one by answering these five calls (``remote/dataset.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
# A remote store's CONSTRUCT answer is parsed triples: pyoxigraph makes no QueryTriples of them.
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterator[ox.Triple]


class Dataset(Protocol):
    """Named graphs and, as the default graph, their merge."""

    def query(
        self,
        query: str,
        *,
        default_graph: GraphName | list[GraphName] | None = None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
        substitutions: dict[ox.Variable, Term] | None = None,
    ) -> QueryResult: ...

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]: ...

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]: ...

    def contains_named_graph(self, graph_name: GraphName) -> bool: ...

    def __contains__(self, quad: ox.Quad) -> bool: ...


@runtime_checkable
class Batched(Protocol):
    """A dataset that answers many lookups in one request, as a remote store had better."""

    def present(self, quads: Collection[ox.Quad]) -> set[ox.Quad]: ...

    def stating(self, triples: Collection[ox.Triple]) -> list[ox.Quad]: ...


def present(store: Dataset, quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """Which of ``quads`` ``store`` holds: one lookup each, or a few requests for them all."""
    wanted = set(quads)
    if isinstance(store, Batched):
        return store.present(wanted)
    return {quad for quad in wanted if quad in store}


def stating(store: Dataset, triples: Iterable[ox.Triple]) -> list[ox.Quad]:
    """The named-graph quads that state any of ``triples`` (the default graph's may be among
    them)."""
    wanted = set(triples)
    if isinstance(store, Batched):
        return store.stating(wanted)
    return [
        quad
        for triple in wanted
        for quad in store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
    ]
