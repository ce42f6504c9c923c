"""The checks a remote store passes before libassoc serves it.

Queries sent on to the remote read its default graph, and the embedded store's default graph is
the merge of its named graphs, each triple once: the two must agree, or the same query would
answer differently in front of the remote. One triple of a named graph tells whether the
default graph holds them; one triple that two graphs state tells whether it holds it once.
"""

from __future__ import annotations

from libassoc.engine.problem import HttpProblem
from libassoc.remote.dataset import RemoteDataset

HOW_TO_MERGE = (
    "Either have the store derive its default graph as the union of its named graphs "
    "(Virtuoso does by default; Apache Jena Fuseki with `tdb2:unionDefaultGraph true`), or have "
    "libassoc keep the merge in the store's own default graph: `libassoc push "
    "--merge-default-graph`, then `libassoc serve --remote-default-graph kept` (Oxigraph "
    "server, started without --union-default-graph; Fuseki as it comes)."
)
REPEATS = (
    "repeats a triple that several named graphs state (Oxigraph server's --union-default-graph "
    "does), so counts and rows would differ from the embedded store's. Have libassoc keep the "
    "merge instead: start the store without --union-default-graph, then `libassoc push "
    "--merge-default-graph` and `libassoc serve --remote-default-graph kept`."
)


class RemoteStoreError(Exception):
    """The remote store cannot be served as it is; the message says why and what to do."""


def check_remote(dataset: RemoteDataset) -> str | None:
    """RemoteStoreError when the store cannot be served; a warning to show, or None."""
    where = dataset.endpoints.query
    try:
        merged = dataset.default_graph_is_merge()
    except HttpProblem as problem:
        raise RemoteStoreError(
            f"the remote store at {where} cannot be queried: {problem.message}"
        ) from problem
    if merged is None:
        return (
            f"the remote store at {where} holds no named graph yet: its default graph could not "
            "be checked. Fill it with `libassoc push --store-url GRAPH-STORE-URL`."
        )
    if not merged:
        raise RemoteStoreError(
            f"the default graph of the remote store at {where} does not hold the triples of its "
            f"named graphs, so queries would not see the data. {HOW_TO_MERGE}"
        )
    if dataset.endpoints.keeps_default_graph:
        return None  # a graph of its own, filled with the merge: each triple is in it once
    try:
        repeats = dataset.repeats_in_default_graph()
    except HttpProblem as problem:  # a store too big to find one in time: say so, and serve
        return f"could not check that the default graph holds each triple once: {problem.message}"
    if repeats:
        raise RemoteStoreError(f"the default graph of the remote store at {where} {REPEATS}")
    return None
