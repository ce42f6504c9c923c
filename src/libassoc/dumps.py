"""Serialize the dataset: deterministic bytes for identical data, in every common RDF syntax."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib.util import guess_format

from libassoc.namespaces import VOCABULARY_PREFIXES
from libassoc.store import DEFAULT_GRAPH


@dataclass(frozen=True)
class DumpFormat:
    """One syntax: its name on the command line, Oxigraph's format, and what it carries."""

    name: str
    rdf_format: ox.RdfFormat
    extension: str
    carries_graphs: bool

    @property
    def media_type(self) -> str:
        return str(self.rdf_format.media_type)

    @property
    def rdflib_name(self) -> str:
        """The name rdflib's parsers know this syntax by."""
        name = guess_format(f"dump.{self.extension}")
        if name is None:  # pragma: no cover - every extension above is one rdflib knows
            raise ValueError(self.extension)
        return name


DUMP_FORMATS: dict[str, DumpFormat] = {
    f.name: f
    for f in (
        DumpFormat("nquads", ox.RdfFormat.N_QUADS, "nq", carries_graphs=True),
        DumpFormat("trig", ox.RdfFormat.TRIG, "trig", carries_graphs=True),
        DumpFormat("jsonld", ox.RdfFormat.JSON_LD, "jsonld", carries_graphs=True),
        DumpFormat("turtle", ox.RdfFormat.TURTLE, "ttl", carries_graphs=False),
        DumpFormat("ntriples", ox.RdfFormat.N_TRIPLES, "nt", carries_graphs=False),
        DumpFormat("rdfxml", ox.RdfFormat.RDF_XML, "rdf", carries_graphs=False),
    )
}


def serialize(items: Iterable[ox.Quad] | Iterable[ox.Triple], dump_format: DumpFormat) -> bytes:
    """Serialize quads or triples in the given order, with the project's prefixes.

    N-Triples, N-Quads and JSON-LD ignore the prefixes: Oxigraph writes JSON-LD expanded,
    every term a full IRI, so no context has to be fetched to read it.
    """
    output = ox.serialize(items, format=dump_format.rdf_format, prefixes=VOCABULARY_PREFIXES)
    if output is None:  # only when an output file is given, which it is not here
        raise RuntimeError("serializer wrote nothing")
    return output


def _named_quads(store: ox.Store) -> Iterator[ox.Quad]:
    """The named graphs in a fixed order, streamed from the store's indexes.

    Graph by graph, in the order of their names, and within a graph in the order of Oxigraph's
    index, which depends only on the data: the same data gives the same order, and nothing has
    to be held in memory to sort it.
    """
    graphs = sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=str)
    return chain.from_iterable(store.quads_for_pattern(None, None, None, g) for g in graphs)


def write(store: ox.Store, dump_format: DumpFormat, output: IO[bytes]) -> None:
    """The whole dataset in one syntax, written to ``output`` as it is read.

    Triple syntaxes carry the merge of all graphs, the default graph, which Oxigraph writes by
    itself in its index order without holding Python's lock: dumps written side by side run on
    cores of their own. Quad syntaxes leave the default graph out, so their quads are picked
    here, graph by graph.
    """
    if not dump_format.carries_graphs:
        store.dump(
            output, dump_format.rdf_format, from_graph=DEFAULT_GRAPH, prefixes=VOCABULARY_PREFIXES
        )
        return
    ox.serialize(
        _named_quads(store), output, format=dump_format.rdf_format, prefixes=VOCABULARY_PREFIXES
    )


def export(store: ox.Store, dump_format: DumpFormat) -> bytes:
    """The whole dataset in one syntax, in memory."""
    buffer = io.BytesIO()
    write(store, dump_format, buffer)
    return buffer.getvalue()


DUMP_STEM = "libassoc"
CHECKSUMS = "SHA256SUMS"


def write_all(store: ox.Store, folder: Path, threads: int = 2) -> list[Path]:
    """Every syntax, plain and gzipped, and ``SHA256SUMS``; identical data gives identical bytes.

    Each file is streamed: a dump of millions of triples never lies whole in memory. The
    syntaxes are written by ``threads`` threads at once: Oxigraph writing a triple syntax and
    zlib packing a file let go of Python's lock, so they overlap with the quad syntaxes, which
    are picked in Python (six dumps at 1M triples: 79 s with two threads, 119 s with one).
    """
    folder.mkdir(parents=True, exist_ok=True)

    def written_in(dump_format: DumpFormat) -> list[Path]:
        plain = folder / f"{DUMP_STEM}.{dump_format.extension}"
        with plain.open("wb") as output:
            write(store, dump_format, output)
        packed = plain.with_name(plain.name + ".gz")
        # No file name and no time in the gzip header: the same dump gives the same bytes.
        with (
            plain.open("rb") as source,
            packed.open("wb") as target,
            gzip.GzipFile(filename="", mode="wb", fileobj=target, mtime=0) as compressed,
        ):
            shutil.copyfileobj(source, compressed, CHUNK_BYTES)
        return [plain, packed]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        pairs = list(pool.map(written_in, DUMP_FORMATS.values()))
    written = [path for pair in pairs for path in pair]
    sums = "".join(f"{_sha256(path)}  {path.name}\n" for path in written)
    checksums = folder / CHECKSUMS
    checksums.write_text(sums, encoding="utf-8")
    return [*written, checksums]


CHUNK_BYTES = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
