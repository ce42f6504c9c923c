"""How far the shapes read from a focus node: which incoming links, and which links of the nodes it
points at.

A change can break a node's conformance only through what that node's shapes read. Besides the
node's own links, they read:

- **inward**: some of its incoming links. A node that a write only points at
  (``<person> schema:affiliation <ala>``) keeps its own links; its incoming links matter to its
  shapes only through a target on the objects of a property (``sh:targetObjectsOf``), an inverse
  path (``sh:inversePath``), or a SPARQL-based constraint with a pattern that ends at ``$this``
  (``?value schema:member $this``). A write adding a link by any other predicate leaves the
  node's conformance as it was, and its incoming links, which for the ALA run to thousands,
  need not be read.
- **outward**: some links of the nodes it points at (its value nodes): their types for
  ``sh:class``, the paths of a shape applied to them (``sh:node``, ``sh:or`` ...), and the
  predicate of any SPARQL pattern that starts anywhere but at ``$this``. A write describing a
  node by any other predicate (a new ``schema:alternateName`` for the ALA) leaves the nodes that
  point at it as they were, and those need not be validated again.

Shapes whose only targets are named nodes (``sh:targetNode``, such as the ontology's own checks)
are left out of ``outward``: they are few, so their nodes are simply validated again whenever
they point at a node a write describes (``Reach.targeted``).

The SPARQL texts are parsed (by rdflib, with the prefixes the shapes declare) and every triple
pattern in them is looked at, those inside ``EXISTS`` and sub-queries too. A variable predicate
(or ``$PATH`` away from the focus node), a path of any length or a negated one, a custom
constraint component, or a text that does not parse could be any link: then every predicate
counts, and ``None`` says so. A variable bound to the focus node (``BIND ($this AS ?x)``,
``FILTER (?x = $this)``) counts as ``$this`` where that reads more (inward), and as another
node where that does (outward).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef, Variable
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDFS, SH
from rdflib.paths import AlternativePath, InvPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

THIS = Variable("this")
_TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
_SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
_PAIRED = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_ANY_LENGTH = (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)


class AnyLink(Exception):
    """The shapes may read a link of any predicate."""


@dataclass(frozen=True)
class Reach:
    """What the shapes read beyond a focus node's own links. None: links of any predicate."""

    inward: frozenset[ox.NamedNode] | None
    outward: frozenset[ox.NamedNode] | None
    targeted: frozenset[ox.NamedNode]

    def reads_inward(self, predicate: ox.NamedNode) -> bool:
        """Whether the shapes of a node read its incoming links by ``predicate``."""
        return self.inward is None or predicate in self.inward

    def reads_outward(self, predicate: ox.NamedNode) -> bool:
        """Whether the shapes of a node read, on a node it points at, the links by ``predicate``."""
        return self.outward is None or predicate in self.outward


# Assumes nothing: every incoming link and every link of every linked node may be read.
EVERYTHING = Reach(inward=None, outward=None, targeted=frozenset())


def shapes_reach(shapes: Graph) -> Reach:
    """What ``shapes`` read beyond a focus node's own links."""
    return Reach(inward_predicates(shapes), outward_predicates(shapes), _roots(shapes)[0])


def inward_predicates(shapes: Graph) -> frozenset[ox.NamedNode] | None:
    """The predicates of the incoming links the shapes read; None: any of them."""
    found: set[URIRef] = set()
    try:
        for predicate in (SH.targetObjectsOf, SH.inversePath):
            for node in shapes.objects(None, predicate):
                found.update(_links(node))
        prefixes = _declared_prefixes(shapes)
        for key in (SH.select, SH.ask):
            for text in shapes.objects(None, key):
                found.update(_read_inward(str(text), prefixes))
    except AnyLink:
        return None
    return _named(found)


def outward_predicates(shapes: Graph) -> frozenset[ox.NamedNode] | None:
    """The predicates the shapes read on the nodes that a focus node points at; None: any.

    The shapes targeting named nodes only are left out (``Reach.targeted``).
    """
    if (None, RDF.type, SH.ConstraintComponent) in shapes:
        return None  # its validators may read anything, with parameters of their own
    walk = _Walk(shapes)
    try:
        for root in _roots(shapes)[1]:
            walk.shape(root, beyond=False)
    except AnyLink:
        return None
    return _named(walk.found)


