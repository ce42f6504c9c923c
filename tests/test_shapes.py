"""The SHACL shapes in shapes/, tested with valid and invalid fixture graphs (STYLE.md §2.4).

Fixtures live in ``tests/shapes_fixtures/<shape-file-stem>/``:

- ``valid-*.ttl`` must conform to all the shapes;
- ``invalid-<ShapeName>--<case>.ttl`` must fail, and only ``shapes:<ShapeName>`` may report it;
  its sidecar ``invalid-<ShapeName>--<case>.expected.ttl`` is an ``sh:ValidationReport`` in the
  style of the W3C SHACL test suite that lists every expected result. The test compares the set
  of ``(focus node, result path, constraint component, source shape)`` tuples, so a fixture that
  fails for another reason than the one it was written for does not pass unnoticed.

Every fixture is validated together with ``ontology/libassoc.ttl``, with ``inference="none"`` and
warnings counted as failures, as the data itself is. A fixture that states anything about
``<https://w3id.org/libassoc/ontology>`` replaces the ontology's header with its own.

Each fixture goes through both SHACL engines: pyshacl-turbo, which the project validates with,
on the very path the project uses (``libassoc.validation.Shapes``), and pySHACL, the reference.
Both must give the expected results, so a bug in either shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from pyshacl.entrypoints import meta_validate
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from libassoc.validation import Shapes, format_report, validate_store

ROOT = Path(__file__).resolve().parent.parent
SHAPES_DIR = ROOT / "shapes"
ONTOLOGY_FILE = ROOT / "ontology" / "libassoc.ttl"
FIXTURES_DIR = Path(__file__).resolve().parent / "shapes_fixtures"

SHAPES = Namespace("https://w3id.org/libassoc/shapes#")
LA = "https://w3id.org/libassoc/ontology#"
ONTOLOGY = URIRef("https://w3id.org/libassoc/ontology")
STANDARD = ("https://schema.org/", "http://www.w3.org/ns/org#")

ResultKey = tuple[Node, object, Node, Node]
BLANK = URIRef("urn:x-test:any-blank-node")


# ---------------------------------------------------------------- helpers


@cache
def shapes_graph() -> Graph:
    """All of shapes/*.ttl in one graph."""
    graph = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def shapes_by_file() -> dict[str, set[URIRef]]:
    """The shape IRIs (node and property shapes) each shapes file defines, by file stem."""
    found: dict[str, set[URIRef]] = {}
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph = Graph().parse(path, format="turtle")
        found[path.stem] = {
            s
            for kind in (SH.NodeShape, SH.PropertyShape)
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef)
        }
    return found


@cache
def project_shapes() -> Shapes:
    return Shapes([SHAPES_DIR])


def fixture_data(path: Path) -> Graph:
    """One fixture together with the ontology, the way the data is validated.

    A fixture that states anything about the ontology IRI itself brings its own ontology header:
    the header of ontology/libassoc.ttl is left out (its terms stay), so that header rules can be
    tested with a header that lacks something.
    """
    fixture = Graph().parse(path, format="turtle")
    data = Graph().parse(ONTOLOGY_FILE, format="turtle")
    if (ONTOLOGY, None, None) in fixture:
        data.remove((ONTOLOGY, None, None))
    data += fixture
    return data


def by_pyshacl(data: Graph) -> tuple[bool, Graph, str]:
    conforms, report, text = validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        allow_warnings=False,
        advanced=True,
    )
    return bool(conforms), report, text


def by_turbo(data: Graph) -> tuple[bool, Graph, str]:
    triples = ox.parse(data.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    outcome = project_shapes().validate(triples)
    return outcome.conforms, outcome.report, format_report(outcome)


def by_turbo_whole_store(data: Graph) -> tuple[bool, Graph, str]:
    """The way a start validates a store: the vocabulary shapes apart from the others."""
    store = ox.Store()
    graph = ox.NamedNode("https://w3id.org/libassoc/graph/fixture")
    store.extend(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(data.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    )
    outcome = validate_store(store, project_shapes())
    return outcome.conforms, outcome.report, format_report(outcome)


ENGINES = {
    "pyshacl-turbo": by_turbo,
    "pyshacl-turbo-whole-store": by_turbo_whole_store,
    "pyshacl": by_pyshacl,
}


def validate_fixture(path: Path, engine: str) -> tuple[bool, Graph, str]:
    return ENGINES[engine](fixture_data(path))


def path_key(graph: Graph, path: Node | None) -> object:
    """A comparable form of a SHACL property path; blank-node paths become nested tuples."""
    if path is None or isinstance(path, URIRef):
        return path
    if (path, RDF.first, None) in graph:
        return ("sequence", *(path_key(graph, p) for p in Collection(graph, path)))
    for keyword in (SH.alternativePath,):
        target = graph.value(path, keyword)
        if target is not None:
            return (str(keyword), *(path_key(graph, p) for p in Collection(graph, target)))
    for keyword in (SH.inversePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
        target = graph.value(path, keyword)
        if target is not None:
            return (str(keyword), path_key(graph, target))
    raise AssertionError(f"unrecognised property path {path!r}")


def result_keys(report: Graph) -> set[ResultKey]:
    """The (focus, path, component, source shape) of every result in a validation report."""
    keys: set[ResultKey] = set()
    # Only the report's own results: nested sh:detail results of sh:node are not results.
    for result in report.objects(
        report.value(predicate=RDF.type, object=SH.ValidationReport), SH.result
    ):
        focus = report.value(result, SH.focusNode)
        component = report.value(result, SH.sourceConstraintComponent)
        shape = report.value(result, SH.sourceShape)
        assert focus is not None and component is not None and shape is not None, result
        if isinstance(focus, BNode):
            focus = BLANK  # a blank node in a fixture and in its sidecar are never the same node
        keys.add((focus, path_key(report, report.value(result, SH.resultPath)), component, shape))
    return keys


def describe(keys: set[ResultKey]) -> str:
    return "\n".join(sorted("  " + " | ".join(str(part) for part in key) for key in keys))


def fixtures(prefix: str) -> Iterator[object]:
    for path in sorted(FIXTURES_DIR.glob(f"*/{prefix}-*.ttl")):
        if path.name.endswith(".expected.ttl"):
            continue
        yield pytest.param(path, id=f"{path.parent.name}/{path.stem}")


