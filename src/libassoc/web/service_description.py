"""The SPARQL service description (``sd:Service``) a client gets from ``/sparql`` without a query.

It names the endpoint, the languages, result formats and features, and the default dataset: the
merged default graph and each named graph, with their sizes (``void:triples``) counted by
``queries/app/graph-sizes.rq``. Every node has an IRI under the endpoint's own address.
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib.namespace import RDF, VOID

from libassoc.engine.evaluation import Answer, QueryJob
from libassoc.engine.formats import RDF_FORMATS, RESULT_FORMATS
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import SD
from libassoc.web.state import Service

GRAPH_SIZES = "app/graph-sizes"


def _iri(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


async def graph_sizes(service: Service) -> tuple[int, dict[str, int]]:
    """The default graph's size, and each named graph's (zero for an empty one)."""
    query = service.catalog.get(GRAPH_SIZES)
    outcome = await service.queries.submit(QueryJob(query.text, format_params=("json",)))
    if not isinstance(outcome, Answer):
        raise HttpProblem(outcome.status, f"Counting the graphs failed: {outcome.message}")
    result = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)  # noqa: S101 (a SELECT)
    default = 0
    named = dict.fromkeys(service.graphs, 0)
    for row in result:
        graph, triples = row["graph"], row["triples"]
        count = int(triples.value) if isinstance(triples, ox.Literal) else 0
        if isinstance(graph, ox.NamedNode):
            named[graph.value] = count
        else:
            default = count
    return default, named


async def describe(service: Service, endpoint: str) -> list[ox.Triple]:
    """The description of the service answering at ``endpoint``."""
    default_size, named_sizes = await graph_sizes(service)
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
        ox.Triple(default_graph, _iri(VOID.triples), ox.Literal(default_size)),
    ]
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
            ox.Triple(graph, _iri(VOID.triples), ox.Literal(size)),
        ]
    return triples
