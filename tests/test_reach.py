"""What the shapes read beyond a focus node's own links: which incoming links (what a write
pointing at a node must read of it), and which links of the nodes it points at (when a write
describing a node must validate the nodes pointing at it again)."""

from __future__ import annotations

from rdflib import Graph

from libassoc.reach import inward_predicates, outward_predicates, shapes_reach
from libassoc.settings import Paths
from libassoc.validation import load_shapes

SCHEMA = "https://schema.org/"
PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix ex: <http://example.org/> .
"""
EX = "http://example.org/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def inward(turtle: str) -> set[str] | None:
    found = inward_predicates(Graph().parse(data=PREFIXES + turtle, format="turtle"))
    return None if found is None else {node.value for node in found}


def outward(turtle: str) -> set[str] | None:
    found = outward_predicates(Graph().parse(data=PREFIXES + turtle, format="turtle"))
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


def test_a_variable_bound_to_this_is_this_for_incoming_links() -> None:
    bound = "SELECT $this WHERE { BIND ($this AS ?x) ?y ex:knows ?x }"
    assert inward(f'ex:A sh:sparql [ sh:select "{bound}" ] .') == {EX + "knows"}
    equal = "SELECT $this WHERE { ?y ex:likes ?x . FILTER (sameTerm(?x, $this) || ?z = ?x) }"
    assert inward(f'ex:A sh:sparql [ sh:select "{equal}" ] .') == {EX + "likes"}
    unequal = "SELECT $this WHERE { ?y ex:likes ?x . FILTER (?x != $this) }"
    assert inward(f'ex:A sh:sparql [ sh:select "{unequal}" ] .') == set()


def test_the_project_s_shapes_read_types_and_two_way_links_of_linked_nodes() -> None:
    reach = shapes_reach(load_shapes([Paths().shapes]))
    assert reach.outward is not None
    names = {node.value for node in reach.outward}
    two_way = ("member", "memberOf", "subOrganization", "parentOrganization")
    assert {TYPE, *(SCHEMA + name for name in two_way)} <= names
    assert not {SCHEMA + "name", SCHEMA + "alternateName", SCHEMA + "affiliation"} & names
    # The ontology's own checks read any link of any node: they are named apart.
    assert {node.value for node in reach.targeted} == {"https://w3id.org/libassoc/ontology"}


def test_a_class_constraint_reads_the_type_of_values_not_of_the_focus_node() -> None:
    assert outward("ex:A sh:targetClass ex:C ; sh:class ex:D .") == set()
    assert outward("ex:A sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:class ex:D ] .") == {
        TYPE
    }


def test_a_shape_applied_to_values_reads_its_paths_on_them() -> None:
    turtle = """
        ex:A sh:targetClass ex:C ;
            sh:property [ sh:path ex:p ; sh:node ex:N ; sh:or ( [ sh:datatype ex:d ] ) ] .
        ex:N sh:property [ sh:path ex:q ; sh:equals ex:r ] ,
            [ sh:path ex:s ; sh:qualifiedValueShape [ sh:class ex:K ] ] .
    """
    assert outward(turtle) == {EX + "q", EX + "r", EX + "s", TYPE}


def test_a_path_reads_beyond_its_first_link_and_without_end_anything() -> None:
    assert outward(
        """
        ex:A sh:targetClass ex:C ;
            sh:property [ sh:path ( ex:a ex:b ) ; sh:maxCount 1 ] ,
                [ sh:path [ sh:inversePath ex:c ] ; sh:maxCount 1 ] ,
                [ sh:path [ sh:alternativePath ( ex:d ex:e ) ] ; sh:maxCount 1 ] .
        """
    ) == {EX + "b"}
    endless = "ex:A sh:targetClass ex:C ; sh:property [ sh:path [ sh:oneOrMorePath ex:a ] ] ."
    assert outward(endless) is None


def test_a_sparql_pattern_from_anywhere_but_this_reads_beyond_it() -> None:
    def constraint(query: str) -> str:
        return f'ex:A sh:targetClass ex:C ; sh:sparql [ sh:select "{query}" ] .'

    own = "SELECT $this WHERE { $this ?p ?o ; ex:a ?v . ?v ex:b ?w . FILTER (?w != ex:x) }"
    assert outward(constraint(own)) == {EX + "b"}
    path = "SELECT $this WHERE { $this ex:a/ex:b ?v ; ^ex:c ?w }"
    assert outward(constraint(path)) == {EX + "b"}
    renamed = "SELECT $this WHERE { BIND ($this AS ?x) ?x ex:a ?v }"
    assert outward(constraint(renamed)) == {EX + "a"}
    assert outward(constraint("SELECT $this WHERE { $this ex:a ?v . ?v ?p ?w }")) is None


def test_a_sparql_constraint_on_values_reads_its_own_path_beyond_the_focus_node() -> None:
    query = "SELECT $this WHERE { $this $PATH ?v }"
    nested = f'[ sh:path ex:q ; sh:sparql [ sh:select "{query}" ] ]'
    turtle = f"""
        ex:A sh:targetClass ex:C ;
            sh:property [ sh:path ex:p ; sh:node [ sh:property {nested} ] ] .
    """
    assert outward(turtle) is None


def test_shapes_targeting_named_nodes_only_are_named_apart() -> None:
    turtle = """
        ex:A sh:targetNode ex:root ; sh:sparql [ sh:select "SELECT $this WHERE { ?x ?p ?y }" ] .
        ex:B sh:targetClass ex:C ; sh:targetNode ex:other ;
            sh:property [ sh:path ex:p ; sh:class ex:D ] .
    """
    reach = shapes_reach(Graph().parse(data=PREFIXES + turtle, format="turtle"))
    assert reach.outward is not None
    assert {node.value for node in reach.outward} == {TYPE}
    assert {node.value for node in reach.targeted} == {EX + "root"}


def test_a_custom_constraint_component_could_read_anything() -> None:
    turtle = "ex:Component a sh:ConstraintComponent . ex:A sh:targetClass ex:C ; ex:param 1 ."
    assert outward(turtle) is None
