"""The links by which the shapes look at a node from outside: the predicates of its incoming links
that they read.

A node that a write only points at (``<person> schema:affiliation <ala>``) keeps its own links,
and its shapes read those and what they point at. Its incoming links matter to them only
through these predicates: a target on the objects of a property (``sh:targetObjectsOf``), an
inverse path (``sh:inversePath``), or a SPARQL-based constraint with a pattern that ends at
``$this`` (``?value schema:member $this``). A write adding a link by any other predicate leaves
the node's conformance as it was, and its incoming links, which for the ALA run to thousands,
need not be read (``neighbourhood.py``).

A SPARQL pattern ending at ``$this`` through a variable predicate (or ``$PATH``) could be any
link: then every predicate counts, and ``None`` says so.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

# A term, then $this: the predicate of a pattern whose object is the focus node. A term
# followed by $this otherwise (``SELECT ?x $this``) only makes the answer more cautious.
ENDING_AT_THIS = re.compile(r"(<[^<>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|[?$]\w+)\s+\$this\b")


def inward_predicates(shapes: Graph) -> frozenset[ox.NamedNode] | None:
    """The predicates of the incoming links the shapes read; None: any of them."""
    found: set[str] = set()
    for predicate in (SH.targetObjectsOf, SH.inversePath):
        found.update(str(o) for o in shapes.objects(None, predicate) if isinstance(o, URIRef))
    prefixes = _declared_prefixes(shapes)
    for key in (SH.select, SH.ask):
        for text in shapes.objects(None, key):
            for term in ENDING_AT_THIS.findall(str(text)):
                if term[0] in "?$":
                    return None
                iri = _expand(term, prefixes)
                if iri is None:
                    return None
                found.add(iri)
    return frozenset(ox.NamedNode(iri) for iri in found)


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


def _expand(term: str, prefixes: dict[str, str]) -> str | None:
    if term.startswith("<"):
        return term[1:-1]
    prefix, _, local = term.partition(":")
    namespace = prefixes.get(prefix)
    return None if namespace is None else namespace + local
