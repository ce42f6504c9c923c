"""The dataset described as VoID and DCAT: the metadata graph plus what only the data can tell.

The metadata graph (``graph/metadata``) says what the dataset and each graph are, where they
come from, their licenses and dates. Counts, dumps, sizes and checksums change with every
edit, so they are computed here, from the store and the dump folder, never written by hand.
Every node has an IRI (MODEL.md §2): a dump's distribution is ``<dump IRI>#distribution``.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCAT, RDF, VOID, XSD

from libassoc.catalog import QueryCatalog, select
from libassoc.dataset import Dataset
from libassoc.dumps import CHECKSUMS, DUMP_FORMATS
from libassoc.namespaces import BASE, DUMPS, MEDIA_TYPES, SPARQL_ENDPOINT, SPDX, graph_iri

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


# The columns of queries/app/dataset-statistics.rq, each a VoID property of the same name.
COUNTED = ("triples", "classes", "properties", "distinctSubjects", "distinctObjects")


def _statistics(store: Dataset, catalog: QueryCatalog) -> dict[ox.NamedNode | None, list[int]]:
    """Per named graph (None: the whole dataset) the COUNTED figures, then its entities.

    Counted by Oxigraph, on stored terms: at 10M triples this walk in Python took minutes.
    """
    figures: dict[ox.NamedNode | None, list[int]] = {}
    for row in select(store, catalog, "dataset-statistics"):
        figures[_graph(row)] = [int(_value(row[name])) for name in COUNTED] + [0]
    for row in select(store, catalog, "subjects-by-graph"):
        subject = row["subject"]
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(BASE):
            figures[_graph(row)][-1] += 1
    return figures


def _graph(row: ox.QuerySolution) -> ox.NamedNode | None:
    graph = row["graph"]
    return graph if isinstance(graph, ox.NamedNode) else None


def _value(term: object) -> str:
    if not isinstance(term, ox.Literal):
        raise TypeError(f"a count is a literal, not {term!r}")
    return term.value


def _described(subject: ox.NamedNode, figures: list[int]) -> list[ox.Triple]:
    properties = [*COUNTED, "entities"]
    return [
        ox.Triple(subject, _iri(str(VOID[p])), _count(v))
        for p, v in zip(properties, figures, strict=True)
    ]


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


def describe_dataset(store: ox.Store, catalog: QueryCatalog, dumps: Path) -> list[ox.Triple]:
    """VoID and DCAT of the dataset: a subset per named graph, a distribution per dump."""
    dataset = dataset_iri(store)
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, METADATA_GRAPH)]
    triples += [
        ox.Triple(dataset, TYPE, VOID_DATASET),
        ox.Triple(dataset, TYPE, _iri(str(DCAT.Dataset))),
        ox.Triple(dataset, _iri(str(VOID.uriSpace)), ox.Literal(BASE)),
        ox.Triple(dataset, _iri(str(VOID.sparqlEndpoint)), _iri(SPARQL_ENDPOINT)),
    ]
    figures = _statistics(store, catalog)
    # An empty store has no row at all, not one of zeros.
    triples += _described(dataset, figures.get(None, [0] * (len(COUNTED) + 1)))
    for graph in sorted((g for g in figures if g is not None), key=str):
        triples += [ox.Triple(dataset, SUBSET, graph), ox.Triple(graph, TYPE, VOID_DATASET)]
        triples += _described(graph, figures[graph])
    for name, sha256 in sorted(read_checksums(dumps).items()):
        triples += _distribution(dataset, dumps / name, sha256)
    return sorted(set(triples), key=str)
