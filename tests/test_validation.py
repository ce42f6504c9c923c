"""The shipped data conforms; each must-be-empty check catches what it is for."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal
from rdflib.namespace import RDF, SH

from libassoc.catalog import QueryCatalog
from libassoc.namespaces import ONTOLOGY_IRI
from libassoc.neighbourhood import Neighbourhood
from libassoc.settings import Paths
from libassoc.store import Change, named_quads, open_loaded_store, refresh_default_graph
from libassoc.validation import (
    ONTOLOGY_GRAPH,
    Shapes,
    check_violations,
    format_report,
    ontology_quads,
    validate_around,
    validate_store,
)

PATHS = Paths()
CATALOG = QueryCatalog.from_dir(PATHS.queries)
FIXTURES = Path(__file__).parent / "fixtures" / "checks"


def test_the_shipped_data_conforms() -> None:
    store = open_loaded_store(PATHS.sources())
    outcome = validate_store(store, [PATHS.shapes], CATALOG.checks())
    assert outcome.conforms, format_report(outcome)


def test_every_check_has_a_failing_fixture_and_the_other_way_round() -> None:
    checks = {q.name.removeprefix("checks/") for q in CATALOG.checks()}
    assert checks == {p.stem for p in FIXTURES.glob("*.ttl")}


@pytest.mark.parametrize("check", CATALOG.checks(), ids=lambda q: q.name)
def test_each_check_fails_on_its_fixture_alone(check) -> None:  # type: ignore[no-untyped-def]
    store = ox.Store()
    fixture = FIXTURES / f"{check.name.removeprefix('checks/')}.ttl"
    store.load(
        path=str(fixture),
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://w3id.org/libassoc/graph/fixture"),
    )
    refresh_default_graph(store)
    found = list(check_violations(store, CATALOG.checks()))
    assert found, f"{check.name} found nothing in {fixture.name}"
    assert {v.shape for v in found} == {f"check {check.name}"}
    assert all("{" not in v.message for v in found), "every placeholder must be filled"


def test_the_report_groups_by_shape_then_focus(tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text(
        (FIXTURES / "one-way-suborganization-violation.ttl").read_text()
        + "<https://w3id.org/libassoc/org/other> "
        "<https://schema.org/parentOrganization> <https://w3id.org/libassoc/org/parent> .\n"
    )
    store = open_loaded_store([tmp_path])
    checks = [CATALOG.get("checks/one-way-suborganization-violation")]
    outcome = validate_store(store, [PATHS.shapes], checks)
    assert not outcome.conforms
    report = format_report(outcome)
    assert report.count("Shape check checks/one-way-suborganization-violation") == 1
    assert "  https://w3id.org/libassoc/org/other\n" in report
    assert "  https://w3id.org/libassoc/org/unit\n" in report


ALA = "https://w3id.org/libassoc/org/ala"
ALCTS = "https://w3id.org/libassoc/org/alcts"


def _change_of(store: ox.Store, update: str) -> Change:
    """What ``update`` does to the named graphs of ``store``, which it leaves as it is."""
    after = ox.Store()
    after.extend(named_quads(store))
    after.update(update)
    old, new = set(named_quads(store)), set(named_quads(after))
    return Change(added=frozenset(new - old), removed=frozenset(old - new))


def test_a_validation_around_a_change_finds_what_it_breaks_and_nothing_else() -> None:
    # Two breaks; each change validated alone finds its own. ALA's foundingDate is checked by a
    # nested shape (sh:or of datatypes), which pySHACL's own focus_nodes option would skip.
    store = open_loaded_store(PATHS.sources())
    shapes = Shapes([PATHS.shapes])
    bad_date = _change_of(
        store,
        f"""
        PREFIX schema: <https://schema.org/>
        DELETE WHERE {{ GRAPH ?g {{ <{ALA}> schema:foundingDate ?date }} }} ;
        INSERT DATA {{
            GRAPH <https://w3id.org/libassoc/graph/test> {{
                <{ALA}> schema:foundingDate "not a date" }} }}
        """,
    )
    outcome = validate_around(Neighbourhood(store, bad_date, ONTOLOGY_GRAPH), shapes)
    assert [(v.focus, v.path, v.value) for v in outcome.violations] == [
        (f"<{ALA}>", "schema:foundingDate", "not a date")
    ], format_report(outcome)
    no_name = _change_of(
        store,
        f"PREFIX schema: <https://schema.org/> "
        f"DELETE WHERE {{ GRAPH ?g {{ <{ALCTS}> schema:name ?name }} }}",
    )
    other = validate_around(Neighbourhood(store, no_name, ONTOLOGY_GRAPH), shapes)
    assert [(v.focus, v.path) for v in other.violations] == [(f"<{ALCTS}>", "schema:name")]


@pytest.mark.parametrize(
    ("statement", "shape"),
    [
        (
            f"<{ALA}> <https://w3id.org/libassoc/ontology#membrCount> <{ALCTS}>",
            "shapes:DeclaredTermsShape",
        ),
        # Not a change to the vocabulary (no la: term, not the ontology's graph), yet it breaks
        # the ontology's header.
        (
            f'<{ONTOLOGY_IRI}> <http://www.w3.org/2002/07/owl#versionInfo> "9.9.9"',
            "shapes:Ontology-versionInfo",
        ),
    ],
)
def test_a_change_that_breaks_the_ontology_shapes_is_caught(statement: str, shape: str) -> None:
    store = open_loaded_store(PATHS.sources())
    change = _change_of(
        store, f"INSERT DATA {{ GRAPH <https://w3id.org/libassoc/graph/test> {{ {statement} }} }}"
    )
    # The ontology handed in, as a server does, and read from the store: the same report.
    for ontology in (ontology_quads(store), None):
        around = Neighbourhood(store, change, ONTOLOGY_GRAPH, ontology)
        outcome = validate_around(around, Shapes([PATHS.shapes]))
        assert shape in {v.shape for v in outcome.violations}


def test_a_store_that_breaks_the_vocabulary_shapes_and_others_gets_one_report(
    tmp_path: Path,
) -> None:
    # validate_store runs the vocabulary shapes apart from the others: both halves fail here.
    (tmp_path / "bad.ttl").write_text(
        f"<{ALCTS}> a <https://schema.org/Organization> ;\n"
        f"    <https://w3id.org/libassoc/ontology#membrCount> <{ALA}> .\n"
    )
    store = open_loaded_store([PATHS.ontology, tmp_path])
    outcome = validate_store(store, [PATHS.shapes])
    shapes = {v.shape for v in outcome.violations}
    assert "shapes:DeclaredTermsShape" in shapes
    assert "shapes:OrganizationShape" in shapes or "shapes:Organization-name" in shapes
    reports = list(outcome.report.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1
    assert outcome.report.value(reports[0], SH.conforms) == Literal(False)
    results = set(outcome.report.objects(reports[0], SH.result))
    assert len(results) == len(outcome.violations)


def test_shapes_that_cannot_be_named_are_validated_in_one_run(tmp_path: Path) -> None:
    # A blank node shape with a target cannot be listed in use_shapes: no split, nothing lost.
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    for name in ("prefixes.ttl", "ontology.ttl"):
        (shapes / name).write_text((PATHS.shapes / name).read_text())
    (shapes / "blank.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "[] a sh:NodeShape ; sh:targetClass <https://schema.org/Organization> ;\n"
        "   sh:property [ sh:path <https://schema.org/name> ; sh:minCount 1 ] .\n"
    )
    compiled = Shapes([shapes])
    assert compiled.vocabulary_shapes and compiled.other_shapes is None
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad.ttl").write_text(f"<{ALCTS}> a <https://schema.org/Organization> .\n")
    outcome = validate_store(open_loaded_store([PATHS.ontology, data]), compiled)
    assert [(v.focus, v.path) for v in outcome.violations] == [(f"<{ALCTS}>", "schema:name")], (
        format_report(outcome)
    )


def test_the_conformance_key_follows_data_shapes_and_checks(tmp_path: Path) -> None:
    from libassoc.validation import conformance_key

    data, shapes = tmp_path / "data", tmp_path / "shapes"
    data.mkdir()
    shapes.mkdir()
    (data / "one.ttl").write_text("<https://e.org/a> <https://schema.org/name> 'A' .\n")
    (shapes / "s.ttl").write_text("")
    checks = CATALOG.checks()
    key = conformance_key([data], [shapes], checks)
    assert conformance_key([data], [shapes], checks) == key
    assert conformance_key([data], [shapes], checks[1:]) != key
    (shapes / "s.ttl").write_text("# changed\n")
    changed_shapes = conformance_key([data], [shapes], checks)
    assert changed_shapes != key
    (data / "one.ttl").write_text("<https://e.org/a> <https://schema.org/name> 'B' .\n")
    assert conformance_key([data], [shapes], checks) not in {key, changed_shapes}
