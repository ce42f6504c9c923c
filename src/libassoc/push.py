"""Send every named graph to another triple store through the SPARQL 1.1 Graph Store Protocol.

Each graph is replaced whole (``PUT ?graph=IRI``), so pushing twice leaves the target as
pushing once did. The target's default graph is left alone, unless asked for: a store that
derives it from its named graphs (Virtuoso) needs nothing, and one that keeps a default graph of
its own (Oxigraph server, Fuseki) gets the merge of the named graphs, each triple once, as the
embedded store has it (``merge_default_graph``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pyoxigraph as ox

from libassoc.store import merged_triples, quiet

TOKEN_VARIABLE = "LIBASSOC_PUSH_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
MEDIA_TYPE = "application/n-triples"
DEFAULT = "default"  # how the default graph is listed among the graphs pushed
# Triples in one request: a few megabytes of N-Triples, which stores take at once.
PART_TRIPLES = 50_000


@dataclass(frozen=True)
class PushedGraph:
    graph: str
    triples: int
    status: int


class PushError(Exception):
    """The target refused a graph; names the graph, the status and what the server said."""


def _graph_triples(store: ox.Store, graph: ox.NamedNode) -> Iterator[ox.Triple]:
    return (q.triple for q in store.quads_for_pattern(None, None, None, graph))


def _parts(triples: Iterable[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    """``triples`` in lists of ``size``; one empty list when there are none (an empty graph is
    still replaced)."""
    part: list[ox.Triple] = []
    sent = False
    for triple in triples:
        part.append(triple)
        if len(part) == size:
            yield part
            part, sent = [], True
    if part or not sent:
        yield part


def _send(
    client: httpx.Client, store_url: str, graph: str, method: str, triples: list[ox.Triple]
) -> int:
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    params = {"default": ""} if graph == DEFAULT else {"graph": graph}
    headers = {"content-type": MEDIA_TYPE}
    response = client.request(method, store_url, params=params, content=body, headers=headers)
    if response.status_code >= 300:
        raise PushError(
            f"{store_url} refused <{graph}>: HTTP {response.status_code}: "
            f"{response.text.strip()[:500]}"
        )
    return response.status_code


def push(
    store: ox.Store,
    store_url: str,
    auth: httpx.Auth | None,
    *,
    timeout: float = 60.0,
    merge_default_graph: str | None = None,
    part_triples: int = PART_TRIPLES,
    progress: Path | None = None,
    pushed: Callable[[PushedGraph], None] = lambda _: None,
    say: Callable[[str], None] = quiet,
) -> list[PushedGraph]:
    """PUT each named graph of ``store`` to the Graph Store Protocol endpoint ``store_url``, and
    their merge to ``merge_default_graph``: ``DEFAULT`` (the default graph) or a graph IRI.

    A graph goes in parts of ``part_triples``: the first replaces it (PUT), the others add to
    it (POST), so no request is larger than a part, whatever the graph holds. Each graph pushed
    whole is written to ``progress``, and a push given the same file again skips those: a push
    cut short resumes where it was, the graph it was in the middle of starting again from its
    first part. ``pushed`` hears each graph once it is whole, ``say`` each part.
    """
    finished = set(progress.read_text().splitlines()) if progress and progress.exists() else set()
    graphs = sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=str)
    targets: list[tuple[str, Callable[[], Iterable[ox.Triple]]]] = [
        (g.value, partial(_graph_triples, store, g)) for g in graphs
    ]
    if merge_default_graph is not None:
        targets.append((merge_default_graph, partial(merged_triples, store)))
    done: list[PushedGraph] = []
    with httpx.Client(timeout=timeout, auth=auth) as client:
        for number, (graph, triples) in enumerate(targets, 1):
            if graph in finished:
                say(f"[{number}/{len(targets)}] <{graph}> was pushed before: skipped")
                continue
            count, status = 0, 0
            for index, part in enumerate(_parts(triples(), part_triples)):
                method = "PUT" if index == 0 else "POST"
                answered = _send(client, store_url, graph, method, part)
                status = status or answered  # the first: 201 for a graph made, 204 replaced
                count += len(part)
                say(f"[{number}/{len(targets)}] <{graph}>: {count} triples sent")
            if progress is not None:
                with progress.open("a", encoding="utf-8") as record:
                    record.write(graph + "\n")
            done.append(PushedGraph(graph, count, status))
            pushed(done[-1])
    return done
