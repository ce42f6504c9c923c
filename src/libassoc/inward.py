"""The links by which the shapes look at a node from outside: the predicates of its incoming links
that they read.

A node that a write only points at (``<person> schema:affiliation <ala>``) keeps its own links,
and its shapes read those and what they point at. Its incoming links matter to them only
through these predicates: a target on the objects of a property (``sh:targetObjectsOf``), an
inverse path (``sh:inversePath``), or a SPARQL-based constraint with a pattern that ends at
``$this`` (``?value schema:member $this``). A write adding a link by any other predicate leaves
the node's conformance as it was, and its incoming links, which for the ALA run to thousands,
need not be read (``neighbourhood.py``).

The SPARQL texts are parsed (by rdflib, with the prefixes the shapes declare) and every triple
pattern in them is looked at, those inside ``EXISTS`` and sub-queries too: a pattern whose object
is ``$this`` reads the links of its predicate or path, and so does a path taken backwards
(``^schema:member``) wherever it stands. A variable predicate (or ``$PATH``), a path of any
length or a negated one, or a text that does not parse could be any link: then every predicate
counts, and ``None`` says so. A constraint that renames the focus node first
(``BIND ($this AS ?x)``) and follows links to ``?x`` is not seen: name it ``$this``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import SH
from rdflib.paths import AlternativePath, InvPath, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

THIS = Variable("this")


class AnyLink(Exception):
    """The shapes may read an incoming link of any predicate."""


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
    return frozenset(ox.NamedNode(str(iri)) for iri in found)


def _read_inward(query: str, prefixes: dict[str, str]) -> Iterator[URIRef]:
    try:
        algebra = prepareQuery(query, initNs=prefixes).algebra
    except Exception as error:  # rdflib's parser raises many kinds
        raise AnyLink from error
    for _subject, predicate, obj in _patterns(algebra):
        if obj == THIS:
            yield from _links(predicate)
        yield from _backwards(predicate)


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
