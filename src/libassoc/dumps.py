"""Serialize the dataset: deterministic bytes for identical data, in every common RDF syntax."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib.util import guess_format

from libassoc.namespaces import VOCABULARY_PREFIXES
from libassoc.store import merged_triples, named_quads


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


def _quad_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (str(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return (str(triple.subject), str(triple.predicate), str(triple.object))


def serialize(items: Iterable[ox.Quad] | Iterable[ox.Triple], dump_format: DumpFormat) -> bytes:
    """Serialize quads or triples in the given order, with the project's prefixes.

    N-Triples, N-Quads and JSON-LD ignore the prefixes: Oxigraph writes JSON-LD expanded,
    every term a full IRI, so no context has to be fetched to read it.
    """
    output = ox.serialize(items, format=dump_format.rdf_format, prefixes=VOCABULARY_PREFIXES)
    if output is None:  # only when an output file is given, which it is not here
        raise RuntimeError("serializer wrote nothing")
    return output


def export(store: ox.Store, dump_format: DumpFormat) -> bytes:
    """The whole dataset in one syntax; triple syntaxes carry the merge of all graphs."""
    if dump_format.carries_graphs:
        return serialize(sorted(named_quads(store), key=_quad_key), dump_format)
    return serialize(sorted(merged_triples(store), key=_triple_key), dump_format)


DUMP_STEM = "libassoc"
CHECKSUMS = "SHA256SUMS"


def write_all(store: ox.Store, folder: Path) -> list[Path]:
    """Every syntax, plain and gzipped, and ``SHA256SUMS``; identical data gives identical bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for dump_format in DUMP_FORMATS.values():
        data = export(store, dump_format)
        plain = folder / f"{DUMP_STEM}.{dump_format.extension}"
        plain.write_bytes(data)
        packed = plain.with_name(plain.name + ".gz")
        packed.write_bytes(gzip.compress(data, mtime=0))
        written += [plain, packed]
    sums = "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n" for path in written
    )
    checksums = folder / CHECKSUMS
    checksums.write_text(sums, encoding="utf-8")
    return [*written, checksums]
