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


def test_a_path_ending_at_this_names_each_of_its_links() -> None:
    query = "SELECT $this WHERE { ?x (ex:knows|ex:likes)/ex:trusts $this }"
    assert inward(f'ex:A sh:sparql [ sh:select "{query}" ] .') == {
        "http://example.org/knows",
        "http://example.org/likes",
        "http://example.org/trusts",
    }


def test_a_path_taken_backwards_from_this_reads_links_to_it() -> None:
    query = "SELECT $this WHERE { $this ^ex:knows ?x . FILTER REGEX(STR(?x), '^ex:nothing') }"
    assert inward(f'ex:A sh:sparql [ sh:select "{query}" ] .') == {"http://example.org/knows"}


def test_a_path_of_any_length_or_an_inverse_of_a_path_could_be_any_link() -> None:
    query = "SELECT $this WHERE { ?x ex:knows+ $this }"
    assert inward(f'ex:A sh:sparql [ sh:select "{query}" ] .') is None
    path = "[ sh:inversePath ( ex:a ex:b ) ]"
    assert inward(f"ex:A sh:property [ sh:path {path} ; sh:maxCount 1 ] .") is None


def test_a_pattern_inside_not_exists_among_others_is_seen() -> None:
    query = "SELECT $this WHERE { $this ex:a ?v . FILTER NOT EXISTS { ?v ex:b ?w ; ex:c $this } }"
    assert inward(f'ex:A sh:sparql [ sh:select "{query}" ] .') == {"http://example.org/c"}
