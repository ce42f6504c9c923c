"""One generation of what the server publishes about the whole dataset: the dumps and the VoID.

Both read every quad, so the server has them written by a process of its own, from a checkpoint,
while it goes on answering: ``python -m libassoc.publication CHECKPOINT FOLDER``. The folder is
complete once ``void.nt`` is in it; it is written last.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyoxigraph as ox

from libassoc import dumps
from libassoc.void import describe_dataset

VOID_FILE = "void.nt"


def write_generation(store: ox.Store, folder: Path) -> None:
    """Every dump, its checksums, and the VoID and DCAT that describe them, into ``folder``."""
    dumps.write_all(store, folder)
    triples = describe_dataset(store, folder)
    pending = folder / (VOID_FILE + ".part")
    pending.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    pending.rename(folder / VOID_FILE)


def read_void(folder: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=folder / VOID_FILE, format=ox.RdfFormat.N_TRIPLES)]


def main(argv: list[str]) -> int:
    checkpoint, folder = argv
    os.nice(10)  # behind the web process and the query workers
    write_generation(ox.Store.read_only(checkpoint), Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
