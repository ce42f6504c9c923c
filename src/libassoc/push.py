"""Send every named graph to another triple store through the SPARQL 1.1 Graph Store Protocol.

Each graph is replaced whole (``PUT ?graph=IRI``), so pushing twice leaves the target as
pushing once did. The target's default graph is left alone, unless asked for: a store that
derives it from its named graphs (Virtuoso) needs nothing, and one that keeps a default graph of
its own (Oxigraph server, Fuseki) gets the merge of the named graphs, each triple once, as the
embedded store has it (``merge_default_graph``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import httpx
import pyoxigraph as ox

from libassoc.store import merged_triples, named_quads

TOKEN_VARIABLE = "LIBASSOC_PUSH_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
MEDIA_TYPE = "application/n-triples"
DEFAULT = "default"  # how the default graph is listed among the graphs pushed


@dataclass(frozen=True)
class PushedGraph:
    graph: str
    triples: int
    status: int


class PushError(Exception):
    """The target refused a graph; names the graph, the status and what the server said."""


def _graphs(store: ox.Store) -> Iterator[tuple[str, list[ox.Triple]]]:
    quads = sorted(named_quads(store), key=lambda q: (str(q.graph_name), str(q.triple)))
    for graph, members in groupby(quads, key=lambda q: q.graph_name):
        if isinstance(graph, ox.NamedNode):
            yield graph.value, [q.triple for q in members]


def push(
    store: ox.Store,
    store_url: str,
    auth: httpx.Auth | None,
    timeout: float = 60.0,
    merge_default_graph: bool = False,
) -> list[PushedGraph]:
    """PUT each named graph of ``store`` to the Graph Store Protocol endpoint ``store_url``, and
    with ``merge_default_graph`` their merge to its default graph (listed as ``default``)."""
    headers = {"content-type": MEDIA_TYPE}
    pushed: list[PushedGraph] = []
    targets = list(_graphs(store))
    if merge_default_graph:
        targets.append((DEFAULT, sorted(set(merged_triples(store)), key=str)))
    with httpx.Client(timeout=timeout, auth=auth) as client:
        for graph, triples in targets:
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            params = {"default": ""} if graph == DEFAULT else {"graph": graph}
            response = client.put(store_url, params=params, content=body, headers=headers)
            if response.status_code >= 300:
                raise PushError(
                    f"{store_url} refused <{graph}>: HTTP {response.status_code}: "
                    f"{response.text.strip()[:500]}"
                )
            pushed.append(PushedGraph(graph, len(triples), response.status_code))
    return pushed