def _roots(shapes: Graph) -> tuple[frozenset[ox.NamedNode], list[URIRef | BNode]]:
    """The nodes of the shapes targeting named nodes only, and every other targeting shape."""
    targeted: set[ox.NamedNode] = set()
    roots: list[URIRef | BNode] = []
    typed = {*shapes.subjects(RDF.type, SH.NodeShape), *shapes.subjects(RDF.type, SH.PropertyShape)}
    # A shape that is also a class targets its instances.
    implicit = {s for s in typed if {*shapes.objects(s, RDF.type)} & {RDFS.Class, OWL.Class}}
    for shape in sorted(
        {*(s for t in _TARGETS for s in shapes.subjects(t, None)), *implicit}, key=str
    ):
        if isinstance(shape, URIRef | BNode):
            roots.append(shape)
    named_only = set(shapes.subjects(SH.targetNode, None)) - set(roots)
    for shape in named_only:
        targeted.update(
            ox.NamedNode(str(node))
            for node in shapes.objects(shape, SH.targetNode)
            if isinstance(node, URIRef)
        )
    return frozenset(targeted), roots


class _Walk:
    """Collects what shapes read beyond their focus node, shape by shape.

    ``beyond``: the shape's focus node is itself a value node, one link away from the node being
    validated, so everything its shapes read of it counts.
    """

    def __init__(self, shapes: Graph) -> None:
        self.graph = shapes
        self.prefixes = _declared_prefixes(shapes)
        self.found: set[URIRef] = set()
        self._seen: set[tuple[Node, bool]] = set()

    def shape(self, shape: Node, *, beyond: bool) -> None:
        if (shape, beyond) in self._seen:
            return
        self._seen.add((shape, beyond))
        graph = self.graph
        path = graph.value(shape, SH.path)
        if path is not None:
            read = _as_path(graph, path)
            self.found.update(_links(read) if beyond else _links_past_first(read))
        values_beyond = beyond or path is not None
        if values_beyond and (shape, SH["class"], None) in graph:
            self.found.add(RDF.type)
        for key in (SH.node, SH.qualifiedValueShape, SH.property, SH["not"]):
            for member in graph.objects(shape, key):
                self.shape(member, beyond=values_beyond)
        for key in _SHAPE_LISTS:
            for members in graph.objects(shape, key):
                for member in Collection(graph, members):
                    self.shape(member, beyond=values_beyond)
        if beyond:
            for key in _PAIRED:
                for compared in graph.objects(shape, key):
                    self.found.update(_links(_as_path(graph, compared)))
        for constraint in graph.objects(shape, SH.sparql):
            for key in (SH.select, SH.ask):
                for text in graph.objects(constraint, key):
                    self.found.update(_read_outward(str(text), self.prefixes, beyond=beyond))


def _as_path(graph: Graph, path: Node) -> URIRef | Path:
    """A SHACL path (in RDF) as the path of a SPARQL text, so both are read alike."""
    if isinstance(path, URIRef):
        return path
    if any((path, key, None) in graph for key in _ANY_LENGTH):
        raise AnyLink
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return InvPath(_as_path(graph, inverse))
    alternatives = graph.value(path, SH.alternativePath)
    steps = [_as_path(graph, step) for step in Collection(graph, alternatives or path)]
    if not steps:
        raise AnyLink  # not a path SHACL defines
    return AlternativePath(*steps) if alternatives is not None else SequencePath(*steps)


def _one_link(path: object) -> None:
    """A path read backwards further than one named link reaches past the focus node's own."""
    if not isinstance(path, URIRef):
        raise AnyLink


def _parsed(query: str, prefixes: dict[str, str]) -> CompValue:
    try:
        return prepareQuery(query, initNs=prefixes).algebra
    except Exception as error:  # rdflib's parser raises many kinds
        raise AnyLink from error


def _read_inward(query: str, prefixes: dict[str, str]) -> Iterator[URIRef]:
    algebra = _parsed(query, prefixes)
    focus = _aliases(algebra)
    for _subject, predicate, obj in _patterns(algebra):
        if obj in focus:
            yield from _links(predicate)
        yield from _backwards(predicate)


