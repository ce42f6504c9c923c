"""The dumps load anywhere: rdflib, pyoxigraph and raptor's rapper agree on every one of them.

The dumps come from ``libassoc export --all``, run twice in two processes (byte-identical), and
are compared with the store they were written from. No blank nodes, so equal sets of quads are
isomorphic datasets, and loading a dump twice adds nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import SHIPPED_DATA, make_home
from ld_fixtures import shipped_store  # noqa: F401 (a fixture)
from rdflib import Dataset, Graph

from libassoc import dumps
from libassoc.store import merged_triples, named_quads

# raptor has no JSON-LD parser (its "json" is RDF/JSON), so rapper reads the other five.
RAPPER = {
    "nquads": "nquads",
    "trig": "trig",
    "turtle": "turtle",
    "ntriples": "ntriples",
    "rdfxml": "rdfxml",
}


def export_all(folder: Path, home: Path) -> None:
    data = [option for path in SHIPPED_DATA for option in ("--data", str(path))]
    subprocess.run(
        [sys.executable, "-m", "libassoc", "export", "--all", str(folder), *data],
        check=True,
        capture_output=True,
        env={**os.environ, "LIBASSOC_HOME": str(home)},
        timeout=300,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # A home like the servers': export validates first, then trusts its stamp the second time.
    home = make_home(tmp_path_factory.mktemp("dumps-home"))
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    export_all(first, home)
    export_all(second, home)
    return first, second


def dump_path(folder: Path, name: str) -> Path:
    return folder / f"{dumps.DUMP_STEM}.{dumps.DUMP_FORMATS[name].extension}"


def expected(store: ox.Store, name: str) -> set[str]:
    if dumps.DUMP_FORMATS[name].carries_graphs:
        return {str(q) for q in named_quads(store)}
    return {str(t) for t in merged_triples(store)}


def test_byte_identical_in_two_processes(exported: tuple[Path, Path]) -> None:
    first, second = exported
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_same_bytes_one_syntax_at_a_time_or_several(
    exported: tuple[Path, Path],
    shipped_store: ox.Store,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    for threads in (1, 6):
        written = dumps.write_all(shipped_store, tmp_path / str(threads), threads=threads)
        assert len(written) == 2 * len(dumps.DUMP_FORMATS) + 1
        for path in written:
            assert path.read_bytes() == (exported[0] / path.name).read_bytes(), (threads, path)


def test_checksums_and_gzip(exported: tuple[Path, Path]) -> None:
    folder = exported[0]
    for line in (folder / dumps.CHECKSUMS).read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    for name in dumps.DUMP_FORMATS:
        plain = dump_path(folder, name)
        assert (
            gzip.decompress(plain.with_name(plain.name + ".gz").read_bytes()) == plain.read_bytes()
        )


@pytest.mark.parametrize("name", sorted(dumps.DUMP_FORMATS))
def test_pyoxigraph_round_trip(
    exported: tuple[Path, Path],
    shipped_store: ox.Store,  # noqa: F811 (the fixture imported above)
    name: str,
) -> None:
    dump_format = dumps.DUMP_FORMATS[name]
    parsed = ox.parse(path=str(dump_path(exported[0], name)), format=dump_format.rdf_format)
    assert {str(item) for item in parsed} == expected(shipped_store, name)


@pytest.mark.parametrize("name", sorted(dumps.DUMP_FORMATS))
def test_rdflib_gives_the_same_count(
    exported: tuple[Path, Path],
    shipped_store: ox.Store,  # noqa: F811
    name: str,
) -> None:
    path = dump_path(exported[0], name)
    if dumps.DUMP_FORMATS[name].carries_graphs:
        dataset = Dataset()
        dataset.parse(path, format=dumps.DUMP_FORMATS[name].rdflib_name)
        count = sum(1 for _ in dataset.quads((None, None, None, None)))
    else:
        count = len(Graph().parse(path, format=dumps.DUMP_FORMATS[name].rdflib_name))
    assert count == len(expected(shipped_store, name))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RAPPER))
def test_rapper_gives_the_same_count(
    exported: tuple[Path, Path],
    shipped_store: ox.Store,  # noqa: F811
    name: str,
) -> None:
    done = subprocess.run(
        ["rapper", "--count", "--input", RAPPER[name], str(dump_path(exported[0], name))],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    # rapper reports "Parsing returned N triples" (statements: quads in quad syntaxes).
    reported = int(done.stderr.split("returned ")[1].split()[0])
    assert reported == len(expected(shipped_store, name))


def test_loading_the_nquads_twice_adds_nothing(exported: tuple[Path, Path]) -> None:
    store = ox.Store()
    path = str(dump_path(exported[0], "nquads"))
    store.load(path=path, format=ox.RdfFormat.N_QUADS)
    once = len(store)
    store.load(path=path, format=ox.RdfFormat.N_QUADS)
    assert len(store) == once > 0
