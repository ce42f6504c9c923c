"""The VoID statistics Oxigraph counts, against the same figures counted here with rdflib."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, VOID, Dataset, Graph, URIRef
from rdflib.term import Node

from libassoc.catalog import QueryCatalog
from libassoc.dumps import CHECKSUMS
from libassoc.namespaces import BASE
from libassoc.publication import SERVICE_PAGES, document_paths
from libassoc.settings import Paths
from libassoc.store import replace_contents
from libassoc.void import describe_dataset

# Two graphs state one triple; subjects of ours, a hash IRI, someone else's IRI and a blank node;
# a class used in one graph only; literals, and an IRI of ours only ever an object.
TRIG = """
@prefix schema: <https://schema.org/> .
@prefix org: <https://w3id.org/libassoc/org/> .
<https://w3id.org/libassoc/graph/one> {
    org:ala a schema:Organization ; schema:name "American Library Association"@en ;
        schema:location <https://w3id.org/libassoc/place/chicago> .
    <https://w3id.org/libassoc/org/ala#history> schema:about org:ala .
    _:vote schema:agent org:ala ; schema:result "yes" .
}
<https://w3id.org/libassoc/graph/two> {
    org:ala a schema:Organization ; schema:sameAs <http://www.wikidata.org/entity/Q463303> .
    <http://www.wikidata.org/entity/Q463303> a schema:Thing ; schema:name "ALA" .
}
"""


@pytest.fixture(scope="module")
def store() -> ox.Store:
    loaded = ox.Store()
    replace_contents(loaded, ox.parse(TRIG.encode(), format=ox.RdfFormat.TRIG))
    return loaded


@pytest.fixture(scope="module")
def catalog() -> QueryCatalog:
    return QueryCatalog.from_dir(Paths().queries)


FIGURES = (
    VOID.triples,
    VOID.entities,
    VOID.classes,
    VOID.properties,
    VOID.distinctSubjects,
    VOID.distinctObjects,
)


def expected_figures(graph: Graph) -> dict[URIRef, int]:
    """Each VoID figure of ``graph``, counted triple by triple."""
    subjects = set(graph.subjects(unique=True))
    return {
        VOID.triples: len(graph),
        VOID.entities: sum(1 for s in subjects if isinstance(s, URIRef) and s.startswith(BASE)),
        VOID.classes: len(set(graph.objects(None, RDF.type))),
        VOID.properties: len(set(graph.predicates())),
        VOID.distinctSubjects: len(subjects),
        VOID.distinctObjects: len(set(graph.objects())),
    }


def described_figures(void: Graph, subject: Node) -> dict[URIRef, int]:
    return {figure: int(str(void.value(subject, figure))) for figure in FIGURES}


def test_the_figures_of_the_dataset_and_of_each_graph(
    store: ox.Store, catalog: QueryCatalog, tmp_path: Path
) -> None:
    (tmp_path / CHECKSUMS).write_text("")
    void = Graph().parse(
        data=ox.serialize(describe_dataset(store, catalog, tmp_path), format=ox.RdfFormat.TURTLE),
        format="turtle",
    )
    dataset = Dataset().parse(data=TRIG, format="trig")
    merged = Graph()
    for subject, predicate, object_, _ in dataset.quads():
        merged.add((subject, predicate, object_))
    root = next(void.subjects(VOID.uriSpace, None))
    assert described_figures(void, root) == expected_figures(merged) != {}
    graphs = set(void.objects(root, VOID.subset))
    assert graphs == {URIRef(BASE + "graph/one"), URIRef(BASE + "graph/two")}
    for graph in graphs:
        figures = expected_figures(dataset.graph(graph))
        assert described_figures(void, graph) == figures, graph
    # Not the same figures twice: the one triple both graphs state is counted once in the whole.
    assert int(str(void.value(root, VOID.triples))) == 9


def test_an_empty_store_is_described_with_zeros(catalog: QueryCatalog, tmp_path: Path) -> None:
    (tmp_path / CHECKSUMS).write_text("")
    described = describe_dataset(ox.Store(), catalog, tmp_path)
    counts = {t.predicate.value: t.object for t in described}
    assert counts[str(VOID.triples)] == ox.Literal(0)  # an xsd:integer
    assert str(VOID.subset) not in counts


def test_the_pages_are_those_of_our_iris_subject_or_object(
    store: ox.Store, catalog: QueryCatalog
) -> None:
    assert set(document_paths(store, catalog)) == {
        *SERVICE_PAGES,
        "org/ala",
        "place/chicago",
    }
