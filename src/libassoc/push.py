"""Send every named graph to another triple store through the SPARQL 1.1 Graph Store Protocol.

Each graph is replaced whole (``PUT ?graph=IRI``), so pushing twice leaves the target as
pushing once did. The target's default graph is left alone: how a store builds it from its
named graphs (a union, a merge, nothing) is the store's own business.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import httpx
import pyoxigraph as ox

from libassoc.store import named_quads

TOKEN_VARIABLE = "LIBASSOC_PUSH_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
MEDIA_TYPE = "application/n-triples"


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
    store: ox.Store, store_url: str, token: str | None, timeout: float = 60.0
) -> list[PushedGraph]:
    """PUT each named graph of ``store`` to the Graph Store Protocol endpoint ``store_url``."""
    headers = {"content-type": MEDIA_TYPE}
    if token:
        headers["authorization"] = f"Bearer {token}"
    pushed: list[PushedGraph] = []
    with httpx.Client(timeout=timeout) as client:
        for graph, triples in _graphs(store):
            body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
            response = client.put(store_url, params={"graph": graph}, content=body, headers=headers)
            if response.status_code >= 300:
                raise PushError(
                    f"{store_url} refused <{graph}>: HTTP {response.status_code}: "
                    f"{response.text.strip()[:500]}"
                )
            pushed.append(PushedGraph(graph, len(triples), response.status_code))
    return pushed
