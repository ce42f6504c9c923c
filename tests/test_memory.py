"""Freed memory goes back to the operating system (glibc, as on the machines libassoc runs on)."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

from libassoc.memory import give_back_freed_memory

CHUNK = 64 * 1024  # under glibc's mmap threshold: taken from the heap, kept there once freed
CHUNKS = 2_000  # 128 MB


def resident_bytes() -> int:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * 4096


def test_what_was_freed_is_given_back() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    chunks = [libc.malloc(CHUNK) for _ in range(CHUNKS)]
    for address in chunks:
        ctypes.memset(address, 1, CHUNK)  # touched: resident
    pin = libc.malloc(CHUNK)  # above them all, so freeing them cannot shrink the heap's top
    for address in chunks:
        libc.free(address)
    kept = resident_bytes()
    give_back_freed_memory()
    returned = kept - resident_bytes()
    libc.free(pin)
    assert returned > CHUNK * CHUNKS // 2, f"only {returned // 2**20} MB given back"
