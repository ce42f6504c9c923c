"""Every export syntax parses with rdflib and Oxigraph and gives back the same dataset."""

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from libassoc import dumps
from libassoc.settings import Paths
from libassoc.store import merged_triples, named_quads, open_loaded_store

FORMATS = sorted(dumps.DUMP_FORMATS)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return open_loaded_store(Paths().sources())


def reference(store: ox.Store, dump_format: dumps.DumpFormat) -> Dataset | Graph:
    """The store's content as rdflib sees it, via N-Quads (the simplest syntax)."""
    if dump_format.carries_graphs:
        data = ox.serialize(named_quads(store), format=ox.RdfFormat.N_QUADS) or b""
        return Dataset().parse(data=data, format="nquads")
    data = ox.serialize(merged_triples(store), format=ox.RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=data, format="nt")


def test_the_shipped_data_is_not_empty(store: ox.Store) -> None:
    assert len(list(merged_triples(store))) > 100


@pytest.mark.parametrize("name", FORMATS)
def test_round_trips_through_rdflib(store: ox.Store, name: str) -> None:
    dump_format = dumps.DUMP_FORMATS[name]
    data = dumps.export(store, dump_format)
    expected = reference(store, dump_format)
    if dump_format.carries_graphs:
        parsed = Dataset().parse(data=data, format=dump_format.rdflib_name)
        for graph in expected.graphs():
            if len(graph):
                assert isomorphic(parsed.graph(graph.identifier), graph), graph.identifier
        assert len(parsed) == len(expected) and sum(1 for _ in parsed.quads()) == sum(
            1 for _ in expected.quads()
        )
    else:
        parsed_graph = Graph().parse(data=data, format=dump_format.rdflib_name)
        assert isomorphic(parsed_graph, expected)


@pytest.mark.parametrize("name", FORMATS)
def test_round_trips_through_oxigraph(store: ox.Store, name: str) -> None:
    dump_format = dumps.DUMP_FORMATS[name]
    data = dumps.export(store, dump_format)
    parsed = set(ox.parse(data, format=dump_format.rdf_format))
    if dump_format.carries_graphs:
        assert parsed == set(named_quads(store))
    else:
        assert {q.triple for q in parsed} == set(merged_triples(store))


def test_nquads_loaded_twice_adds_nothing(store: ox.Store) -> None:
    data = dumps.export(store, dumps.DUMP_FORMATS["nquads"])
    other = ox.Store()
    other.load(data, format=ox.RdfFormat.N_QUADS)
    once = len(other)
    other.load(data, format=ox.RdfFormat.N_QUADS)
    assert len(other) == once == len(list(named_quads(store)))


def test_the_same_data_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    for attempt in ("first", "second"):
        subprocess.run(
            [sys.executable, "-m", "libassoc", "export", "--all", str(tmp_path / attempt)],
            check=True,
            capture_output=True,
        )
    first = sorted(p.name for p in (tmp_path / "first").iterdir())
    assert first == sorted(p.name for p in (tmp_path / "second").iterdir())
    assert len(first) == 2 * len(dumps.DUMP_FORMATS) + 1
    for name in first:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_checksums_match_the_files(store: ox.Store, tmp_path: Path) -> None:
    import hashlib

    written = dumps.write_all(store, tmp_path)
    sums = dict(
        reversed(line.split("  ")) for line in (tmp_path / dumps.CHECKSUMS).read_text().splitlines()
    )
    for path in written[:-1]:
        assert sums[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
