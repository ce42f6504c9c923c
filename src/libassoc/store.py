"""The Oxigraph store that holds the dataset.

Each source file is a named graph. The store's own default graph holds the RDF merge of all
named graphs, kept in step with them: Oxigraph's union-default-graph mode would give a triple
that two sources state twice, and the merge must give it once (MODEL.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from libassoc.loader import fingerprint, load_quads

DEFAULT_GRAPH = ox.DefaultGraph()


def open_store(path: Path | None = None) -> ox.Store:
    """An on-disk store at ``path``, or an in-memory one when ``path`` is None."""
    if path is None:
        return ox.Store()
    path.mkdir(parents=True, exist_ok=True)
    return ox.Store(str(path))


def named_quads(store: ox.Store) -> Iterable[ox.Quad]:
    """Every quad of every named graph: the dataset without its derived default graph."""
    for quad in store.quads_for_pattern(None, None, None, None):
        if quad.graph_name != DEFAULT_GRAPH:
            yield quad


def merged_triples(store: ox.Store) -> Iterable[ox.Triple]:
    """The default graph: each triple once, whichever graphs state it."""
    for quad in store.quads_for_pattern(None, None, None, DEFAULT_GRAPH):
        yield quad.triple


def refresh_default_graph(store: ox.Store) -> None:
    """Make the default graph the merge of the named graphs again, after a write."""
    merged = {ox.Quad(q.subject, q.predicate, q.object, DEFAULT_GRAPH) for q in named_quads(store)}
    store.clear_graph(DEFAULT_GRAPH)
    store.extend(merged)


def replace_contents(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """Empty the store, then load ``quads`` (named graphs) and their merge."""
    store.clear()
    store.extend(quads)
    refresh_default_graph(store)
    store.optimize()


def _fingerprint_file(path: Path) -> Path:
    return path.with_name(path.name + ".fingerprint")


def is_current(sources: Sequence[Path], path: Path) -> bool:
    """Whether the on-disk store at ``path`` was built from ``sources`` as they are now."""
    marker = _fingerprint_file(path)
    return marker.exists() and marker.read_text() == fingerprint(sources)


def open_loaded_store(sources: Sequence[Path], path: Path | None = None) -> ox.Store:
    """A store holding the files under ``sources``.

    An on-disk store already built from the same files is reused as it is, so a restart is
    fast and keeps writes accepted since; when the files changed it is rebuilt from them.
    """
    store = open_store(path)
    if path is None:
        replace_contents(store, load_quads(sources))
        return store
    if is_current(sources, path):
        return store
    replace_contents(store, load_quads(sources))
    store.flush()
    _fingerprint_file(path).write_text(fingerprint(sources))
    return store
