"""The SPARQL service description (``sd:Service``) a client gets from ``/sparql`` without a query.

It names the endpoint, the languages, result formats and features, and the default dataset: the
merged default graph and each named graph, with their sizes (``void:triples``) as the VoID of
the newest published generation counts them (``publication.py``): counting them for each
request would read the whole store. Every node has an IRI under the endpoint's own address.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.namespace import RDF, VOID

from libassoc.engine.formats import RDF_FORMATS, RESULT_FORMATS
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import SD
from libassoc.web.state import Service


def _iri(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def graph_sizes(graphs: Iterable[str], void: list[ox.Triple]) -> tuple[int, dict[str, int | None]]:
    """The default graph's size, and the size of each of ``graphs``, from the VoID ``void``.

    The dataset is the node with ``void:subset`` links; its count is the merged default graph's.
    A graph the VoID does not count yet (made by a write since) has no size (None).
    """
    triples, subset = _iri(VOID.triples), _iri(VOID.subset)
    counts = {
        t.subject: int(t.object.value)
        for t in void
        if t.predicate == triples and isinstance(t.object, ox.Literal)
    }
    datasets = {t.subject for t in void if t.predicate == subset}
    default = next((counts[d] for d in datasets if d in counts), 0)
    named = {graph: counts.get(ox.NamedNode(graph)) for graph in graphs}
    return default, named


def describe(service: Service, endpoint: str, void: list[ox.Triple] | None) -> list[ox.Triple]:
    """The description of the service answering at ``endpoint``; ``void`` gives the sizes
    (None: no dumps are published yet, and the description gives none).

    The endpoint's address comes from the request's Host header: one that makes no IRI (a bad
    %-escape) is the client's error, 400.
    """
    try:
        ox.NamedNode(endpoint)
    except ValueError as error:
        raise HttpProblem(
            400, f"The Host header makes no valid address for this endpoint ({error})."
        ) from error
    default_size, named_sizes = graph_sizes(service.graphs, void or [])
    sized = void is not None
    this = ox.NamedNode(endpoint + "#service")
    dataset = ox.NamedNode(endpoint + "#dataset")
    default_graph = ox.NamedNode(endpoint + "#default-graph")
    a = _iri(RDF.type)
    triples = [
        ox.Triple(this, a, _iri(SD.Service)),
        ox.Triple(this, _iri(SD.endpoint), ox.NamedNode(endpoint)),
        ox.Triple(this, _iri(SD.supportedLanguage), _iri(SD.SPARQL11Query)),
        # The default graph is the RDF merge of all named graphs.
        ox.Triple(this, _iri(SD.feature), _iri(SD.UnionDefaultGraph)),
        ox.Triple(this, _iri(SD.defaultDataset), dataset),
        ox.Triple(dataset, a, _iri(SD.Dataset)),
        ox.Triple(dataset, _iri(SD.defaultGraph), default_graph),
        ox.Triple(default_graph, a, _iri(SD.Graph)),
    ]
    if sized:
        triples.append(ox.Triple(default_graph, _iri(VOID.triples), ox.Literal(default_size)))
    if service.config.allow_updates:
        triples.append(ox.Triple(this, _iri(SD.supportedLanguage), _iri(SD.SPARQL11Update)))
    for output in (*RESULT_FORMATS, *RDF_FORMATS):
        triples.append(ox.Triple(this, _iri(SD.resultFormat), ox.NamedNode(output.iri)))
    for index, (name, size) in enumerate(sorted(named_sizes.items())):
        entry = ox.NamedNode(f"{endpoint}#named-graph-{index}")
        graph = ox.NamedNode(f"{endpoint}#graph-{index}")
        triples += [
            ox.Triple(dataset, _iri(SD.namedGraph), entry),
            ox.Triple(entry, a, _iri(SD.NamedGraph)),
            ox.Triple(entry, _iri(SD.name), ox.NamedNode(name)),
            ox.Triple(entry, _iri(SD.graph), graph),
            ox.Triple(graph, a, _iri(SD.Graph)),
        ]
        if sized and size is not None:
            triples.append(ox.Triple(graph, _iri(VOID.triples), ox.Literal(size)))
    return triples