def sidecar(path: Path) -> Path:
    return path.with_name(path.stem + ".expected.ttl")


def intended_shape(path: Path) -> URIRef:
    """``invalid-Organization-name--missing.ttl`` is written for ``shapes:Organization-name``."""
    name = path.stem.removeprefix("invalid-")
    assert "--" in name, f"{path.name}: name it invalid-<ShapeName>--<case>.ttl"
    return SHAPES[name.split("--", 1)[0]]


def expected_reports() -> list[Graph]:
    return [
        Graph().parse(sidecar(p), format="turtle")
        for p in sorted(FIXTURES_DIR.glob("*/invalid-*.ttl"))
        if not p.name.endswith(".expected.ttl")
    ]


# ---------------------------------------------------------------- fixtures


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", list(fixtures("valid")))
def test_valid_fixture_conforms(path: Path, engine: str) -> None:
    conforms, _report, text = validate_fixture(path, engine)
    assert conforms, text


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", list(fixtures("invalid")))
def test_invalid_fixture_gives_exactly_the_expected_results(path: Path, engine: str) -> None:
    expected_file = sidecar(path)
    assert expected_file.exists(), f"missing sidecar {expected_file.name}"
    expected_graph = Graph().parse(expected_file, format="turtle")
    assert len(list(expected_graph.subjects(RDF.type, SH.ValidationReport))) == 1
    expected = result_keys(expected_graph)
    assert expected, f"{expected_file.name} lists no sh:result"

    # The fixture is written for one shape, defined in the file its folder is named after.
    shape = intended_shape(path)
    assert {key[3] for key in expected} == {shape}, describe(expected)
    assert shape in shapes_by_file().get(path.parent.name, set()), (
        f"{shape} is not defined in shapes/{path.parent.name}.ttl"
    )

    conforms, report, text = validate_fixture(path, engine)
    assert not conforms, f"{path.name} conforms but should not"
    actual = result_keys(report)
    assert actual == expected, (
        f"\nexpected:\n{describe(expected)}\nactual:\n{describe(actual)}\n\n{text}"
    )


def test_every_shapes_file_has_fixtures() -> None:
    for stem, shapes in shapes_by_file().items():
        if not shapes:
            continue  # prefixes.ttl: declarations only
        folder = FIXTURES_DIR / stem
        assert list(folder.glob("valid-*.ttl")), f"no valid fixture for shapes/{stem}.ttl"
        assert list(folder.glob("invalid-*.ttl")), f"no invalid fixture for shapes/{stem}.ttl"


