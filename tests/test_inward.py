"""Which incoming links the shapes read: what a write pointing at a node must read of it."""

from __future__ import annotations

from rdflib import Graph

from libassoc.inward import inward_predicates
from libassoc.settings import Paths
from libassoc.validation import load_shapes

SCHEMA = "https://schema.org/"
PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix ex: <http://example.org/> .
"""


def inward(turtle: str) -> set[str] | None:
    found = inward_predicates(Graph().parse(data=PREFIXES + turtle, format="turtle"))
    return None if found is None else {node.value for node in found}


def test_the_project_s_shapes_read_the_two_way_links_but_not_affiliations() -> None:
    found = inward_predicates(load_shapes([Paths().shapes]))
    assert found is not None
    names = {node.value for node in found}
    two_way = ("member", "memberOf", "subOrganization", "parentOrganization")
    assert {SCHEMA + name for name in two_way} <= names
    assert "http://www.w3.org/ns/org#resultedFrom" in names
    assert "http://rdfs.org/ns/void#subset" in names  # sh:targetObjectsOf
    assert SCHEMA + "affiliation" not in names


def test_an_inverse_path_and_a_target_on_objects_are_read_from_outside() -> None:
    assert inward(
        """
        ex:A sh:targetObjectsOf schema:about ;
            sh:property [ sh:path [ sh:inversePath schema:author ] ; sh:maxCount 3 ] .
        """
    ) == {SCHEMA + "about", SCHEMA + "author"}


def test_a_sparql_pattern_ending_at_this_names_its_predicate() -> None:
    query = "SELECT $this WHERE { ?x ex:knows $this ; <http://example.org/likes> $this }"
    assert inward(f'ex:A sh:sparql [ sh:select "{query}" ] .') == {
        "http://example.org/knows",
        "http://example.org/likes",
    }


def test_a_variable_predicate_ending_at_this_could_be_any_link() -> None:
    assert inward('ex:A sh:sparql [ sh:select "SELECT $this WHERE { ?x ?p $this }" ] .') is None
    assert inward('ex:A sh:sparql [ sh:select "SELECT $this WHERE { ?x $PATH $this }" ] .') is None


def test_a_prefix_nobody_declared_could_be_any_link() -> None:
    assert inward('ex:A sh:sparql [ sh:select "SELECT $this WHERE { ?x nope:p $this }" ] .') is None
