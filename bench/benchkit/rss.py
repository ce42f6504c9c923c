"""Resident memory of a process and all its descendants, read from /proc (Linux only).

A server may be several processes (libassoc runs its queries in worker processes), so its
footprint is the sum over the tree. Summed RSS counts a page shared by two processes (after a
fork, say) twice: it is an upper bound on what the tree holds in memory, never an underestimate.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Self

PROC = Path("/proc")
PAGE = os.sysconf("SC_PAGE_SIZE")


def parents(proc: Path = PROC) -> dict[int, int]:
    """Every live process id and its parent's, from ``/proc/PID/stat``."""
    found: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:  # gone between the listing and the read
            continue
        # The command name (field 2) is in parentheses and may hold spaces and parentheses;
        # the fields after the last ")" are the state, then the parent's id.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 2:
            found[int(entry.name)] = int(fields[1])
    return found


def started_at(pid: int, proc: Path = PROC) -> int | None:
    """When the process started (clock ticks after boot), None when it is gone.

    With its id, it names one process: an id may be reused, the pair is not.
    """
    try:
        stat = (proc / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[19]) if len(fields) > 19 else None


def tree(root: int, parent_of: Mapping[int, int] | None = None) -> list[int]:
    """``root`` and every descendant of it that is alive, root first."""
    parent_of = parents() if parent_of is None else parent_of
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.append(pid)
        todo.extend(sorted(children.get(pid, ())))
    return found


def rss(pid: int, proc: Path = PROC) -> int:
    """The resident set size of one process in bytes, 0 when it has exited."""
    try:
        fields = (proc / str(pid) / "statm").read_text(encoding="utf-8").split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE if len(fields) > 1 else 0


def tree_rss(root: int, parent_of: Mapping[int, int] | None = None) -> int:
    """The summed resident set size of ``root`` and its descendants, in bytes."""
    return sum(rss(pid) for pid in tree(root, parent_of))


class Ticker:
    """Calls ``tick`` every ``interval`` seconds on a thread of its own while in a ``with`` block,
    and once more on entering and on leaving it."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()

    def __enter__(self) -> Self:
        self._stop.clear()
        self.tick()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.tick()


class PeakSampler(Ticker):
    """Samples the summed RSS of each watched process tree every ``interval`` seconds.

    A tree is watched by name through a function that gives its root's id now (None while the
    server is stopped), so that a restarted server is followed; its peak is the largest sum seen
    over the whole run. One sample reads ``/proc`` once for all trees.
    """

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(interval)
        self._sources: dict[str, Callable[[], int | None]] = {}
        self._peaks: dict[str, int] = {}
        self._lock = threading.Lock()

    def watch(self, name: str, root: Callable[[], int | None]) -> None:
        with self._lock:
            self._sources[name] = root

    def watch_pids(self, name: str, pids: Iterable[Callable[[], int | None]]) -> None:
        """Several roots whose trees count as one (a loader, then the server it prepared)."""
        roots = list(pids)

        def first_alive() -> int | None:
            return next((pid for root in roots if (pid := root()) is not None), None)

        self.watch(name, first_alive)

    def peak(self, name: str) -> int | None:
        with self._lock:
            return self._peaks.get(name)

    def sample(self) -> None:
        """Take one sample of every watched tree now."""
        with self._lock:
            sources = dict(self._sources)
        if not sources:
            return
        parent_of = parents()
        for name, root in sources.items():
            pid = root()
            if pid is None:
                continue
            total = tree_rss(pid, parent_of)
            with self._lock:
                self._peaks[name] = max(self._peaks.get(name, 0), total)

    tick = sample
