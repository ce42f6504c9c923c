"""SHACL validation of the merged graph, whole or around a change, with a report to act on.

The engine is pyshacl-turbo (Rust, pySHACL's API): the shapes are compiled once and reused. The
whole store is validated at start; a write is validated on its neighbourhood only (``around``),
which costs what the write touches, not what the store holds. pySHACL stays in the test suite as
the reference that every shape fixture is also run through.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox
import pyshacl_turbo
from pyshacl_turbo import __version__ as engine_version
from pyshacl_turbo.rdf import Input
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH
from rdflib.term import Node

from libassoc.catalog import NamedQuery, run
from libassoc.dataset import Dataset
from libassoc.loader import DataFileError, discover, fingerprint
from libassoc.memory import give_back_freed_memory
from libassoc.namespaces import LA, ONTOLOGY_IRI, bind_prefixes
from libassoc.namespaces import ONTOLOGY_GRAPH as ONTOLOGY_GRAPH_IRI
from libassoc.neighbourhood import Neighbourhood, as_store
from libassoc.reach import Reach, shapes_reach
from libassoc.store import Change, NamedGraph, apply


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in plain strings."""

    shape: str
    focus: str
    path: str
    value: str
    component: str
    severity: str
    message: str


@dataclass(frozen=True)
class ValidationOutcome:
    """Whether the data conforms, each result, and the SHACL report graph itself."""

    conforms: bool
    violations: tuple[Violation, ...]
    report: Graph


class ShapesError(Exception):
    """The shapes themselves cannot be used: the engine could not load or apply them."""


def load_shapes(shapes: Sequence[Path]) -> Graph:
    """Every shapes file under ``shapes`` merged into one graph."""
    graph = bind_prefixes(Graph())
    for source in discover(shapes):
        try:
            graph.parse(source.path, format="turtle")
        except Exception as error:  # rdflib raises many kinds; each names the line
            raise DataFileError(source.path, str(error)) from error
    return graph


def _ntriples(triples: Iterable[ox.Triple]) -> Input:
    """Triples as the engine's own N-Triples input, parsed in Rust.

    Not a pyoxigraph Store, which pyshacl-turbo 0.6 reads through its own N-Quads path: there a
    plain literal fails ``sh:hasValue "la"``. The shape-fixture tests run through this path too.
    """
    text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()
    return Input(text, "nt", None, {})


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


