"""What validating a change reads from a remote store, fetched in a few batched queries.

``Neighbourhood`` reads the store node by node: the links of each focus node both ways, then the
own links of what they point at. On a remote store that is a round trip per read (about 450 for
a one-entity write about the ALA). The same quads are fetched here in dependent rounds, each one
batched query per kind (``quads_matching``), into a small in-memory store that the neighbourhood
then reads instead: the same focus nodes, the same quads, the same report.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from libassoc.neighbourhood import TYPE, as_store
from libassoc.reach import EVERYTHING, Reach
from libassoc.remote.dataset import RemoteDataset
from libassoc.store import Change


def _iris(terms: Iterable[object]) -> set[ox.NamedNode]:
    return {term for term in terms if isinstance(term, ox.NamedNode)}


def _links(remote: RemoteDataset, nodes: set[ox.NamedNode]) -> set[ox.Quad]:
    """Every quad from or to ``nodes``."""
    rows = [[node] for node in sorted(nodes, key=str)]
    return {*remote.quads_matching(["s"], rows), *remote.quads_matching(["o"], rows)}


def around_change(
    remote: RemoteDataset, change: Change, ontology: ox.NamedNode, reach: Reach = EVERYTHING
) -> ox.Store:
    """The quads of ``remote`` that validating ``change`` reads (see ``Neighbourhood``)."""
    changed = change.quads
    described = _iris(q.subject for q in changed)
    pointed_at = _iris(q.object for q in changed if q.predicate != TYPE)
    spreading = _iris(q.subject for q in changed if reach.reads_outward(q.predicate))
    found = _links(remote, described | pointed_at)
    known = (*found, *change.added)
    # The focus nodes the description of a node can reach: their links as well.
    referrers = _iris(
        q.subject
        for q in known
        if q.object in described
        and q.predicate != TYPE
        and (q.object in spreading or q.subject in reach.targeted)
    )
    backlinked = _iris(
        q.object
        for q in known
        if q.subject in spreading and q.predicate != TYPE and reach.reads_inward(q.predicate)
    )
    found |= _links(remote, (referrers | backlinked) - described - pointed_at)
    focus = described | pointed_at | referrers | backlinked
    # The own links of what the focus nodes point at.
    values = _iris(
        q.object for q in (*found, *change.added) if q.subject in focus and q.predicate != TYPE
    )
    found.update(remote.quads_matching(["s"], [[v] for v in sorted(values - focus, key=str)]))
    found.update(remote.quads_matching(["g"], [[ontology]]))
    return as_store(found)
