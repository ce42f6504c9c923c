"""What one page reads, fetched from a remote store in a handful of queries.

``describe`` and ``page`` read the dataset pattern by pattern: cheap on the embedded store, a
round trip each on a remote one (about 500 for ALA's page). So, in front of a remote store, the
quads they will read are fetched first, each kind in one batched query (``quads_matching``),
into a small in-memory store, and they run on that: the same code gives the same page.

What they read, and so what is fetched: the quads from and to the document's subjects; for each
IRI those link to, all its quads when it lies outside the base namespace; the labels of every
IRI the page shows (and of the linked ones); and for each source graph the document it comes
from, with that document's label.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from libassoc.namespaces import BASE
from libassoc.neighbourhood import as_store
from libassoc.remote.dataset import RemoteDataset
from libassoc.web.describe import LABELS
from libassoc.web.view import DERIVED_FROM


def _iris(terms: Iterable[object]) -> set[ox.NamedNode]:
    return {term for term in terms if isinstance(term, ox.NamedNode)}


def labels_around(remote: RemoteDataset, quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """The labels of every IRI in ``quads``, and the source documents of their graphs."""
    quads = list(quads)
    shown = _iris(term for q in quads for term in (q.subject, q.predicate, q.object))
    found = set(remote.quads_matching(["s", "p"], [[n, label] for n in shown for label in LABELS]))
    # The sources of the labels too: a description carries the labels of what it links to.
    graphs = _iris(q.graph_name for q in (*quads, *found))
    sources = set(
        remote.quads_matching(["s", "p"], [[g, DERIVED_FROM] for g in sorted(graphs, key=str)])
    )
    documents = _iris(q.object for q in sources)
    found |= sources
    found |= set(
        remote.quads_matching(["s", "p"], [[d, label] for d in documents for label in LABELS])
    )
    return found


def page_store(
    remote: RemoteDataset, document: ox.NamedNode, subjects: list[ox.NamedNode]
) -> ox.Store:
    """Everything the page of ``document`` (whose subjects are ``subjects``) reads."""
    own = set(remote.quads_matching(["s"], [[s] for s in subjects]))
    incoming = set(remote.quads_matching(["o"], [[s] for s in subjects]))
    linked = _iris(q.object for q in own) | _iris(q.subject for q in incoming)
    outside = sorted((t for t in linked if not t.value.startswith(BASE)), key=str)
    quads = own | incoming | set(remote.quads_matching(["s"], [[t] for t in outside]))
    store = as_store(quads | labels_around(remote, quads))
    if not own and not incoming and remote.contains_named_graph(document):
        store.add_graph(document)  # a source graph that no quad describes yet: still known
    return store