def _read_outward(query: str, prefixes: dict[str, str], *, beyond: bool) -> Iterator[URIRef]:
    """What a SPARQL constraint reads beyond its focus node: a pattern starting anywhere else.

    ``$PATH`` from ``$this`` is the shape's own path, which ``_Walk`` counts.
    """
    for subject, predicate, _obj in _patterns(_parsed(query, prefixes)):
        if subject == THIS and not beyond:
            if not isinstance(predicate, Variable):  # else ``$PATH`` or any of its own links
                yield from _links_past_first(predicate)
        else:
            yield from _links(predicate)


def _links_past_first(path: object) -> Iterator[URIRef]:
    """The predicates a path follows after its first link from the focus node."""
    if isinstance(path, URIRef):
        return
    if isinstance(path, InvPath):
        _one_link(path.arg)
        return
    if isinstance(path, AlternativePath):
        for part in path.args:
            yield from _links_past_first(part)
    elif isinstance(path, SequencePath):
        first, *rest = path.args
        yield from _links_past_first(first)
        for part in rest:
            yield from _links(part)
    else:
        raise AnyLink


def _aliases(algebra: CompValue) -> set[Variable]:
    """``$this`` and the variables bound to it, by ``BIND``, a projection, ``=`` or ``sameTerm``."""
    focus = {THIS}
    pairs = list(_bindings(algebra))
    grown = True
    while grown:
        grown = False
        for one, other in pairs:
            if one in focus and other not in focus:
                focus.add(other)
                grown = True
    return focus


def _bindings(node: object) -> Iterator[tuple[object, Variable]]:
    """Pairs of a term and a variable that may be bound to the same node, both ways round."""
    if isinstance(node, CompValue):
        if node.name == "Extend":
            for used in _variables(node["expr"]):
                yield used, node["var"]
        elif node.name == "RelationalExpression" and node["op"] in ("=", "IN"):
            yield from _both_ways(node["expr"], node["other"])
        elif node.name == "Builtin_sameTerm":
            yield from _both_ways(node["arg1"], node["arg2"])
        for value in node.values():
            yield from _bindings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _bindings(item)


def _both_ways(one: object, other: object) -> Iterator[tuple[object, Variable]]:
    for left in _variables(one):
        for right in _variables(other):
            yield left, right
            yield right, left


def _variables(node: object) -> Iterator[Variable]:
    if isinstance(node, Variable):
        yield node
    elif isinstance(node, CompValue):
        for key, value in node.items():
            if key != "_vars":
                yield from _variables(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _variables(item)


def _patterns(node: object) -> Iterator[tuple[object, object, object]]:
    """Every triple pattern in a parsed query, however deep."""
    if isinstance(node, CompValue):
        # Not ``get``: it takes no default, and answers a key it lacks with the key's name.
        patterns = node["triples"] if "triples" in node else ()  # noqa: SIM401
        for block in patterns:
            # A pattern, or (inside EXISTS, still as parsed) patterns run together.
            terms = list(block)
            for start in range(0, len(terms) - 2, 3):
                yield terms[start], terms[start + 1], terms[start + 2]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _patterns(item)


def _links(path: object) -> Iterator[URIRef]:
    """The predicates a path (an IRI, or a SHACL or SPARQL path of named links) follows."""
    if isinstance(path, URIRef):
        yield path
    elif isinstance(path, SequencePath | AlternativePath):
        for part in path.args:
            yield from _links(part)
    elif isinstance(path, InvPath):
        yield from _links(path.arg)
    else:  # a variable, $PATH, a path of any length, a negated one, a SHACL path in RDF
        raise AnyLink


def _backwards(path: object) -> Iterator[URIRef]:
    if isinstance(path, InvPath):
        yield from _links(path.arg)
    elif isinstance(path, SequencePath | AlternativePath):
        for part in path.args:
            yield from _backwards(part)


def _named(predicates: set[URIRef]) -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(iri)) for iri in predicates)


def _declared_prefixes(shapes: Graph) -> dict[str, str]:
    """The prefixes the SPARQL texts may use: the shapes files' own and their sh:declare."""
    prefixes = {prefix: str(namespace) for prefix, namespace in shapes.namespaces()}
    for declaration in shapes.subjects(SH.prefix, None):
        prefix, namespace = (
            shapes.value(declaration, SH.prefix),
            shapes.value(declaration, SH.namespace),
        )
        if isinstance(prefix, Literal) and namespace is not None:
            prefixes[str(prefix)] = str(namespace)
    return prefixes