class Shapes:
    """The shapes, compiled once; ``validate`` runs them over a graph given as triples."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.graph = load_shapes(folders)
        try:
            self._compiled = pyshacl_turbo.compile_shapes(self.graph, advanced=True)
        except (pyshacl_turbo.ValidationFailure, pyshacl_turbo.ReportableRuntimeError) as error:
            raise ShapesError(f"the shapes cannot be used: {error}") from error
        except ValueError as error:  # the native compiler's own refusals
            raise ShapesError(f"the shapes cannot be used: {error}") from error

    @cached_property
    def reach(self) -> Reach:
        """What the shapes read beyond a focus node's own links."""
        return shapes_reach(self.graph)

    @cached_property
    def vocabulary_shapes(self) -> tuple[URIRef, ...]:
        """Shapes whose one target is the ontology's own node: they check its header and that
        every la: term in use is declared, so they read only statements that name the ontology
        or one of its terms."""
        ontology = URIRef(ONTOLOGY_IRI)
        found = {
            shape
            for shape in self.graph.subjects(SH.targetNode, ontology)
            if isinstance(shape, URIRef)
            and self._targets(shape) == {(SH.targetNode, ontology)}
            and (shape, RDF.type, RDFS.Class) not in self.graph
        }
        return tuple(sorted(found))

    def _targets(self, shape: URIRef) -> set[tuple[Node, Node]]:
        return {(p, o) for p, o in self.graph.predicate_objects(shape) if p in _TARGETS}

    @cached_property
    def other_shapes(self) -> tuple[URIRef, ...] | None:
        """Every shape but the vocabulary shapes; None when that cannot be said by name (a shape
        with targets that is a blank node)."""
        shapes: set[URIRef] = set()
        for kind in (SH.NodeShape, SH.PropertyShape):
            for shape in self.graph.subjects(RDF.type, kind):
                if isinstance(shape, URIRef):
                    shapes.add(shape)
        for target in _TARGETS:
            for shape in self.graph.subjects(target, None):
                if not isinstance(shape, URIRef):
                    return None
                shapes.add(shape)
        return tuple(sorted(shapes - set(self.vocabulary_shapes)))

    @cached_property
    def literal_target_shapes(self) -> tuple[URIRef, ...]:
        """Shapes that may target literals: the objects of a property (sh:targetObjectsOf)."""
        found = {s for s in self.graph.subjects(SH.targetObjectsOf, None) if isinstance(s, URIRef)}
        return tuple(sorted(found))

    def validate(
        self,
        triples: Iterable[ox.Triple] | Input,
        focus: Collection[ox.NamedNode] | None = None,
        only: Collection[URIRef] | None = None,
    ) -> ValidationOutcome:
        """Validate ``triples`` (or N-Triples already written, as ``validate_store`` has them):
        every target, or only those in ``focus``, of ``only`` the shapes named there (all by
        default)."""
        data = triples if isinstance(triples, Input) else _ntriples(triples)
        options: dict[str, object] = {}
        if focus is not None:
            options["focus_nodes"] = sorted(node.value for node in focus)
        if only is not None:
            options["use_shapes"] = sorted(str(shape) for shape in only)
        try:
            conforms, report, _text = self._compiled.validate(data, allow_warnings=False, **options)
        except (pyshacl_turbo.ValidationFailure, pyshacl_turbo.ReportableRuntimeError) as error:
            raise ShapesError(f"validation failed to run: {error}") from error
        except ValueError as error:  # the engine's reader refuses RDF 1.2 triple terms
            raise ShapesError(f"the data cannot be validated: {error}") from error
        if not isinstance(report, Graph):
            raise ShapesError(f"validation failed to run: {report!r}")
        violations = tuple(sorted(_violations(report), key=lambda v: (v.shape, v.focus, v.path)))
        return ValidationOutcome(bool(conforms), violations, bind_prefixes(report))


