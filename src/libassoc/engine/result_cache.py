"""Answers kept for as long as the data that gave them: a repeated query is not evaluated again.

On the same data a query gives the same answer, and clients repeat themselves (a dashboard, a
page's lookups, a harvester walking the same list). Every kept answer belongs to one generation
of the data and the whole cache is emptied when a write publishes the next, so an answer is
never older than the data a fresh evaluation would read. The cache holds at most ``capacity``
bytes of answers, least recently used out first, and no single answer larger than
``capacity / LARGEST_SHARE``: one huge answer would push out hundreds of small ones. A quarter,
not less: the large answers are the ones that cost most to evaluate again (an ancestry over
100k triples, 18,000 rows and about 4 MB, takes 2 s). QLever bounds a single entry the same way.

Anything with a ``body`` of bytes can be kept this way: query answers here, pages in the web
layer (``web/kept_pages.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Protocol, TypeVar

from libassoc.engine.evaluation import Answer

DEFAULT_CAPACITY = 64 * 1024 * 1024
DEFAULT_PAGE_CAPACITY = 32 * 1024 * 1024  # for the web layer's pages: they repeat less
LARGEST_SHARE = 4
# What a kept answer costs besides its body (the entry, its key, the object holding it), roughly.
ENTRY_OVERHEAD = 256


class HasBody(Protocol):
    @property
    def body(self) -> bytes: ...


Kept = TypeVar("Kept", bound=HasBody)


class KeptBodies(Generic[Kept]):
    """Things with a body, by key, for the current generation of the data."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[bytes, Kept] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: bytes) -> Kept | None:
        found = self._kept.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._kept.move_to_end(key)
        return found

    def keep(self, key: bytes, kept: Kept) -> None:
        cost = len(kept.body) + ENTRY_OVERHEAD
        if cost > self.capacity // LARGEST_SHARE:
            return
        previous = self._kept.pop(key, None)
        if previous is not None:
            self.size -= len(previous.body) + ENTRY_OVERHEAD
        self._kept[key] = kept
        self.size += cost
        while self.size > self.capacity:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped.body) + ENTRY_OVERHEAD

    def clear(self) -> None:
        """New data: nothing kept is about it."""
        self._kept.clear()
        self.size = 0


class ResultCache(KeptBodies[Answer]):
    """Query answers by job key, for the current generation of the data."""