def test_fixture_folders_are_named_after_shapes_files() -> None:
    stems = set(shapes_by_file())
    folders = {p.name for p in FIXTURES_DIR.iterdir() if p.is_dir()}
    assert folders <= stems, f"fixture folders without a shapes file: {sorted(folders - stems)}"
    for expected in FIXTURES_DIR.glob("*/*.expected.ttl"):
        fixture = expected.with_name(expected.name.removesuffix(".expected.ttl") + ".ttl")
        assert fixture.name.startswith("invalid-"), f"{expected.name}: only invalid fixtures"
        assert fixture.exists(), f"{expected.name} has no fixture {fixture.name}"


# ---------------------------------------------------------------- the shapes themselves


def test_every_shape_is_covered_by_an_expected_report() -> None:
    covered = {
        shape for report in expected_reports() for shape in report.objects(None, SH.sourceShape)
    }
    defined = set().union(*shapes_by_file().values())
    missing = sorted(str(s) for s in defined - covered)
    assert not missing, "shapes no invalid fixture makes fail:\n" + "\n".join(missing)


def test_shapes_conform_to_shacl_shacl() -> None:
    conforms, _report, text = meta_validate(shapes_graph(), inference="none")
    assert conforms, text


def test_every_shape_and_constraint_has_a_message_label_and_comment() -> None:
    graph = shapes_graph()
    problems: list[str] = []
    for kind in (SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint):
        for node in set(graph.subjects(RDF.type, kind)):
            if graph.value(node, SH.message) is None:
                problems.append(f"{node}: no sh:message")
            if not isinstance(node, URIRef):
                problems.append(f"{node}: a {kind} without an IRI")
            elif not str(node).startswith(str(SHAPES)):
                problems.append(f"{node}: not in the shapes namespace")
            if kind != SH.SPARQLConstraint and graph.value(node, RDFS.label) is None:
                problems.append(f"{node}: no rdfs:label")
            if graph.value(node, RDFS.comment) is None:
                problems.append(f"{node}: no rdfs:comment")
    # Constraints reached only through sh:property / sh:sparql are shapes too: they must be typed.
    for node in graph.objects(None, SH.property):
        if isinstance(node, URIRef) and (node, RDF.type, SH.PropertyShape) not in graph:
            problems.append(f"{node}: used by sh:property but not typed sh:PropertyShape")
    for node in graph.objects(None, SH.sparql):
        if (node, RDF.type, SH.SPARQLConstraint) not in graph:
            problems.append(f"{node}: used by sh:sparql but not typed sh:SPARQLConstraint")
    assert not problems, "\n".join(sorted(problems))


def test_superterm_shapes_reach_every_la_sub_term() -> None:
    """The superterm shapes list their targets; the ontology must not outgrow the lists."""
    ontology = Graph().parse(ONTOLOGY_FILE, format="turtle")
    graph = shapes_graph()

    def standard_subterms(relation: URIRef) -> set[Node]:
        return {
            term
            for term, super_term in ontology.subject_objects(relation)
            if str(term).startswith(LA) and str(super_term).startswith(STANDARD)
        }

    classes = standard_subterms(RDFS.subClassOf)
    properties = standard_subterms(RDFS.subPropertyOf)
    assert classes and properties
    targeted_classes = set(graph.objects(SHAPES.SuperClassShape, SH.targetClass))
    targeted_properties = set(graph.objects(SHAPES.SuperPropertyShape, SH.targetSubjectsOf))
    assert classes <= targeted_classes, sorted(map(str, classes - targeted_classes))
    assert properties <= targeted_properties, sorted(map(str, properties - targeted_properties))
    assert all((t, RDF.type, OWL.Class) in ontology for t in targeted_classes), (
        "SuperClassShape targets a class the ontology does not declare"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_ontology_conforms_on_its_own(engine: str) -> None:
    conforms, _report, text = ENGINES[engine](Graph().parse(ONTOLOGY_FILE, format="turtle"))
    assert conforms, text


def test_blank_node_paths_are_compared_structurally() -> None:
    """The helper itself: an alternative path in a report matches the same path in a sidecar."""
    graph = Graph()
    alternatives = BNode()
    Collection(graph, alternatives, [URIRef("https://schema.org/author")])
    path = BNode()
    graph.add((path, SH.alternativePath, alternatives))
    assert path_key(graph, path) == (str(SH.alternativePath), URIRef("https://schema.org/author"))