def _text(graph: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return graph.namespace_manager.normalizeUri(node)
    return str(node)


def _violations(report: Graph) -> Iterable[Violation]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        yield Violation(
            shape=_text(report, report.value(result, SH.sourceShape)),
            focus=_text(report, report.value(result, SH.focusNode)),
            path=_text(report, report.value(result, SH.resultPath)),
            value=_text(report, report.value(result, SH.value)),
            component=_text(report, report.value(result, SH.sourceConstraintComponent)),
            severity=_text(report, report.value(result, SH.resultSeverity)),
            message="; ".join(messages),
        )


def format_report(outcome: ValidationOutcome) -> str:
    """The results grouped by shape, then by focus node."""
    if outcome.conforms:
        return "The data conforms to the shapes.\n"
    lines = [f"The data does not conform: {len(outcome.violations)} problem(s).", ""]
    for shape, by_shape in groupby(outcome.violations, key=lambda v: v.shape):
        lines.append(f"Shape {shape}")
        for focus, by_focus in groupby(by_shape, key=lambda v: v.focus):
            lines.append(f"  {focus}")
            for violation in by_focus:
                where = f" {violation.path}" if violation.path else ""
                value = f" (value: {violation.value})" if violation.value else ""
                lines.append(f"    -{where}: {violation.message}{value}")
        lines.append("")
    return "\n".join(lines)


def check_violations(store: ox.Store, checks: Iterable[NamedQuery]) -> Iterable[Violation]:
    """Rows of the must-be-empty queries: rules SHACL expresses badly (no blank nodes, ...)."""
    for check in checks:
        solutions = run(store, check.text)
        if not isinstance(solutions, ox.QuerySolutions):
            raise TypeError(f"{check.path}: a check must be a SELECT query")
        names = [v.value for v in solutions.variables]
        for solution in solutions:
            values = {n: _term_text(solution[n]) for n in names}
            yield Violation(
                shape=f"check {check.name}",
                focus=values[names[0]] if names else "",
                path="",
                value="",
                component="must-be-empty query",
                severity="Violation",
                message=check.headers.get("message", check.question).format_map(values),
            )


def _term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if term is None:
        return ""
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _with_checks(outcome: ValidationOutcome, failed: tuple[Violation, ...]) -> ValidationOutcome:
    if not failed:
        return outcome
    return ValidationOutcome(False, outcome.violations + failed, outcome.report)


def validate_store(
    store: ox.Store, shapes: Shapes | Sequence[Path], checks: Iterable[NamedQuery] = ()
) -> ValidationOutcome:
    """Validate the store's merged graph against the shapes, and run the checks over it.

    Oxigraph and the SHACL engine both let go of the interpreter while they work, and at 1M
    triples reading the store takes seconds and the rest tens of seconds: a second thread reads
    half of the named graphs while this one reads the other half, then runs the checks while
    this one validates. The merge of the named graphs is the merged graph, and a triple that
    two graphs state is one triple to the engine.

    The vocabulary shapes are run apart, on the second thread, over the statements that name
    the ontology or one of its terms: the rule that every la: term in use is declared would
    otherwise read every statement of the store once more (16 of 54 s at 1M triples).
    """
    compiled = shapes if isinstance(shapes, Shapes) else Shapes(shapes)
    graphs = sorted(store.named_graphs(), key=str)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validation") as pool:
        theirs = pool.submit(_ntriples_of, store, graphs[1::2])
        checked = pool.submit(lambda: tuple(check_violations(store, checks)))
        text = _ntriples_of(store, graphs[::2]) + theirs.result()
        others = compiled.other_shapes
        if compiled.vocabulary_shapes and others is not None:
            vocabulary = Input(_lines_naming(text, f"<{ONTOLOGY_IRI}"), "nt", None, {})
            apart = pool.submit(compiled.validate, vocabulary, only=compiled.vocabulary_shapes)
            outcome = _joined(
                compiled.validate(Input(text, "nt", None, {}), only=others), apart.result()
            )
        else:
            outcome = compiled.validate(Input(text, "nt", None, {}))
        del text
        found = checked.result()
    give_back_freed_memory()  # what validating the whole store took, a serving process keeps
    return _with_checks(outcome, found)


def _ntriples_of(store: ox.Store, graphs: Iterable[NamedGraph]) -> str:
    """The triples of ``graphs`` in N-Triples, written by Oxigraph."""
    return "".join(
        (store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b"").decode()
        for graph in graphs
    )


def _lines_naming(text: str, needle: str) -> str:
    """The lines of ``text`` in which ``needle`` occurs."""
    lines: list[str] = []
    found = text.find(needle)
    while found != -1:
        start = text.rfind("\n", 0, found) + 1
        end = text.find("\n", found) + 1 or len(text)
        lines.append(text[start:end])
        found = text.find(needle, end)
    return "".join(lines)


ONTOLOGY = ox.NamedNode(ONTOLOGY_IRI)


def validate_around(
    neighbourhood: Neighbourhood, shapes: Shapes, checks: Iterable[NamedQuery] = ()
) -> ValidationOutcome:
    """Validate what a change can have broken, reading only around it.

    The store conformed before the change, so only the change's focus nodes are checked, on
    the neighbourhood that their shapes read, and the checks run over the links of the focus
    nodes (see ``neighbourhood.py``). The ontology's own node is checked too, apart: the shapes
    that target it check its header and that every la: term used is declared, and a term not
    declared can only have come with what the change adds. Literals that a shape targets as
    objects of a property are checked apart, each alone, since the engine takes only IRIs as
    focus nodes.
    """
    outcome = shapes.validate(neighbourhood.triples(), focus=neighbourhood.focus)
    vocabulary = {
        *(q.triple for q in neighbourhood.ontology()),
        *neighbourhood.merged_outgoing(ONTOLOGY),
        *(q.triple for q in neighbourhood.change.added),
    }
    outcome = _joined(outcome, shapes.validate(vocabulary, focus={ONTOLOGY}))
    literals = neighbourhood.added_literal_triples()
    if literals and shapes.literal_target_shapes:
        outcome = _joined(outcome, shapes.validate(literals, only=shapes.literal_target_shapes))
    incident = as_store(neighbourhood.incident)
    return _with_checks(outcome, tuple(check_violations(incident, checks)))


def _joined(first: ValidationOutcome, second: ValidationOutcome) -> ValidationOutcome:
    if second.conforms:
        return first
    return ValidationOutcome(
        False, first.violations + second.violations, _one_report(first.report, second.report)
    )


def _one_report(first: Graph, second: Graph) -> Graph:
    """The results of two SHACL reports under one sh:ValidationReport, which does not conform."""
    merged = bind_prefixes(first + second)
    report, *others = sorted(merged.subjects(RDF.type, SH.ValidationReport), key=str)
    for other in others:
        for result in list(merged.objects(other, SH.result)):
            merged.add((report, SH.result, result))
        merged.remove((other, None, None))
    merged.set((report, SH.conforms, Literal(False)))
    return merged


_TYPE = ox.NamedNode(str(RDF.type))
# Statements that shape what every instance of a class or user of a property must be: a change
# to them can break nodes anywhere in the store, far outside its neighbourhood.
_HIERARCHY = frozenset(
    ox.NamedNode(str(term))
    for term in (RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty)
)
_TERM_KINDS = frozenset(
    ox.NamedNode(str(term))
    for term in (
        OWL.Class, RDFS.Class, RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty,
        OWL.AnnotationProperty,
    )
)  # fmt: skip


LA_NAMESPACE = str(LA._NS)


def changes_vocabulary(change: Change) -> bool:
    """Whether ``change`` says what a class or property is, or anything about one of ours."""
    for quad in change.quads:
        if quad.predicate in _HIERARCHY:
            return True
        if quad.predicate == _TYPE and quad.object in _TERM_KINDS:
            return True
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(LA_NAMESPACE):
            return True
    return False


def validate_whole_after(
    store: ox.Store,
    change: Change,
    shapes: Shapes,
    checks: Iterable[NamedQuery],
    scratch: Path,
) -> ValidationOutcome:
    """Validate the whole store as it would be after ``change``, on a checkpoint of it.

    For the changes no neighbourhood bounds (``changes_vocabulary``): it costs what validating
    the whole store costs, and leaves ``store`` untouched.
    """
    folder = Path(tempfile.mkdtemp(prefix="whole-", dir=scratch))
    try:
        store.flush()
        store.backup(str(folder / "store"))
        staged = ox.Store(str(folder / "store"))
        apply(staged, change, None)
        outcome = validate_store(staged, shapes, checks)
        del staged
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# The graph of the ontology, which the neighbourhood of every change includes whole.
ONTOLOGY_GRAPH = ox.NamedNode(str(ONTOLOGY_GRAPH_IRI))


def validate_change(
    store: ox.Store,
    change: Change,
    shapes: Shapes,
    checks: Iterable[NamedQuery],
    scratch: Path,
    ontology: Collection[ox.Quad] | None = None,
) -> ValidationOutcome:
    """Validate the store as ``change`` would leave it, reading as little of it as is sound.

    Around the change, on its neighbourhood, as a rule; with the whole store for a change to the
    vocabulary (``changes_vocabulary``), which no neighbourhood bounds. ``ontology``: the quads
    of the ontology graph, when the caller has them (else they are read).
    """
    if changes_vocabulary(change):
        return validate_whole_after(store, change, shapes, checks, scratch)
    around = Neighbourhood(store, change, ONTOLOGY_GRAPH, ontology, shapes.reach)
    return validate_around(around, shapes, checks)


def ontology_quads(store: Dataset) -> tuple[ox.Quad, ...]:
    """The ontology graph, which a server's writes never change: read once, for every write."""
    return tuple(store.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH))


def conformance_key(
    sources: Sequence[Path], shapes: Sequence[Path], checks: Iterable[NamedQuery]
) -> str:
    """A digest of everything a validation result depends on: same key, same result."""
    digest = hashlib.sha256()
    parts = (fingerprint(sources), fingerprint(shapes), *(c.text for c in checks), engine_version)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
