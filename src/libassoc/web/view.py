"""A description as an HTML page shows it: labels, links, facts grouped by property."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.namespace import PROV, RDF, SDO

from libassoc.dataset import Dataset
from libassoc.namespaces import BASE, VOCABULARY_PREFIXES
from libassoc.store import DEFAULT_GRAPH
from libassoc.web.describe import LABELS, Description

TYPE = ox.NamedNode(str(RDF.type))
DERIVED_FROM = ox.NamedNode(str(PROV.wasDerivedFrom))
# The facts a reader looks for first; every other property follows in order of its label.
LEADING = tuple(str(p) for p in (SDO.name, SDO.alternateName, SDO.description))


@dataclass(frozen=True)
class Link:
    """An IRI as a reader sees it: a label, and where it leads (None for a literal)."""

    text: str
    href: str | None = None
    note: str = ""  # a literal's language or datatype


@dataclass(frozen=True)
class Value:
    term: Link
    sources: tuple[Link, ...]


@dataclass(frozen=True)
class Fact:
    """One property and its values, each with the sources (named graphs) that state it."""

    predicate: Link
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Section:
    """What the page says about one subject: the document itself or one of its hash IRIs."""

    subject: Link
    anchor: str
    types: tuple[Link, ...]
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Page:
    title: str
    iri: str
    types: tuple[Link, ...]
    sections: tuple[Section, ...]
    incoming: tuple[Fact, ...]
    sources: tuple[Link, ...]


def href(iri: str) -> str:
    """Where a browser finds ``iri``: our own IRIs on this server, any other one as it is."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def compact(iri: str) -> str:
    for prefix, namespace in VOCABULARY_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri[len(BASE) :] if iri.startswith(BASE) else iri


def humanize(iri: str) -> str:
    """``schema:foundingDate`` as "founding date": for terms the store has no label for."""
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").lower() or iri


class Labeller:
    """Labels from the merged graph, English first, remembered for the length of one page."""

    def __init__(self, store: Dataset) -> None:
        self._store = store
        self._known: dict[str, str | None] = {}

    def label(self, node: ox.NamedNode) -> str | None:
        if node.value not in self._known:
            found: list[ox.Literal] = []
            for predicate in LABELS:
                for quad in self._store.quads_for_pattern(node, predicate, None, DEFAULT_GRAPH):
                    if isinstance(quad.object, ox.Literal):
                        found.append(quad.object)
                if found:
                    break
            english = [lit for lit in found if (lit.language or "en").startswith("en")]
            chosen = sorted(english or found, key=lambda lit: lit.value)
            self._known[node.value] = chosen[0].value if chosen else None
        return self._known[node.value]

    def link(self, node: ox.NamedNode) -> Link:
        return Link(self.label(node) or compact(node.value), href(node.value))

    def predicate(self, node: ox.NamedNode) -> Link:
        return Link(self.label(node) or humanize(node.value), href(node.value))

    def term(self, node: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Link:
        if isinstance(node, ox.NamedNode):
            return self.link(node)
        if isinstance(node, ox.Literal):
            if node.language:
                return Link(node.value, note=node.language)
            return Link(node.value, note=compact(node.datatype.value))
        return Link(str(node))

    def source(self, graph: ox.NamedNode) -> Link:
        """A named graph as its stem (``ala-about``), the way a fact's source is cited."""
        return Link(graph.value.rsplit("/", 1)[-1], href(graph.value))

    def source_title(self, graph: ox.NamedNode) -> Link:
        """A named graph by the title of the document it comes from, where one is known."""
        for quad in self._store.quads_for_pattern(graph, DERIVED_FROM, None, DEFAULT_GRAPH):
            if isinstance(quad.object, ox.NamedNode) and (title := self.label(quad.object)):
                return Link(title, href(graph.value))
        return self.source(graph)


def _order(predicate: str, label: str) -> tuple[int, str]:
    return (LEADING.index(predicate), "") if predicate in LEADING else (len(LEADING), label)


def _facts(
    labeller: Labeller, quads: list[ox.Quad], value_of: str, skip_types: bool
) -> tuple[Fact, ...]:
    """Quads grouped by predicate; ``value_of`` says which end of each quad is the value."""
    by_predicate: dict[ox.NamedNode, dict[str, tuple[Link, list[Link]]]] = defaultdict(dict)
    for quad in quads:
        if skip_types and quad.predicate == TYPE:
            continue
        node = quad.object if value_of == "object" else quad.subject
        values = by_predicate[quad.predicate]
        if str(node) not in values:
            values[str(node)] = (labeller.term(node), [])
        if isinstance(quad.graph_name, ox.NamedNode):
            values[str(node)][1].append(labeller.source(quad.graph_name))
    facts = []
    for predicate, values in by_predicate.items():
        label = labeller.predicate(predicate)
        ordered = sorted(values.values(), key=lambda v: v[0].text.lower())
        fact = Fact(
            label,
            tuple(Value(t, tuple(sorted(set(s), key=lambda x: x.text))) for t, s in ordered),
        )
        facts.append((_order(predicate.value, label.text), fact))
    return tuple(fact for _key, fact in sorted(facts, key=lambda kf: kf[0]))


def _types(labeller: Labeller, quads: list[ox.Quad]) -> tuple[Link, ...]:
    found = {q.object for q in quads if q.predicate == TYPE and isinstance(q.object, ox.NamedNode)}
    return tuple(sorted((labeller.predicate(t) for t in found), key=lambda link: link.text))


def page(store: Dataset, description: Description) -> Page:
    """What the HTML page of ``description`` shows."""
    labeller = Labeller(store)
    own = description.own
    sections = []
    for subject in description.subjects:
        quads = [q for q in own if q.subject == subject]
        if quads or subject == description.document:
            anchor = subject.value.partition("#")[2]
            sections.append(
                Section(
                    labeller.link(subject),
                    anchor,
                    _types(labeller, quads),
                    _facts(labeller, quads, "object", skip_types=True),
                )
            )
    graphs = {q.graph_name for q in description.quads if isinstance(q.graph_name, ox.NamedNode)}
    return Page(
        title=sections[0].subject.text,
        iri=description.document.value,
        types=sections[0].types,
        sections=tuple(sections),
        incoming=_facts(labeller, description.incoming, "subject", skip_types=False),
        sources=tuple(sorted((labeller.source_title(g) for g in graphs), key=lambda s: s.text)),
    )
