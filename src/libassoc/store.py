"""The Oxigraph store that holds the dataset, and the one way a write changes it.

Each source file is a named graph. The store's own default graph holds the RDF merge of all
named graphs, kept in step with them: Oxigraph's union-default-graph mode would give a triple
that two sources state twice, and the merge must give it once (MODEL.md §4).

A write reaches the store as a ``Change`` (the named-graph quads it adds and removes). Applying
one costs what it changes, not what the store holds: the merged default graph follows quad by
quad. A journal written before the change and removed after it makes the change whole even if
the process dies half way: the next open finishes it. A change that fails half way in a process
that goes on (a full disk) is undone instead, since its client is told it failed.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from libassoc.dataset import Dataset, present, stating
from libassoc.loader import fingerprint, load_files

DEFAULT_GRAPH = ox.DefaultGraph()
NamedGraph = ox.NamedNode | ox.BlankNode

log = logging.getLogger(__name__)


class StoreLocationError(Exception):
    """The on-disk store cannot be made, opened or written where it was asked for."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"cannot write the store at {path}: {reason}")


def _reason(error: OSError) -> str:
    # RocksDB's message names the file itself; Python's names it apart, in ``filename``.
    if error.strerror and error.filename:
        return f"{error.strerror}: {error.filename}"
    return error.strerror or str(error)


