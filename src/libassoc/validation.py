"""SHACL validation of the merged graph, with a report a person can act on."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox
from pyshacl import ShapesGraph
from pyshacl import __version__ as pyshacl_version
from pyshacl import validate as pyshacl_validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from libassoc.catalog import NamedQuery, run
from libassoc.loader import DataFileError, discover, fingerprint
from libassoc.namespaces import bind_prefixes
from libassoc.store import merged_triples


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


def load_shapes(shapes: Sequence[Path]) -> Graph:
    """Every shapes file under ``shapes`` merged into one graph."""
    graph = bind_prefixes(Graph())
    for source in discover(shapes):
        try:
            graph.parse(source.path, format="turtle")
        except Exception as error:  # rdflib raises many kinds; each names the line
            raise DataFileError(source.path, str(error)) from error
    return graph


def to_rdflib(triples: Iterable[ox.Triple]) -> Graph:
    """An rdflib graph with the same triples, for pyshacl."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    return bind_prefixes(Graph()).parse(data=data, format="nt")


class ShapesError(Exception):
    """The shapes themselves cannot be used: pyshacl could not load or apply them."""


# Targets that pick nodes by what the data says of them; sh:targetNode names its nodes outright.
_DATA_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)


def focused_shapes(shapes: Graph, data: Graph, focus: Collection[URIRef]) -> Graph:
    """A copy of ``shapes`` whose targets in ``data`` are cut down to the nodes in ``focus``.

    Each shape's class and property targets become sh:targetNode for those of its targets in
    ``focus``, so pyshacl checks exactly them, with its full semantics. pyshacl's own options do
    not do this (0.40): ``focus_nodes`` filters every shape evaluation, nested ones too, so the
    value nodes that sh:or, sh:node and sh:qualifiedValueShape check are skipped unless they are
    focus nodes themselves (a foundingDate "not a date" passes); ``use_shapes`` applies each
    listed shape to every focus node whatever its targets, and drops named property shapes.

    sh:targetNode targets stay: DeclaredTermsShape hangs a check of the whole graph on the
    ontology's IRI, and a change anywhere can break it. A shape targeted otherwise (an implicit
    class target, a SHACL-AF sh:target) keeps that target, so it is checked in full.
    """
    narrowed = Graph()
    for prefix, namespace in shapes.namespaces():
        narrowed.bind(prefix, namespace, replace=True)
    narrowed += shapes
    # Found before the rewrite below, which changes what the shapes target.
    targets = {s.node: s.focus_nodes(data) for s in ShapesGraph(narrowed).shapes}
    for shape, found in targets.items():
        for predicate in _DATA_TARGETS:
            narrowed.remove((shape, predicate, None))
        for node in found.intersection(focus):
            narrowed.add((shape, SH.targetNode, node))
    return narrowed


def validate_graph(
    data: Graph, shapes: Graph, focus: Collection[URIRef] | None = None
) -> ValidationOutcome:
    """Validate ``data`` (the merge of all graphs, ontology included) against ``shapes``.

    With ``focus``, only the shapes' targets among those nodes are checked (``focused_shapes``);
    the constraints still read all of ``data``.
    """
    try:
        conforms, report, _text = pyshacl_validate(
            data,
            shacl_graph=shapes if focus is None else focused_shapes(shapes, data, focus),
            inference="none",
            allow_warnings=False,
            advanced=True,
        )
    except ReportableRuntimeError as error:
        raise ShapesError(f"the shapes cannot be used: {error.message}") from error
    if not isinstance(report, Graph):  # pyshacl returns a ValidationFailure instead of a report
        raise ShapesError(f"validation failed to run: {getattr(report, 'message', report)}")
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


def validate_store(
    store: ox.Store,
    shapes: Sequence[Path],
    checks: Iterable[NamedQuery] = (),
    focus: Collection[ox.NamedNode] | None = None,
) -> ValidationOutcome:
    """Validate the store's merged graph against the shapes under ``shapes`` and the checks.

    With ``focus``, the shapes check only those nodes, a fraction of the time the whole data
    takes; the checks always run in full, being fast on Oxigraph.
    """
    nodes = None if focus is None else {URIRef(node.value) for node in focus}
    outcome = validate_graph(to_rdflib(merged_triples(store)), load_shapes(shapes), nodes)
    failed = tuple(check_violations(store, checks))
    if not failed:
        return outcome
    return ValidationOutcome(False, outcome.violations + failed, outcome.report)


def conformance_key(
    sources: Sequence[Path], shapes: Sequence[Path], checks: Iterable[NamedQuery]
) -> str:
    """A digest of everything a validation result depends on: same key, same result."""
    digest = hashlib.sha256()
    parts = (fingerprint(sources), fingerprint(shapes), *(c.text for c in checks), pyshacl_version)
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
