"""The dataset described as VoID and DCAT: the metadata graph plus what only the data can tell.

The metadata graph (``graph/metadata``) says what the dataset and each graph are, where they
come from, their licenses and dates. Counts, dumps, sizes and checksums change with every
edit, so they are computed here, from the store and the dump folder, never written by hand.
Every node has an IRI (MODEL.md §2): a dump's distribution is ``<dump IRI>#distribution``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCAT, RDF, VOID, XSD

from libassoc.dataset import Dataset
from libassoc.dumps import CHECKSUMS, DUMP_FORMATS
from libassoc.namespaces import BASE, DUMPS, MEDIA_TYPES, SPARQL_ENDPOINT, SPDX, graph_iri
from libassoc.store import merged_triples, named_quads

METADATA_GRAPH = ox.NamedNode(str(graph_iri("metadata")))
GZIP = "application/gzip"


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_iri(str(XSD.integer)))


TYPE = _iri(str(RDF.type))
VOID_DATASET = _iri(str(VOID.Dataset))
SUBSET = _iri(str(VOID.subset))


def dataset_iri(store: Dataset) -> ox.NamedNode:
    """The dataset the metadata graph describes: the ``void:Dataset`` no other one contains."""
    datasets = {
        q.subject
        for q in store.quads_for_pattern(None, TYPE, VOID_DATASET, METADATA_GRAPH)
        if isinstance(q.subject, ox.NamedNode)
    }
    subsets = {q.object for q in store.quads_for_pattern(None, SUBSET, None, METADATA_GRAPH)}
    roots = sorted((d for d in datasets if d not in subsets), key=str)
    return roots[0] if roots else _iri(BASE + "dataset")


def _statistics(subject: ox.NamedNode, triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    subjects: set[str] = set()
    entities: set[str] = set()
    classes: set[str] = set()
    properties: set[str] = set()
    objects: set[str] = set()
    count = 0
    for triple in triples:
        count += 1
        subjects.add(str(triple.subject))
        if isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(BASE):
            entities.add(triple.subject.value)
        properties.add(triple.predicate.value)
        objects.add(str(triple.object))
        if triple.predicate == TYPE:
            classes.add(str(triple.object))
    values = {
        VOID.triples: count,
        VOID.entities: len(entities),
        VOID.classes: len(classes),
        VOID.properties: len(properties),
        VOID.distinctSubjects: len(subjects),
        VOID.distinctObjects: len(objects),
    }
    return [ox.Triple(subject, _iri(str(p)), _count(v)) for p, v in values.items()]


def _distribution(dataset: ox.NamedNode, dump: Path, sha256: str) -> list[ox.Triple]:
    url = _iri(DUMPS + dump.name)
    node = _iri(url.value + "#distribution")
    checksum = _iri(url.value + "#sha256")
    packed = dump.suffix == ".gz"
    extension = dump.name.removesuffix(".gz").rsplit(".", 1)[-1]
    media_type = next(f.media_type for f in DUMP_FORMATS.values() if f.extension == extension)
    triples = [
        ox.Triple(dataset, _iri(str(VOID.dataDump)), url),
        ox.Triple(dataset, _iri(str(DCAT.distribution)), node),
        ox.Triple(node, TYPE, _iri(str(DCAT.Distribution))),
        ox.Triple(node, _iri(str(DCAT.downloadURL)), url),
        ox.Triple(node, _iri(str(DCAT.mediaType)), _iri(str(MEDIA_TYPES[media_type]))),
        ox.Triple(
            node,
            _iri(str(DCAT.byteSize)),
            ox.Literal(str(dump.stat().st_size), datatype=_iri(str(XSD.nonNegativeInteger))),
        ),
        ox.Triple(node, _iri(str(SPDX.checksum)), checksum),
        ox.Triple(checksum, TYPE, _iri(str(SPDX.Checksum))),
        ox.Triple(checksum, _iri(str(SPDX.algorithm)), _iri(str(SPDX.checksumAlgorithm_sha256))),
        ox.Triple(
            checksum,
            _iri(str(SPDX.checksumValue)),
            ox.Literal(sha256, datatype=_iri(str(XSD.hexBinary))),
        ),
    ]
    if packed:
        triples.append(
            ox.Triple(node, _iri(str(DCAT.compressFormat)), _iri(str(MEDIA_TYPES[GZIP])))
        )
    return triples


def read_checksums(folder: Path) -> dict[str, str]:
    """File name to SHA-256, as ``dumps.write_all`` recorded them in ``SHA256SUMS``."""
    sums: dict[str, str] = {}
    for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    return sums


def describe_dataset(store: ox.Store, dumps: Path) -> list[ox.Triple]:
    """VoID and DCAT of the dataset: a subset per named graph, a distribution per dump."""
    dataset = dataset_iri(store)
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, METADATA_GRAPH)]
    triples += [
        ox.Triple(dataset, TYPE, VOID_DATASET),
        ox.Triple(dataset, TYPE, _iri(str(DCAT.Dataset))),
        ox.Triple(dataset, _iri(str(VOID.uriSpace)), ox.Literal(BASE)),
        ox.Triple(dataset, _iri(str(VOID.sparqlEndpoint)), _iri(SPARQL_ENDPOINT)),
    ]
    triples += _statistics(dataset, merged_triples(store))
    by_graph: dict[ox.NamedNode, list[ox.Triple]] = {}
    for quad in named_quads(store):
        if isinstance(quad.graph_name, ox.NamedNode):
            by_graph.setdefault(quad.graph_name, []).append(quad.triple)
    for graph in sorted(by_graph, key=str):
        triples += [ox.Triple(dataset, SUBSET, graph), ox.Triple(graph, TYPE, VOID_DATASET)]
        triples += _statistics(graph, by_graph[graph])
    for name, sha256 in sorted(read_checksums(dumps).items()):
        triples += _distribution(dataset, dumps / name, sha256)
    return sorted(set(triples), key=str)
