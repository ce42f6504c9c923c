"""The hash IRIs a document's page serves: found once at start, then kept by each write's change."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import RDFS

from libassoc.catalog import QueryCatalog
from libassoc.hash_subjects import HashSubjects
from libassoc.namespaces import BASE, ONTOLOGY_IRI
from libassoc.namespaces import GRAPH as GRAPH_NS
from libassoc.settings import Paths
from libassoc.store import Change, apply, replace_contents

FIXTURE = Path(__file__).parent / "fixtures" / "endpoint" / "app-dataset.trig"
DOC = BASE + "thing/doc"
GRAPH = ox.NamedNode(str(GRAPH_NS.test))
LABEL = ox.NamedNode(str(RDFS.label))


def loaded() -> ox.Store:
    store = ox.Store()
    replace_contents(store, ox.parse(FIXTURE.read_bytes(), format=ox.RdfFormat.TRIG))
    return store


def labelled(iri: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(iri), LABEL, ox.Literal(iri.rpartition("#")[2]), GRAPH)


def test_found_at_start_as_the_query_finds_them() -> None:
    store = loaded()
    found = HashSubjects.of(store, QueryCatalog.from_dir(Paths().queries))
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    terms = found.under(ontology)
    assert terms, "the fixture declares ontology terms"
    assert all(term.value.startswith(ontology.value + "#") for term in terms)
    assert terms == sorted(terms, key=str)
    assert found.under(ox.NamedNode(DOC)) == []


def test_each_write_adds_and_removes_what_it_touched() -> None:
    store = loaded()
    found = HashSubjects.of(store, QueryCatalog.from_dir(Paths().queries))
    first, second = labelled(DOC + "#a"), labelled(DOC + "#b")
    added = Change(added=frozenset({first, second}), created=frozenset({GRAPH}))
    apply(store, added, None)
    found.follow(store, added)
    assert [s.value for s in found.under(ox.NamedNode(DOC))] == [DOC + "#a", DOC + "#b"]

    removed = Change(removed=frozenset({first}))
    apply(store, removed, None)
    found.follow(store, removed)
    assert [s.value for s in found.under(ox.NamedNode(DOC))] == [DOC + "#b"]
    # A subject stated elsewhere stays however many of its quads go.
    other = ox.Quad(second.subject, LABEL, ox.Literal("other"), GRAPH)
    apply(store, Change(added=frozenset({other})), None)
    only_one = Change(removed=frozenset({second}))
    apply(store, only_one, None)
    found.follow(store, only_one)
    assert [s.value for s in found.under(ox.NamedNode(DOC))] == [DOC + "#b"]


def test_pages_wait_for_the_first_fill() -> None:
    store = loaded()
    found = HashSubjects()
    assert not found.ready
    seen: list[list[ox.NamedNode]] = []
    reader = threading.Thread(target=lambda: seen.append(found.under(ox.NamedNode(ONTOLOGY_IRI))))
    reader.start()
    reader.join(timeout=0.2)
    assert reader.is_alive() and not seen  # waiting: an empty answer would be a wrong page
    found.fill(store, QueryCatalog.from_dir(Paths().queries))
    reader.join()
    assert found.ready and seen[0] == found.under(ox.NamedNode(ONTOLOGY_IRI)) and seen[0]


def test_a_write_while_the_fill_reads_an_earlier_generation_is_not_undone() -> None:
    earlier = loaded()  # what the fill reads: the generation before both writes
    store = loaded()
    found = HashSubjects()
    kept, gone = labelled(DOC + "#kept"), labelled(DOC + "#gone")
    apply(earlier, Change(added=frozenset({gone}), created=frozenset({GRAPH})), None)
    apply(store, Change(added=frozenset({gone}), created=frozenset({GRAPH})), None)
    for change in (
        Change(added=frozenset({kept})),
        Change(removed=frozenset({gone})),
    ):
        apply(store, change, None)
        found.follow(store, change)  # at once: the fill has not even begun
    assert not found.ready
    found.fill(earlier, QueryCatalog.from_dir(Paths().queries))
    assert [s.value for s in found.under(ox.NamedNode(DOC))] == [DOC + "#kept"]
    later = Change(removed=frozenset({kept}))
    apply(store, later, None)
    found.follow(store, later)
    assert found.under(ox.NamedNode(DOC)) == []
