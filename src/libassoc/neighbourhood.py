"""The part of the dataset that a change can make invalid, read as it will be after the change.

The shapes check a node by reading its own triples, some of the triples that point at it, and
some triples of the nodes it points at (``reach.py`` says which). So a change's focus nodes are:

- the nodes it describes;
- the nodes it points at by a predicate through which the shapes read incoming links; a link
  by any other predicate leaves them as they were, so only their own triples are read, which
  the shapes of the nodes pointing at them read;
- when it describes a node by a predicate that the shapes read on the nodes pointed at (its
  type, a two-way link), the nodes pointing at it, and the nodes it points back at by a link
  read from there. Any other description (a new name) leaves them as they were;
- the few nodes named as targets (``sh:targetNode``) that point at a node it describes.

The neighbourhood holds, for each focus node, its triples, the triples pointing at it, and the
triples of what it points at, plus the ontology (class and property hierarchies). Incoming
``rdf:type`` links are left out: a class such as ``schema:Organization`` is pointed at by half
the store, and its instances matter to the shapes only through the class hierarchy, whose
changes are validated with the whole store (``validation.changes_vocabulary``).

The checks (``queries/checks``) run over the links of the focus nodes, both ways: a check finds
each of its rows among the links of a node that the change describes (the two-way link rules
pair a link with its inverse, between the same two nodes). A check reaching further needs the
same rule as a shape, with an inverse path or a SPARQL constraint ending at ``$this``.

The shapes read the nodes pointed at only as triples: those are read from the merged default
graph, each triple once, rather than from every named graph that states it. The ontology graph
never changes while a server runs (``changes.refuse_ontology_changes``), so a writer reads it
once and hands it in.

Every quad read from the store is counted, so tests can prove that a write reads in proportion
to what it touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from functools import cached_property

import pyoxigraph as ox
from rdflib.namespace import RDF

from libassoc.dataset import Dataset
from libassoc.reach import EVERYTHING, Reach
from libassoc.store import DEFAULT_GRAPH, Change

TYPE = ox.NamedNode(str(RDF.type))


class Neighbourhood:
    """The after-change view of ``store`` around ``change``.

    ``ontology_graph`` is read whole, unless its quads are given as ``ontology``. ``reach``: what
    the shapes read beyond a node's own links (``reach.shapes_reach``); by default, anything.
    """

    def __init__(
        self,
        store: Dataset,
        change: Change,
        ontology_graph: ox.NamedNode,
        ontology: Collection[ox.Quad] | None = None,
        reach: Reach = EVERYTHING,
    ) -> None:
        self._store = store
        self.change = change
        self._ontology_graph = ontology_graph
        self._ontology = ontology
        self._reach = reach
        self.quads_read = 0
        # Each node's links are read once: the focus, its links and the values its shapes
        # read ask for the same nodes over again, and an on-disk read costs microseconds a quad.
        self._outgoing: dict[ox.NamedNode, list[ox.Quad]] = {}
        self._incoming: dict[ox.NamedNode, list[ox.Quad]] = {}
        self._added_from: dict[object, list[ox.Quad]] = defaultdict(list)
        self._added_to: dict[object, list[ox.Quad]] = defaultdict(list)
        for quad in change.added:
            self._added_from[quad.subject].append(quad)
            self._added_to[quad.object].append(quad)
        self._losing = {quad.subject for quad in change.removed}

    def _stored(
        self,
        subject: ox.NamedNode | None,
        obj: ox.NamedNode | None,
        graph: ox.NamedNode | None = None,
    ) -> Iterator[ox.Quad]:
        """Named-graph quads of the store that the change keeps."""
        for quad in self._store.quads_for_pattern(subject, None, obj, graph):
            self.quads_read += 1
            if quad.graph_name != DEFAULT_GRAPH and quad not in self.change.removed:
                yield quad

    def outgoing(self, node: ox.NamedNode) -> list[ox.Quad]:
        found = self._outgoing.get(node)
        if found is None:
            found = [*self._stored(node, None), *self._added_from.get(node, ())]
            self._outgoing[node] = found
        return found

    def incoming(self, node: ox.NamedNode) -> list[ox.Quad]:
        found = self._incoming.get(node)
        if found is None:
            stated = [*self._stored(None, node), *self._added_to.get(node, ())]
            found = self._incoming[node] = [q for q in stated if q.predicate != TYPE]
        return found

    @cached_property
    def focus(self) -> frozenset[ox.NamedNode]:
        """The nodes whose shapes the change can have broken."""
        changed = self.change.quads
        reach = self._reach
        described = _iris(q.subject for q in changed)
        reached = _iris(
            q.object for q in changed if q.predicate != TYPE and reach.reads_inward(q.predicate)
        )
        spreading = _iris(q.subject for q in changed if reach.reads_outward(q.predicate))
        referrers = _iris(
            q.subject
            for node in described
            for q in self.incoming(node)
            if node in spreading or q.subject in reach.targeted
        )
        backlinked = _iris(
            q.object
            for node in spreading
            for q in self.outgoing(node)
            if q.predicate != TYPE and reach.reads_inward(q.predicate)
        )
        return frozenset(described | reached | referrers | backlinked)

    @cached_property
    def incident(self) -> frozenset[ox.Quad]:
        """Every named-graph quad from or to a focus node (but incoming ``rdf:type``).

        What the checks read. Each of them finds a pattern among the links of the nodes its row
        names, one of which the change describes; here are all that node's links, both ways.
        The links of a node that is no focus node are left out whole: half of them would make
        rows of their own, whose other half lies outside (a link stated one way only, seen
        from one end).
        """
        found: set[ox.Quad] = set()
        for node in self.focus:
            found.update(self.outgoing(node))
            found.update(self.incoming(node))
        return frozenset(found)

    def triples(self) -> set[ox.Triple]:
        """What the focus nodes' shapes read: the incident quads, the own triples of the nodes
        the focus nodes point at, and the ontology, as one graph."""
        found = {q.triple for q in self.incident}
        for node in self.focus:
            for value in _iris(q.object for q in self.outgoing(node) if q.predicate != TYPE):
                found.update(self.merged_outgoing(value))
        found.update(q.triple for q in self.ontology())
        return found

    def merged_outgoing(self, node: ox.NamedNode) -> Iterable[ox.Triple]:
        """``node``'s own triples after the change, each once."""
        if node in self._outgoing or node in self._losing:
            # Read already; or losing a triple, which leaves the merge only if no other graph
            # states it: the named graphs tell.
            return [q.triple for q in self.outgoing(node)]
        merged = []
        for quad in self._store.quads_for_pattern(node, None, None, DEFAULT_GRAPH):
            self.quads_read += 1
            merged.append(quad.triple)
        merged.extend(q.triple for q in self._added_from.get(node, ()))
        return merged

    def ontology(self) -> Collection[ox.Quad]:
        if self._ontology is None:
            self._ontology = list(self._stored(None, None, self._ontology_graph))
        return self._ontology

    def added_literal_triples(self) -> list[ox.Triple]:
        return [q.triple for q in self.change.added if isinstance(q.object, ox.Literal)]


def as_store(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory store of named-graph quads and, as its default graph, their merge."""
    kept = set(quads)
    data = ox.Store()
    data.extend(kept)
    data.extend({ox.Quad(q.subject, q.predicate, q.object, DEFAULT_GRAPH) for q in kept})
    return data


def _iris(terms: Iterable[object]) -> set[ox.NamedNode]:
    return {term for term in terms if isinstance(term, ox.NamedNode)}