def check_location(path: Path) -> None:
    """StoreLocationError unless the store at ``path`` and the files beside it can be written.

    The journal, checkpoints and stamps live beside the store, and a store is rebuilt beside
    it: a folder that refuses them must stop the server at start, not fail its first write.
    """
    for folder in (path, *path.parents):
        if folder.exists() and not folder.is_dir():
            raise StoreLocationError(path, f"{folder} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreLocationError(path, _reason(error)) from error
    for folder in (path.parent, path) if path.is_dir() else (path.parent,):
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass  # made and gone: the folder takes new files
        except OSError as error:
            raise StoreLocationError(path, f"{error.strerror or error}: {folder}") from error


def quiet(_: str) -> None:
    """Hears the progress of a long step, and says nothing of it."""


def quiet_step() -> None:
    """Hears that a step happens, and does nothing about it."""


def open_store(path: Path | None = None) -> ox.Store:
    """An on-disk store at ``path``, or an in-memory one when ``path`` is None."""
    if path is None:
        return ox.Store()
    try:
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except OSError as error:
        raise StoreLocationError(path, _reason(error)) from error


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
    """Make the default graph the merge of the named graphs again, from scratch.

    Reads the whole store: for tests and repairs. Writes go through ``apply``, which keeps the
    merge in step with what they change.
    """
    merged = {ox.Quad(q.subject, q.predicate, q.object, DEFAULT_GRAPH) for q in named_quads(store)}
    store.clear_graph(DEFAULT_GRAPH)
    store.extend(merged)


def replace_contents(store: ox.Store, quads: Iterable[ox.Quad]) -> None:
    """Empty the store, then load ``quads`` (named graphs) and their merge."""
    store.clear()
    store.extend(quads)
    refresh_default_graph(store)


def _fingerprint_file(path: Path) -> Path:
    return path.with_name(path.name + ".fingerprint")


def is_current(sources: Sequence[Path], path: Path) -> bool:
    """Whether the on-disk store at ``path`` was built from ``sources`` as they are now."""
    marker = _fingerprint_file(path)
    return marker.exists() and marker.read_text() == fingerprint(sources)


def open_loaded_store(
    sources: Sequence[Path],
    path: Path | None = None,
    say: Callable[[str], None] = quiet,
    replacing: Callable[[], None] = quiet_step,
    compact: bool = True,
) -> ox.Store:
    """A store holding the files under ``sources``.

    An on-disk store already built from the same files is reused as it is, so a restart is
    fast and keeps writes accepted since; when the files changed it is rebuilt from them, in a
    folder of its own that replaces the old store only once it is complete: a file that cannot
    be read leaves the old store as it was. ``replacing`` is called just before the old store
    goes, so what describes it (a stamp) goes with it and not before. A store built anew is
    compacted, unless ``compact`` is False (the caller does it).
    """
    if path is None:
        store = ox.Store()
        load_files(store, sources, say)
        return store
    if is_current(sources, path):
        store = open_store(path)
        settle(store, path)
        return store
    building = path.with_name(path.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    fresh = open_store(building)
    try:
        load_files(fresh, sources, say)
        if compact:
            fresh.optimize()
        fresh.flush()
    except BaseException:
        del fresh
        shutil.rmtree(building, ignore_errors=True)
        raise
    del fresh  # Oxigraph lets go of the folder when the store object goes
    replacing()
    _fingerprint_file(path).unlink(missing_ok=True)
    Journal(path).discard()
    shutil.rmtree(path, ignore_errors=True)
    building.rename(path)
    _fingerprint_file(path).write_text(fingerprint(sources))
    return open_store(path)


@dataclass(frozen=True)
class Change:
    """What a write does to the named graphs: quads added and removed, graphs made and dropped.

    ``added`` holds no quad the store has, ``removed`` only quads it has: ``net`` makes it so.
    """

    added: frozenset[ox.Quad] = frozenset()
    removed: frozenset[ox.Quad] = frozenset()
    created: frozenset[NamedGraph] = frozenset()
    dropped: frozenset[NamedGraph] = frozenset()

    @property
    def quads(self) -> frozenset[ox.Quad]:
        return self.added | self.removed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.created or self.dropped)


def net(
    store: Dataset,
    added: Iterable[ox.Quad],
    removed: Iterable[ox.Quad],
    created: Iterable[NamedGraph] = (),
    dropped: Iterable[NamedGraph] = (),
) -> Change:
    """The change that adding ``added`` and then removing ``removed`` really makes to ``store``.

    Looks up each quad once (a remote store, all in a few requests): the cost is the size of
    the write.
    """
    added, gone = set(added), set(removed)
    there = present(store, added | gone)
    really_removed = frozenset(gone & there)
    really_added = frozenset(q for q in added if q not in gone and q not in there)
    return Change(
        added=really_added,
        removed=really_removed,
        created=frozenset(g for g in created if not store.contains_named_graph(g)),
        dropped=frozenset(g for g in dropped if store.contains_named_graph(g)),
    )


def _in_default(triple: ox.Triple) -> ox.Quad:
    return ox.Quad(triple.subject, triple.predicate, triple.object, DEFAULT_GRAPH)


@dataclass(frozen=True)
class Plan:
    """Every quad to remove and to add, default graph included, and graphs to make and drop."""

    remove: tuple[ox.Quad, ...]
    add: tuple[ox.Quad, ...]
    created: tuple[NamedGraph, ...]
    dropped: tuple[NamedGraph, ...]


def plan(store: Dataset, change: Change) -> Plan:
    """The change, with the merged default graph following it.

    A removed triple leaves the default graph only when no other named graph still states it.
    The plan holds exactly what the store lacks in ``add`` and ``created`` and exactly what it
    has in ``remove`` and ``dropped``, so that ``undo`` gives the store back as it was.
    """
    added_triples = {q.triple for q in change.added}
    candidates = {q.triple for q in change.removed} - added_triples
    still_stated = {
        q.triple
        for q in stating(store, candidates)
        if q.graph_name != DEFAULT_GRAPH and q not in change.removed
    }
    leaving = [_in_default(triple) for triple in candidates - still_stated]
    merged = [_in_default(triple) for triple in added_triples]
    there = present(store, merged)
    arriving = [q for q in merged if q not in there]
    # A quad added to a graph the store lacks makes that graph: undoing it must drop the graph.
    graphs = dict.fromkeys([*change.created, *(q.graph_name for q in change.added)])
    created = [g for g in graphs if isinstance(g, NamedGraph) and not store.contains_named_graph(g)]
    return Plan(
        remove=(*change.removed, *leaving),
        add=(*change.added, *arriving),
        created=tuple(created),
        dropped=tuple(change.dropped),
    )


def undo(planned: Plan) -> Plan:
    """What gives back the store as it was before ``planned``, even if it was only partly done."""
    return Plan(
        remove=planned.add, add=planned.remove, created=planned.dropped, dropped=planned.created
    )


class Journal:
    """What a change will do, on disk before it is done, so that a crash cannot leave half of it.

    Removing and adding quads are each idempotent, so finishing a change that was already
    partly (or wholly) applied gives the same store, and so does undoing it. Each state of the
    journal is a folder that appears and goes by a rename, whole: ``.pending`` while it is
    written (never carried out), the journal itself (finished when the store opens), ``.undo``
    once its change failed in a process that went on (undone), and ``.discarded`` on its way
    out (ignored).
    """

    def __init__(self, store_path: Path) -> None:
        self.folder = store_path.with_name(store_path.name + ".journal")

    def _beside(self, state: str) -> Path:
        return self.folder.with_name(f"{self.folder.name}.{state}")

    def write(self, planned: Plan) -> None:
        pending = self._beside("pending")
        shutil.rmtree(pending, ignore_errors=True)
        pending.mkdir(parents=True)
        (pending / "remove.nq").write_bytes(_nquads(planned.remove))
        (pending / "add.nq").write_bytes(_nquads(planned.add))
        (pending / "created").write_text("".join(f"{g}\n" for g in planned.created))
        (pending / "dropped").write_text("".join(f"{g}\n" for g in planned.dropped))
        pending.rename(self.folder)  # the journal exists whole or not at all

    def read(self) -> Plan | None:
        """The change to finish (or to undo, when one is marked so), or None."""
        withdrawn = _read_plan(self._beside("undo"))
        if withdrawn is not None:
            return undo(withdrawn)
        return _read_plan(self.folder)

    def withdraw(self) -> None:
        """Mark the change to be undone rather than finished: its client hears it failed."""
        self.folder.rename(self._beside("undo"))

    def recover(self, store: ox.Store) -> bool:
        """Finish (or undo) a change that was cut short; True when there was one."""
        pending = self.read()
        if pending is None:
            self.discard()
            return False
        _carry_out(store, pending)
        self.discard()
        return True

    def discard(self) -> None:
        # Renamed before it is removed: a crash half way through removing the files of a
        # journal must not leave a journal with some of its files, which would then be read.
        gone = self._beside("discarded")
        shutil.rmtree(gone, ignore_errors=True)
        for folder in (self.folder, self._beside("undo")):
            if folder.exists():
                folder.rename(gone)
                shutil.rmtree(gone, ignore_errors=True)
        shutil.rmtree(self._beside("pending"), ignore_errors=True)


def _read_plan(folder: Path) -> Plan | None:
    if not folder.exists():
        return None
    return Plan(
        remove=tuple(_read_nquads(folder / "remove.nq")),
        add=tuple(_read_nquads(folder / "add.nq")),
        created=tuple(_read_graphs(folder / "created")),
        dropped=tuple(_read_graphs(folder / "dropped")),
    )


def _nquads(quads: Sequence[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def _read_nquads(path: Path) -> Iterable[ox.Quad]:
    return ox.parse(path=path, format=ox.RdfFormat.N_QUADS)


def _read_graphs(path: Path) -> Iterable[NamedGraph]:
    for line in path.read_text().splitlines():
        if line:
            yield ox.NamedNode(line[1:-1])


def _carry_out(store: ox.Store, planned: Plan) -> None:
    for graph in planned.dropped:
        store.remove_graph(graph)
    for quad in planned.remove:
        store.remove(quad)
    store.extend(planned.add)
    for graph in planned.created:
        store.add_graph(graph)
    store.flush()


def settle(store: ox.Store, path: Path) -> bool:
    """Finish, or undo, what an earlier change left half done; True when there was one.

    OSError when the store cannot be written: then nothing else may be written either.
    """
    return Journal(path).recover(store)


def apply(store: ox.Store, change: Change, path: Path | None) -> None:
    """Make ``change`` to ``store`` (on disk at ``path``, or in memory when None), whole.

    On disk, OSError (a full disk) leaves the store as it was, or as it will be once the
    change is undone: by the next change, or when the store opens again.
    """
    if path is None:
        _carry_out(store, plan(store, change))
        return
    if settle(store, path):
        # Worked out before an earlier change was settled: what it really does now may differ.
        change = net(store, change.added, change.removed, change.created, change.dropped)
    journal = Journal(path)
    planned = plan(store, change)
    journal.write(planned)
    try:
        _carry_out(store, planned)
    except OSError:
        try:
            journal.withdraw()
        except OSError:
            # The journal stays as it is, and the change is finished instead: whole either way.
            log.exception("could not mark the failed change to be undone")
        raise
    try:
        journal.discard()
    except OSError:
        # The change is whole and on disk; the journal left over finishes it again, a no-op.
        log.exception("could not remove the journal of a change that was made")
