"""Checkpoints: the store as it was at one generation, in a folder of its own that nobody writes.

RocksDB's checkpoint (``Store.backup``) hard-links the store's immutable files into a new folder
on the same file system, in milliseconds and a few kilobytes whatever the store holds. Query
workers and the web process open it read-only (``Store.read_only``), which is only safe on a
folder no process writes to: the live store is never opened by two processes. Each checkpoint
is counted while something reads it, and its folder is removed once nothing does and a newer
generation exists.
"""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Checkpoint:
    """One generation of the dataset: where it lies and which named graphs it has."""

    generation: int
    path: Path
    graphs: tuple[str, ...]

    def open(self) -> ox.Store:
        return ox.Store.read_only(str(self.path))


@dataclass(frozen=True)
class Opened:
    """A worker's word that it now reads a generation."""

    generation: int


def _graph_names(store: ox.Store) -> tuple[str, ...]:
    return tuple(sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)))


class Checkpoints:
    """The checkpoints of one store under ``root``, and who reads each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._readers: dict[int, int] = {}
        self._taken: dict[int, Checkpoint] = {}
        self._latest = -1
        self._lock = threading.Lock()
        # What an earlier run left behind belongs to no reader now.
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)

    def take(self, store: ox.Store, generation: int) -> Checkpoint:
        """A checkpoint of ``store`` as it is now, which becomes the latest."""
        path = self.root / f"{generation:08d}"
        shutil.rmtree(path, ignore_errors=True)  # what a failed attempt at it left
        try:
            store.flush()
            store.backup(str(path))
            checkpoint = Checkpoint(generation, path, _graph_names(store))
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        with self._lock:
            self._taken[generation] = checkpoint
            self._readers.setdefault(generation, 0)
            previous, self._latest = self._latest, generation
        self._sweep(previous)
        return checkpoint

    def acquire(self, checkpoint: Checkpoint) -> bool:
        """Count one more reader; False when the checkpoint is already removed."""
        with self._lock:
            if checkpoint.generation not in self._taken:
                return False
            self._readers[checkpoint.generation] += 1
            return True

    def release(self, checkpoint: Checkpoint) -> None:
        with self._lock:
            self._readers[checkpoint.generation] -= 1
        self._sweep(checkpoint.generation)

    def generations(self) -> list[int]:
        """The generations whose folders still exist, oldest first."""
        with self._lock:
            return sorted(self._taken)

    def _sweep(self, generation: int) -> None:
        with self._lock:
            if generation == self._latest or self._readers.get(generation, 1) > 0:
                return
            checkpoint = self._taken.pop(generation, None)
            self._readers.pop(generation, None)
        if checkpoint is None:
            return
        # Gone at once under its name; its files are unlinked on a thread of their own, as the
        # caller may be the event loop and a checkpoint holds a file per table.
        removed = checkpoint.path.with_name(f"removed-{generation:08d}")
        try:
            checkpoint.path.rename(removed)
        except OSError:
            removed = checkpoint.path
        threading.Thread(target=shutil.rmtree, args=(removed, True), daemon=True).start()
        log.debug("removed the checkpoint of generation %d", generation)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
