"""The data both servers serve: the shipped dataset, and optionally a larger synthetic one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit import synthetic
from libassoc.dumps import DUMP_FORMATS, serialize
from libassoc.loader import load_quads
from libassoc.settings import Paths


@dataclass(frozen=True)
class Dataset:
    """Sources for libassoc, the same quads as N-Quads for the baseline, and their sizes."""

    name: str
    description: str
    sources: tuple[Path, ...]
    nquads: Path
    quads: int
    triples: int
    graphs: int


def prepare(name: str, description: str, sources: Sequence[Path], workdir: Path) -> Dataset:
    """Read the sources with libassoc's loader and write them as N-Quads for the baseline.

    This is what ``libassoc export --format nquads`` writes, without its validation (the
    libassoc server validates the same sources when it starts).
    """
    quads = load_quads(sources)
    workdir.mkdir(parents=True, exist_ok=True)
    nquads = workdir / f"{name}.nq"
    nquads.write_bytes(serialize(quads, DUMP_FORMATS["nquads"]))
    return Dataset(
        name=name,
        description=description,
        sources=tuple(sources),
        nquads=nquads,
        quads=len(quads),
        triples=len({quad.triple for quad in quads}),
        graphs=len({quad.graph_name for quad in quads}),
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
