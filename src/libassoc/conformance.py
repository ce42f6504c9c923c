"""A store that conforms to the shapes: loaded, validated once, and trusted after that.

Validating a million triples takes about a minute, so a validation that passed leaves a stamp
naming everything its result depends on (data files, shapes, checks, engine). An on-disk store
keeps its stamp beside it: every write is validated before it is applied, and the journal
finishes a write that a crash interrupted (``store.Journal``), so a stamped store stays
conforming across writes and restarts. A rebuilt store loses its stamp when it replaces the old
store, not before: a rebuild that fails leaves the old store and its stamp as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from libassoc.catalog import NamedQuery
from libassoc.store import check_location, is_current, open_loaded_store, quiet
from libassoc.validation import Shapes, ValidationOutcome, conformance_key, validate_store


class NonConformingError(Exception):
    """The data breaks the shapes or a check; ``outcome`` has the report."""

    def __init__(self, outcome: ValidationOutcome) -> None:
        super().__init__("the data does not conform to the shapes")
        self.outcome = outcome


@dataclass(frozen=True)
class Stamp:
    """A file whose text is the conformance key of what was validated."""

    path: Path
    key: str

    def holds(self) -> bool:
        try:
            return self.path.read_text() == self.key
        except OSError:
            return False

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.key)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def store_stamp(store_path: Path, key: str) -> Stamp:
    return Stamp(store_path.with_name(store_path.name + ".conforms"), key)


def open_conforming(
    sources: Sequence[Path],
    shapes_folders: Sequence[Path],
    checks: Sequence[NamedQuery],
    location: Path | None,
    stamps: Path,
    say: Callable[[str], None] = quiet,
    trust_stamp: bool = True,
) -> tuple[ox.Store, Shapes]:
    """The loaded store and the compiled shapes; NonConformingError when the data breaks them.

    ``location`` is the on-disk store (None: in memory); a store in memory is stamped in the
    folder ``stamps``, by key. ``say`` hears each step as it starts.
    """
    if location is not None:
        check_location(location)
    key = conformance_key(sources, shapes_folders, checks)
    stamp = store_stamp(location, key) if location is not None else Stamp(stamps / key, key)
    reused = location is not None and is_current(sources, location)
    if location is None:
        say("Loading the data into memory.")
    elif reused:
        say(f"Opening the store at {location}, built from the same data files.")
    else:
        say(f"Loading the data into the store at {location}.")
    started = time.monotonic()
    built = location is not None and not reused
    store = open_loaded_store(sources, location, say, replacing=stamp.clear, compact=False)
    if not reused:
        say(f"Loaded in {time.monotonic() - started:.1f} s.")
    shapes = Shapes(shapes_folders)
    if trust_stamp and stamp.holds():  # never for a store built anew: building clears it
        say("The data was validated against these shapes and checks, and so was every write.")
        return store, shapes
    say("Validating the whole store against the shapes and checks.")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="compaction") as pool:
        # A store just built is compacted meanwhile, on a thread of its own: the validation
        # reads the same data either way, and at 1M triples each takes seconds.
        compacted = pool.submit(store.optimize) if built else None
        outcome = validate_store(store, shapes, checks)
        if compacted is not None:
            compacted.result()
    if not outcome.conforms:
        raise NonConformingError(outcome)
    say(f"The data conforms (validated in {time.monotonic() - started:.1f} s).")
    stamp.write()
    return store, shapes
