"""Read source files into a store: one named graph per file, named after the file stem.

Blank nodes are not refused here but by the blank-node check that validation runs
(``queries/checks/blank-node-violation.rq``), which names the graph, that is the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from libassoc.namespaces import graph_iri

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


class DataFileError(Exception):
    """A source file that cannot be read or parsed; names the file and, where known, the line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceFile:
    """One file and the named graph its triples go to."""

    path: Path
    graph: ox.NamedNode


def discover(paths: Iterable[Path]) -> list[SourceFile]:
    """Every RDF file under ``paths`` (files or folders), in a stable order.

    Two files with the same stem would share a graph, so that is refused.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in FORMATS))
        elif path.exists():
            if path.suffix not in FORMATS:
                raise DataFileError(path, f"unknown file type {path.suffix!r}")
            files.append(path)
        else:
            raise DataFileError(path, "no such file or folder")
    seen: dict[str, Path] = {}
    for file in files:
        if file.stem in seen:
            clash = f"same file name as {seen[file.stem]}: both would be one graph"
            raise DataFileError(file, clash)
        seen[file.stem] = file
    return [SourceFile(file, ox.NamedNode(str(graph_iri(file.stem)))) for file in files]


BULK_LOAD_BYTES = 1_000_000


def load_files(store: ox.Store, sources: Sequence[Path], say: Callable[[str], None]) -> None:
    """Load every file under ``sources`` into its named graph and into the merged default graph.

    Oxigraph parses each file in Rust, straight into the store, twice: once into the file's
    graph and once into the default graph, where a triple already there from another file is
    not stored again. No quad passes through Python, so a million triples load in seconds.
    """
    files = discover(sources)
    for number, source in enumerate(files, start=1):
        if len(files) > 1 and (number == 1 or number % 10 == 0 or number == len(files)):
            say(f"  loading file {number} of {len(files)}: {source.path}")
        # A bulk load writes files of its own, which only pays off for a large file.
        large = source.path.stat().st_size > BULK_LOAD_BYTES
        load = store.bulk_load if large else store.load
        for graph in (source.graph, ox.DefaultGraph()):
            try:
                load(path=source.path, format=FORMATS[source.path.suffix], to_graph=graph)
            except SyntaxError as error:
                raise DataFileError(source.path, _parser_message(error), error.lineno) from error
            except OSError as error:
                raise DataFileError(source.path, error.strerror or str(error)) from error
        store.add_graph(source.graph)  # a file with no triples is still a graph


def _parser_message(error: SyntaxError) -> str:
    message = error.msg or str(error)
    # Oxigraph's message starts with the position, which DataFileError states itself.
    prefix, sep, rest = message.partition(": ")
    return rest if sep and prefix.startswith("Parser error") else message


def fingerprint(paths: Sequence[Path]) -> str:
    """A digest of the files' names and bytes: equal digests mean equal data.

    Remembered in the process for files whose size and modification time are unchanged: a
    start asks for it several times, and at 10M triples each reading costs seconds.
    """
    files = tuple(
        (
            source.graph.value,
            source.path,
            source.path.stat().st_size,
            source.path.stat().st_mtime_ns,
        )
        for source in discover(paths)
    )
    return _digest(files)


@lru_cache(maxsize=16)
def _digest(files: tuple[tuple[str, Path, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for graph, path, _size, _modified in files:
        digest.update(graph.encode())
        digest.update(b"\0")
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()
