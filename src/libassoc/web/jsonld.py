"""The schema.org description of an entity as JSON-LD, for the script block search engines read.

The context is inline (``@vocab``), never the remote schema.org one: the block expands to the
same ``https://schema.org/`` IRIs without a fetch, and only schema.org facts go in it.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from rdflib.namespace import RDF, SDO, XSD

SCHEMA = str(SDO)
CONTEXT = {"@vocab": SCHEMA}
_PLAIN = {str(XSD.string)}


def _value(node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Any:
    if isinstance(node, ox.NamedNode):
        return {"@id": node.value}
    if isinstance(node, ox.Literal):
        if node.language:
            return {"@value": node.value, "@language": node.language}
        if node.datatype.value in _PLAIN:
            return node.value
        return {"@value": node.value, "@type": node.datatype.value}
    return str(node)


def schema_org(subject: ox.NamedNode, quads: list[ox.Quad]) -> dict[str, Any]:
    """The schema.org types and properties ``quads`` state about ``subject``, each value once."""
    types: set[str] = set()
    properties: dict[str, list[Any]] = {}
    seen: set[tuple[str, str]] = set()
    for quad in quads:
        if quad.subject != subject or (quad.predicate.value, str(quad.object)) in seen:
            continue
        seen.add((quad.predicate.value, str(quad.object)))
        if quad.predicate.value == str(RDF.type):
            if isinstance(quad.object, ox.NamedNode) and quad.object.value.startswith(SCHEMA):
                types.add(quad.object.value[len(SCHEMA) :])
        elif quad.predicate.value.startswith(SCHEMA):
            name = quad.predicate.value[len(SCHEMA) :]
            properties.setdefault(name, []).append(_value(quad.object))
    document: dict[str, Any] = {"@context": CONTEXT, "@id": subject.value}
    if types:
        document["@type"] = sorted(types)
    for name in sorted(properties):
        values = properties[name]
        document[name] = values[0] if len(values) == 1 else values
    return document
