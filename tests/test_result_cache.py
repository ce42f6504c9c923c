"""The kept answers: bounded in bytes, least recently used out first, emptied by new data."""

from __future__ import annotations

from libassoc.engine.evaluation import Answer
from libassoc.engine.result_cache import ENTRY_OVERHEAD, LARGEST_SHARE, ResultCache

JSON = "application/sparql-results+json"


def answer(size: int) -> Answer:
    return Answer(b"x" * size, JSON)


def test_the_cache_holds_no_more_bytes_than_its_capacity_dropping_the_least_used() -> None:
    entry = 1000 + ENTRY_OVERHEAD
    cache = ResultCache(capacity=LARGEST_SHARE * entry)  # room for exactly LARGEST_SHARE
    keys = [str(i).encode() for i in range(LARGEST_SHARE)]
    for key in keys:
        cache.keep(key, answer(1000))
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.keep(b"one more", answer(1000))
    assert cache.get(keys[1]) is None, "the least recently used went"
    assert all(cache.get(key) is not None for key in [keys[0], *keys[2:], b"one more"])
    assert cache.size == LARGEST_SHARE * entry == cache.capacity


def test_an_answer_too_large_for_its_share_is_not_kept() -> None:
    cache = ResultCache(capacity=LARGEST_SHARE * 10_000)
    cache.keep(b"small", answer(100))
    cache.keep(b"huge", answer(10_000))
    assert cache.get(b"huge") is None and cache.get(b"small") is not None
    assert cache.size == 100 + ENTRY_OVERHEAD


def test_keeping_a_key_again_replaces_its_answer_and_its_bytes() -> None:
    cache = ResultCache()
    cache.keep(b"k", answer(10))
    cache.keep(b"k", answer(20))
    found = cache.get(b"k")
    assert found is not None and len(found.body) == 20
    assert (len(cache), cache.size) == (1, 20 + ENTRY_OVERHEAD)


def test_a_cache_of_no_bytes_keeps_nothing_and_clear_empties_one() -> None:
    off = ResultCache(capacity=0)
    off.keep(b"k", answer(1))
    assert off.get(b"k") is None and (off.hits, off.misses) == (0, 1)
    cache = ResultCache()
    cache.keep(b"k", answer(1))
    cache.clear()
    assert (len(cache), cache.size) == (0, 0) and cache.get(b"k") is None
