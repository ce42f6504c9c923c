"""The published shapes (``shapes/*.ttl``) as one document, served at ``/shapes`` like an entity.

The shapes are not part of the dataset, so they are read from their files into a store of their
own, in one named graph named after the shapes namespace. SHACL needs blank nodes (lists,
nested shapes), which the dataset refuses, so the whole graph goes in every RDF representation.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from libassoc.loader import discover
from libassoc.namespaces import SHAPES_IRI
from libassoc.web.describe import Description

SHAPES = ox.NamedNode(SHAPES_IRI)


def load_shapes_store(folder: Path) -> ox.Store:
    store = ox.Store()
    for source in discover([folder]):
        triples = ox.parse(
            path=str(source.path), format=ox.RdfFormat.TURTLE, rename_blank_nodes=True
        )
        store.extend(ox.Quad(t.subject, t.predicate, t.object, SHAPES) for t in triples)
    return store


def shapes_description(store: ox.Store) -> Description:
    """Every shape as a section of one page: ``shapes#OrganizationShape`` and so on."""
    quads = sorted(store, key=str)
    hashed = {
        q.subject
        for q in quads
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(SHAPES_IRI + "#")
    }
    subjects = (SHAPES, *sorted(hashed, key=str))
    return Description(SHAPES, subjects, tuple(quads))
