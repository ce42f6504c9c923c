"""What the server says about one IRI: the quads a harvester needs to walk the graph both ways.

The description of a document IRI ``doc`` (an entity, or a namespace like the ontology whose
terms are ``doc#term``) is, with the named graph of each quad:

- its own quads: every quad whose subject is ``doc`` or one of its hash IRIs;
- the quads that point at it: every quad whose object is one of those;
- for every other IRI these link to: its labels, and, when it lies outside the base
  namespace (so no page of ours serves it), all of its quads.

Quad syntaxes carry it twice over: merged in the default graph, and quad by quad in its
source's named graph (``dataset``); triple syntaxes carry the merge alone.

Every subject in the base namespace is some document's own subject, and every other subject is
either linked from or links to a document, so the union of all descriptions is the whole
dataset: that is what lets a crawler harvest the merged graph from the pages alone (the union
of their default graphs), or the named graphs themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.namespace import RDFS, SDO, SKOS

from libassoc.dataset import Dataset
from libassoc.hash_subjects import HashSubjects
from libassoc.namespaces import BASE
from libassoc.store import DEFAULT_GRAPH

LABELS = tuple(ox.NamedNode(str(p)) for p in (SDO.name, RDFS.label, SKOS.prefLabel))


@dataclass(frozen=True)
class Description:
    """The quads served for ``document`` and the subjects it covers (itself first)."""

    document: ox.NamedNode
    subjects: tuple[ox.NamedNode, ...]
    quads: tuple[ox.Quad, ...]

    @property
    def own(self) -> list[ox.Quad]:
        return [q for q in self.quads if q.subject in self.subjects]

    @property
    def incoming(self) -> list[ox.Quad]:
        return [
            q for q in self.quads if q.object in self.subjects and q.subject not in self.subjects
        ]

    def triples(self) -> list[ox.Triple]:
        """Each triple once, whichever graphs state it: the description as a plain graph."""
        return list(dict.fromkeys(q.triple for q in self.quads))

    def dataset(self) -> list[ox.Quad]:
        """The description for a quad syntax: the merge in the default graph, then each source.

        A client that reads only the default graph (Comunica's link traversal, most RDF
        libraries) gets the whole description, one that keeps graphs gets who said what.
        """
        merged = [ox.Quad(t.subject, t.predicate, t.object, DEFAULT_GRAPH) for t in self.triples()]
        return merged + [q for q in self.quads if q.graph_name != DEFAULT_GRAPH]


def _named(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    return {q for q in quads if q.graph_name != DEFAULT_GRAPH}


def _linked_quads(store: Dataset, thing: ox.NamedNode) -> set[ox.Quad]:
    if not thing.value.startswith(BASE):
        return _named(store.quads_for_pattern(thing, None, None, None))
    found: set[ox.Quad] = set()
    for label in LABELS:
        found |= _named(store.quads_for_pattern(thing, label, None, None))
    return found


def describe(store: Dataset, hashed: HashSubjects, document: ox.NamedNode) -> Description | None:
    """The description of ``document``, or None when the store does not know it."""
    subjects = [document, *hashed.under(document)]
    own: set[ox.Quad] = set()
    incoming: set[ox.Quad] = set()
    for subject in subjects:
        own |= _named(store.quads_for_pattern(subject, None, None, None))
        incoming |= _named(store.quads_for_pattern(None, None, subject, None))
    # A named graph is known even before the metadata graph says anything about it: it is
    # where the facts on every page come from, so its IRI must not be a dead link.
    if not own and not incoming and not store.contains_named_graph(document):
        return None
    covered = set(subjects)
    linked = {q.object for q in own if isinstance(q.object, ox.NamedNode)}
    linked |= {q.subject for q in incoming if isinstance(q.subject, ox.NamedNode)}
    quads = own | incoming
    for thing in sorted(linked - covered, key=str):
        quads |= _linked_quads(store, thing)
    # The described subjects first, in their order, so that a reader meets the entity before
    # the labels of what it links to; within each subject, a stable order.
    rank: dict[object, int] = {subject: index for index, subject in enumerate(subjects)}
    ordered = sorted(
        quads,
        key=lambda q: (
            rank.get(q.subject, len(rank)),
            str(q.subject),
            str(q.predicate),
            str(q.object),
            str(q.graph_name),
        ),
    )
    return Description(document, tuple(subjects), tuple(ordered))
