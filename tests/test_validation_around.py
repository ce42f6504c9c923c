"""Validating around a change finds exactly what validating the whole store finds.

Every invalid shape fixture is written, as a change, into the shipped data (which conforms):
the whole store is then validated, and the change alone on its neighbourhood. Both must report
the same problems, so the neighbourhood holds everything the shapes read. Fixtures with blank
nodes are left out (writes refuse them), and so are those about the ontology's own terms: such a
change can break nodes anywhere, and is validated with the whole store instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from libassoc.catalog import QueryCatalog
from libassoc.namespaces import ONTOLOGY_IRI
from libassoc.neighbourhood import Neighbourhood
from libassoc.reach import shapes_reach
from libassoc.settings import Paths
from libassoc.store import apply, net, open_loaded_store
from libassoc.validation import (
    LA_NAMESPACE,
    ONTOLOGY_GRAPH,
    Shapes,
    Violation,
    changes_vocabulary,
    validate_around,
    validate_store,
    validate_whole_after,
)

PATHS = Paths()
FIXTURES = Path(__file__).parent / "shapes_fixtures"
WRITTEN = ox.NamedNode("https://w3id.org/libassoc/graph/written-fixture")
CHECKS = QueryCatalog.from_dir(PATHS.queries).checks()


@cache
def shapes() -> Shapes:
    return Shapes([PATHS.shapes])


def writable(path: Path) -> bool:
    quads = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE))
    blank = any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object))
    ontology = any(
        q.subject.value.startswith(ONTOLOGY_IRI)
        for q in quads
        if isinstance(q.subject, ox.NamedNode)
    )
    return not blank and not ontology


CASES = [
    pytest.param(p, id=f"{p.parent.name}/{p.stem}")
    for p in sorted(FIXTURES.glob("*/invalid-*.ttl"))
    if not p.name.endswith(".expected.ttl") and writable(p)
]


def found(violations: tuple[Violation, ...]) -> set[tuple[str, str, str]]:
    return {(v.shape, v.focus, v.path) for v in violations}


@pytest.mark.parametrize("path", CASES)
def test_around_a_change_as_in_the_whole_store(path: Path) -> None:
    store = open_loaded_store(PATHS.sources())
    added = [
        ox.Quad(t.subject, t.predicate, t.object, WRITTEN)
        for t in ox.parse(path=path, format=ox.RdfFormat.TURTLE)
    ]
    change = net(store, added, (), created=[WRITTEN])
    around = validate_around(
        Neighbourhood(store, change, ONTOLOGY_GRAPH, reach=shapes().reach), shapes(), CHECKS
    )
    apply(store, change, None)
    whole = validate_store(store, shapes(), CHECKS)
    # A few fixtures break nothing beside the data, which states what they leave out.
    assert found(around.violations) == found(whole.violations)


def removable_links() -> list[ox.Quad]:
    """For each predicate linking two IRIs in the shipped data, the first quad stating it."""
    first: dict[ox.NamedNode, ox.Quad] = {}
    for quad in open_loaded_store(PATHS.sources()).quads_for_pattern(None, None, None, None):
        if (
            isinstance(quad.graph_name, ox.NamedNode)
            and quad.graph_name != ONTOLOGY_GRAPH
            and isinstance(quad.object, ox.NamedNode)
            and quad.predicate.value != str(RDF.type)
        ):
            first.setdefault(quad.predicate, quad)
    return [first[p] for p in sorted(first, key=str)]


@pytest.mark.parametrize("link", removable_links(), ids=lambda q: q.predicate.value)
def test_around_a_removed_link_as_in_the_whole_store(link: ox.Quad) -> None:
    # A removal breaks what needed the link: the two-way rules, minimum counts.
    store = open_loaded_store(PATHS.sources())
    change = net(store, (), [link])
    assert not changes_vocabulary(change)
    around = Neighbourhood(store, change, ONTOLOGY_GRAPH, reach=shapes().reach)
    outcome = validate_around(around, shapes(), CHECKS)
    apply(store, change, None)
    whole = validate_store(store, shapes(), CHECKS)
    assert found(outcome.violations) == found(whole.violations)


def removable_types() -> list[ox.Quad]:
    """For each class of a node that others point at, the first quad typing such a node."""
    store = open_loaded_store(PATHS.sources())
    first: dict[ox.Term, ox.Quad] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), None, None):
        if (
            isinstance(quad.graph_name, ox.NamedNode)
            and quad.graph_name != ONTOLOGY_GRAPH
            and quad.object not in first
            and next(iter(store.quads_for_pattern(None, None, quad.subject, None)), None)
        ):
            first[quad.object] = quad
    return [first[c] for c in sorted(first, key=str)]


@pytest.mark.parametrize("typed", removable_types(), ids=lambda q: q.object.value)
def test_around_a_removed_type_as_in_the_whole_store(typed: ox.Quad) -> None:
    # The nodes pointing at it read its type (sh:class): they are validated again.
    store = open_loaded_store(PATHS.sources())
    change = net(store, (), [typed])
    around = Neighbourhood(store, change, ONTOLOGY_GRAPH, reach=shapes().reach)
    outcome = validate_around(around, shapes(), CHECKS)
    apply(store, change, None)
    whole = validate_store(store, shapes(), CHECKS)
    assert found(outcome.violations) == found(whole.violations)


def test_a_name_for_the_ala_validates_the_ala_alone() -> None:
    store = open_loaded_store(PATHS.sources())
    ala = ox.NamedNode("https://w3id.org/libassoc/org/ala")
    name = ox.Quad(
        ala, ox.NamedNode("https://schema.org/alternateName"), ox.Literal("ALA"), WRITTEN
    )
    around = Neighbourhood(
        store, net(store, [name], (), [WRITTEN]), ONTOLOGY_GRAPH, reach=shapes().reach
    )
    assert validate_around(around, shapes(), CHECKS).conforms
    # Dozens of nodes point at the ALA; none of their shapes reads its names.
    assert len(around.incoming(ala)) > 30
    assert around.focus == {ala}
    everything = Neighbourhood(store, net(store, [name], (), [WRITTEN]), ONTOLOGY_GRAPH)
    assert len(everything.focus) > 30


def test_most_fixtures_can_be_written() -> None:
    assert len(CASES) > 60


def test_a_valid_entity_linked_to_much_described_nodes_conforms() -> None:
    # ALA's neighbours are change events whose other organizations lie outside the
    # neighbourhood: the checks must not take that for a link stated one way only.
    store = open_loaded_store(PATHS.sources())
    person = ox.NamedNode("https://w3id.org/libassoc/person/around-test")
    schema = "https://schema.org/"
    triples = [
        (
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(schema + "Person"),
        ),
        (ox.NamedNode(schema + "name"), ox.Literal("Around Test")),
        (ox.NamedNode(schema + "affiliation"), ox.NamedNode("https://w3id.org/libassoc/org/ala")),
    ]
    change = net(store, [ox.Quad(person, p, o, WRITTEN) for p, o in triples], (), [WRITTEN])
    around = Neighbourhood(store, change, ONTOLOGY_GRAPH, reach=shapes().reach)
    outcome = validate_around(around, shapes(), CHECKS)
    assert outcome.conforms, found(outcome.violations)
    # ALA keeps its conformance: an affiliation is no link its shapes read from outside.
    assert around.focus == {person}


def test_a_change_to_the_class_hierarchy_is_validated_with_the_whole_store(
    tmp_path: Path,
) -> None:
    # Every division would then have to be a place: nothing near the change says so.
    store = open_loaded_store(PATHS.sources())
    subclass = ox.Quad(
        ox.NamedNode(LA_NAMESPACE + "Division"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
        ox.NamedNode("https://schema.org/Place"),
        WRITTEN,
    )
    change = net(store, [subclass], (), [WRITTEN])
    assert changes_vocabulary(change)
    disk = open_loaded_store(PATHS.sources(), tmp_path / "store")
    outcome = validate_whole_after(disk, change, shapes(), CHECKS, tmp_path)
    assert "shapes:PlaceShape" in {v.shape for v in outcome.violations}
    assert subclass not in disk


def test_a_node_read_through_an_inverse_path_brings_the_node_it_points_at() -> None:
    # A team's shape reads the type of each player pointing at it: when a player loses its
    # type, the team it plays for is validated again, though it does not point at the player.
    shapes_graph = Graph().parse(
        format="turtle",
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <http://example.org/> .
        ex:Team sh:targetClass ex:Team ;
            sh:property [ sh:path [ sh:inversePath ex:playsFor ] ; sh:class ex:Player ] .
        """,
    )
    ex = "http://example.org/"
    player, team = ox.NamedNode(ex + "p"), ox.NamedNode(ex + "t")
    graph = ox.NamedNode(ex + "g")
    store = ox.Store()
    store.extend(
        [
            ox.Quad(player, ox.NamedNode(ex + "playsFor"), team, graph),
            ox.Quad(player, ox.NamedNode(str(RDF.type)), ox.NamedNode(ex + "Player"), graph),
            ox.Quad(team, ox.NamedNode(str(RDF.type)), ox.NamedNode(ex + "Team"), graph),
        ]
    )
    untyped = net(
        store,
        (),
        [ox.Quad(player, ox.NamedNode(str(RDF.type)), ox.NamedNode(ex + "Player"), graph)],
    )
    around = Neighbourhood(store, untyped, ONTOLOGY_GRAPH, reach=shapes_reach(shapes_graph))
    assert around.focus == {player, team}
