"""The data both servers serve: the shipped dataset, and optionally a larger synthetic one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from benchkit import synthetic
from libassoc.loader import FORMATS, discover
from libassoc.settings import Paths


@dataclass(frozen=True)
class Dataset:
    """Sources for libassoc, the same quads as N-Quads for the baseline, and their sizes."""

    name: str
    description: str
    sources: tuple[Path, ...]
    nquads: Path
    merged: Path  # the merge of the named graphs as N-Triples, for a store's default graph
    quads: int
    triples: int
    graphs: int


@dataclass(frozen=True)
class Counts:
    """How many quads, distinct triples (the default graph, the merge) and named graphs."""

    quads: int
    triples: int
    graphs: int


def _read(sources: Sequence[Path]) -> Iterator[ox.Quad]:
    """Every quad the loader reads from ``sources``, each file's triples in its own graph."""
    for source in discover(sources):
        parsed = ox.parse(
            path=source.path, format=FORMATS[source.path.suffix], without_named_graphs=True
        )
        for quad in parsed:
            yield ox.Quad(quad.subject, quad.predicate, quad.object, source.graph)


class _Tally:
    """Counts quads as they go by; distinct triples by a hash of their text."""

    def __init__(self) -> None:
        self.quads = 0
        self.triples: set[int] = set()
        self.graphs: set[str] = set()

    def counted(self, quads: Iterator[ox.Quad]) -> Iterator[ox.Quad]:
        for quad in quads:
            self.quads += 1
            self.graphs.add(str(quad.graph_name))
            self.triples.add(hash(str(quad.triple)))
            yield quad

    def counts(self) -> Counts:
        return Counts(self.quads, len(self.triples), len(self.graphs))


def write_nquads(sources: Sequence[Path], target: Path, merged: Path | None = None) -> Counts:
    """Write the quads libassoc's loader reads from ``sources`` into one N-Quads file.

    Each file's triples go to the named graph the loader gives it (``loader.discover``); the
    file is written as it is read, so a million triples never sit in memory as Python objects.
    Distinct triples are counted by a hash of their text. With ``merged``, the merge of all
    graphs (each distinct triple once) is written there too, as N-Triples: the default graph
    libassoc keeps beside the named graphs.
    """
    tally = _Tally()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        ox.serialize(tally.counted(_read(sources)), out, format=ox.RdfFormat.N_QUADS)
    if merged is not None:
        seen: set[int] = set()

        def first_statements() -> Iterator[ox.Triple]:
            for quad in _read(sources):
                key = hash(str(quad.triple))
                if key not in seen:
                    seen.add(key)
                    yield quad.triple

        with merged.open("wb") as out:
            ox.serialize(first_statements(), out, format=ox.RdfFormat.N_TRIPLES)
    return tally.counts()


def count(sources: Sequence[Path]) -> Counts:
    """The quads, distinct triples and graphs libassoc's loader reads from ``sources``."""
    tally = _Tally()
    for _ in tally.counted(_read(sources)):
        pass
    return tally.counts()


def prepare(name: str, description: str, sources: Sequence[Path], workdir: Path) -> Dataset:
    """Read the sources as libassoc's loader does and write them as N-Quads for the baseline.

    These are the quads ``libassoc export --format nquads`` writes (in another order), without
    its validation (the libassoc server validates the same sources when it starts).
    """
    nquads, merged = workdir / f"{name}.nq", workdir / f"{name}-merged.nt"
    counts = write_nquads(sources, nquads, merged)
    return Dataset(
        name=name,
        description=description,
        sources=tuple(sources),
        nquads=nquads,
        merged=merged,
        quads=counts.quads,
        triples=counts.triples,
        graphs=counts.graphs,
    )


def shipped(workdir: Path) -> Dataset:
    return prepare(
        "shipped", "the project's data and ontology", Paths().sources(), workdir / "shipped"
    )


def generated(workdir: Path, sizes: synthetic.Sizes) -> Dataset:
    folder = workdir / "synthetic"
    synthetic.write(folder / "data", sizes)
    return prepare(
        "synthetic",
        "the shipped data plus generated organizations, people, events and essays "
        "(bench/benchkit/synthetic.py)",
        (*Paths().sources(), folder / "data"),
        folder,
    )
