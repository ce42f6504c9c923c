"""A write costs what it touches: at 100k triples, a one-entity write reads a few hundred quads.

Counted, not timed: the neighbourhood counts every quad it reads from the store, and the shapes
see only the write's focus nodes. The data is the benchmark's synthetic set at about 100,000
triples, beside the shipped data, in a real on-disk store.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest

from libassoc.catalog import QueryCatalog
from libassoc.engine.changes import add_to_graph, update_change
from libassoc.neighbourhood import Neighbourhood
from libassoc.settings import Paths
from libassoc.store import apply, open_loaded_store
from libassoc.validation import ONTOLOGY_GRAPH, Shapes, validate_around

PATHS = Paths()
BENCH = PATHS.root / "bench"
GRAPH = ox.NamedNode("https://w3id.org/libassoc/graph/write-cost")
SCHEMA = "https://schema.org/"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# The ontology graph alone is read whole for each write (class and property hierarchies): a
# few hundred quads. Everything else a one-entity write reads is its neighbourhood.
BOUND = 2_000


def synthetic() -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("benchkit.synthetic")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, Path]:
    folder = tmp_path_factory.mktemp("write-cost")
    generator = synthetic()
    generator.write(folder / "synthetic", generator.Sizes().scaled(1.0))
    location = folder / "store"
    loaded = open_loaded_store([PATHS.ontology, PATHS.data, folder / "synthetic"], location)
    assert sum(1 for _ in loaded.quads_for_pattern(None, None, None, None)) > 190_000
    return loaded, location


def person(name: str) -> list[ox.Quad]:
    subject = ox.NamedNode(f"https://w3id.org/libassoc/person/write-cost-{name}")
    return [
        ox.Quad(subject, TYPE, ox.NamedNode(SCHEMA + "Person"), GRAPH),
        ox.Quad(subject, ox.NamedNode(SCHEMA + "name"), ox.Literal(name, language="en"), GRAPH),
    ]


def test_a_one_entity_write_reads_a_bounded_neighbourhood(store: tuple[ox.Store, Path]) -> None:
    data, location = store
    change = add_to_graph(data, GRAPH, person("ada"))
    around = Neighbourhood(data, change, ONTOLOGY_GRAPH)
    outcome = validate_around(
        around, Shapes([PATHS.shapes]), QueryCatalog.from_dir(PATHS.queries).checks()
    )
    assert outcome.conforms
    assert around.focus == {change_subject(change)}
    assert around.quads_read < BOUND, around.quads_read
    apply(data, change, location)
    assert all(quad in data for quad in change.added)


def test_a_write_that_breaks_a_shape_is_found_in_its_neighbourhood(
    store: tuple[ox.Store, Path],
) -> None:
    data, _ = store
    org = "https://w3id.org/libassoc/org/synthetic-00005"
    # Membership is stated both ways: a memberOf alone breaks the inverse-link shape.
    ada = "https://w3id.org/libassoc/person/write-cost-ada"
    text = f"INSERT DATA {{ GRAPH <{GRAPH.value}> {{ <{ada}> <{SCHEMA}memberOf> <{org}> }} }}"
    change = update_change(data, text, data_scratch(store))
    around = Neighbourhood(data, change, ONTOLOGY_GRAPH)
    outcome = validate_around(around, Shapes([PATHS.shapes]))
    assert not outcome.conforms
    assert "shapes:MemberOf-inverse" in {v.shape for v in outcome.violations}
    assert around.quads_read < BOUND, around.quads_read


def change_subject(change: object) -> ox.NamedNode:
    subjects = {q.subject for q in change.added}  # type: ignore[attr-defined]
    assert len(subjects) == 1
    (subject,) = subjects
    assert isinstance(subject, ox.NamedNode)
    return subject


def data_scratch(store: tuple[ox.Store, Path]) -> Path:
    return store[1].parent


def test_each_node_s_links_are_read_once(store: tuple[ox.Store, Path]) -> None:
    data, _ = store
    around = Neighbourhood(data, add_to_graph(data, GRAPH, person("grace")), ONTOLOGY_GRAPH)
    ala = ox.NamedNode("https://w3id.org/libassoc/org/ala")
    links = around.outgoing(ala), around.incoming(ala)
    read = around.quads_read
    assert read > 0
    assert (around.outgoing(ala), around.incoming(ala)) == links
    assert around.quads_read == read, "asked again, a node's links are not read again"


def test_what_the_focus_points_at_is_read_once_from_the_merge(
    store: tuple[ox.Store, Path],
) -> None:
    data, _ = store
    around = Neighbourhood(data, add_to_graph(data, GRAPH, person("hopper")), ONTOLOGY_GRAPH)
    ala = ox.NamedNode("https://w3id.org/libassoc/org/ala")
    triples = {q.triple for q in data.quads_for_pattern(ala, None, None, None)}
    stated = sum(1 for _ in data.quads_for_pattern(ala, None, None, None))
    assert stated > len(triples), "ALA's triples are stated in its graph and in the merge"
    assert set(around.merged_outgoing(ala)) == triples
    assert around.quads_read == len(triples)
