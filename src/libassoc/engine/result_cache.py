"""Answers kept for as long as the data that gave them: a repeated query is not evaluated again.

On the same data a query gives the same answer, and clients repeat themselves (a dashboard, a
page's lookups, a harvester walking the same list). Every kept answer belongs to one generation
of the data and the whole cache is emptied when a write publishes the next, so an answer is
never older than the data a fresh evaluation would read. The cache holds at most ``capacity``
bytes of answers, least recently used out first, and no single answer larger than
``capacity / LARGEST_SHARE``: one huge answer would push out hundreds of small ones.
"""

from __future__ import annotations

from collections import OrderedDict

from libassoc.engine.evaluation import Answer

DEFAULT_CAPACITY = 64 * 1024 * 1024
LARGEST_SHARE = 16
# What a kept answer costs besides its body (the entry, its key, the Answer object), roughly.
ENTRY_OVERHEAD = 256


class ResultCache:
    """Answers by job key, for the current generation of the data."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._answers: OrderedDict[bytes, Answer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: bytes) -> Answer | None:
        found = self._answers.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._answers.move_to_end(key)
        return found

    def keep(self, key: bytes, answer: Answer) -> None:
        cost = len(answer.body) + ENTRY_OVERHEAD
        if cost > self.capacity // LARGEST_SHARE:
            return
        previous = self._answers.pop(key, None)
        if previous is not None:
            self.size -= len(previous.body) + ENTRY_OVERHEAD
        self._answers[key] = answer
        self.size += cost
        while self.size > self.capacity:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped.body) + ENTRY_OVERHEAD

    def clear(self) -> None:
        """New data: nothing kept answers for it."""
        self._answers.clear()
        self.size = 0
