"""The service in front of a remote SPARQL store: its engine evaluates, libassoc keeps the rules.

Queries go to the remote (``engine/remote.py``); pages read it through ``RemoteDataset``. A write
is worked out and validated here before anything reaches the store: the change is read off the
request against the remote, validated on the neighbourhood of the nodes it touches (fetched by
SPARQL, as ``neighbourhood.py`` reads it), and only then sent as one SPARQL Update. A refused
write sends nothing. Writes through this server are one at a time (``write_lock``); the remote's
other writers, if it has any, are its operator's business.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyoxigraph as ox

from libassoc.dataset import Dataset
from libassoc.engine.changes import refuse_ontology_changes
from libassoc.engine.problem import HttpProblem
from libassoc.engine.remote import RemoteQueries
from libassoc.neighbourhood import Neighbourhood, as_store
from libassoc.remote.around import around_change
from libassoc.remote.dataset import RemoteDataset
from libassoc.store import Change
from libassoc.validation import (
    ONTOLOGY_GRAPH,
    ValidationOutcome,
    changes_vocabulary,
    validate_around,
)
from libassoc.web.prefetch import labels_around, page_store
from libassoc.web.state import ChangeOf, DumpSource, Service

VOCABULARY_REFUSED = (
    "This write says what a class or property is, or changes a term of the ontology: that can "
    "make nodes anywhere in the store invalid, and in front of a remote store a write is "
    "validated only around what it touches. Make such changes in the data files, validate them "
    "(libassoc validate) and load them with libassoc push."
)


@dataclass(kw_only=True)
class RemoteService(Service):
    dataset: RemoteDataset
    queries: RemoteQueries
    # queries/remote/apply-change.ru: the update each validated write is sent as.
    update_template: str

    async def start(self) -> None:
        graphs = await asyncio.to_thread(lambda: list(self.dataset.named_graphs()))
        self.graphs = self.dataset.dataset_graphs = frozenset(g.value for g in graphs)
        self._find_hash_subjects()

    @contextmanager
    def reading(self) -> Iterator[RemoteDataset]:
        yield self.dataset

    def around(self, view: Dataset, document: ox.NamedNode) -> ox.Store:
        return page_store(self.dataset, document, [document, *self.hashed.under(document)])

    def labelled(self, view: Dataset, quads: Iterable[ox.Quad]) -> ox.Store:
        quads = list(quads)
        return as_store({*quads, *labels_around(self.dataset, quads)})

    def dump_source(self) -> DumpSource:
        queries = str(self.config.paths.queries)
        return DumpSource(
            self.generation, ("--queries", queries, "--remote", self.dataset.endpoints.query)
        )

    async def commit(self, change_of: ChangeOf) -> ValidationOutcome | None:
        checks = self.catalog.checks()

        def run() -> tuple[ValidationOutcome | None, Change | None]:
            change = change_of(self.dataset)
            if not change:
                return None, None
            refuse_ontology_changes(change)
            if changes_vocabulary(change):
                raise HttpProblem(501, VOCABULARY_REFUSED)
            nearby = around_change(self.dataset, change, ONTOLOGY_GRAPH, self.shapes.reach)
            around = Neighbourhood(nearby, change, ONTOLOGY_GRAPH, reach=self.shapes.reach)
            outcome = validate_around(around, self.shapes, checks)
            if not outcome.conforms:
                return outcome, None
            self.dataset.apply(change, self.update_template)
            self.follow(self.dataset, change)
            return None, change

        async def locked() -> ValidationOutcome | None:
            async with self.write_lock:
                refused, change = await asyncio.to_thread(run)
                if change is not None:
                    self.graphs = await asyncio.to_thread(self._graphs_after, change)
                    self.dataset.dataset_graphs = self.graphs
                    self.generation += 1
                    self.queries.publish()
                    source = self.dump_source()
                    for follow in self.on_publish:
                        follow(source)
                return refused

        # Shielded: a client that goes away cannot release the lock while the change is sent.
        return await asyncio.shield(locked())

    def _graphs_after(self, change: Change) -> frozenset[str]:
        """The graph list once ``change`` is made: a graph it emptied is gone."""
        graphs = set(self.graphs) | {str(q.graph_name)[1:-1] for q in change.added}
        for graph in {q.graph_name for q in change.removed}:
            if isinstance(graph, ox.NamedNode) and not self.dataset.contains_named_graph(graph):
                graphs.discard(graph.value)
        return frozenset(graphs)

    def close(self) -> None:
        self.queries.close()
