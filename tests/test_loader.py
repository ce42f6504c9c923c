from pathlib import Path

import pyoxigraph as ox
import pytest

from libassoc.loader import BULK_LOAD_BYTES, DataFileError, discover, fingerprint, load_files
from libassoc.namespaces import graph_iri

PREFIX = "@prefix schema: <https://schema.org/> .\n"


def load_quads(paths: list[Path]) -> list[ox.Quad]:
    """The named-graph quads that loading ``paths`` puts in a store."""
    store = ox.Store()
    load_files(store, paths, lambda _: None)
    return [
        q
        for q in store.quads_for_pattern(None, None, None, None)
        if q.graph_name != ox.DefaultGraph()
    ]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREFIX + text, encoding="utf-8")
    return path


def test_each_file_is_a_graph_named_after_its_stem(tmp_path: Path) -> None:
    write(tmp_path / "b" / "beta.ttl", "<https://e.org/b> schema:name 'B' .\n")
    write(tmp_path / "a" / "alpha.ttl", "<https://e.org/a> schema:name 'A' .\n")
    quads = load_quads([tmp_path])
    assert {(q.subject.value, q.graph_name.value) for q in quads} == {
        ("https://e.org/a", str(graph_iri("alpha"))),
        ("https://e.org/b", str(graph_iri("beta"))),
    }
    assert [s.path.name for s in discover([tmp_path])] == ["alpha.ttl", "beta.ttl"]


def test_two_files_with_one_stem_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a" / "same.ttl", "")
    write(tmp_path / "b" / "same.ttl", "")
    with pytest.raises(DataFileError, match="both would be one graph"):
        discover([tmp_path])


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.ttl",
        "<https://e.org/a> schema:name 'A' .\n<https://e.org/b> schema:name 'B\n",
    )
    with pytest.raises(DataFileError) as caught:
        load_quads([bad])
    assert caught.value.path == bad
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{bad}:3: ")


def test_the_default_graph_is_the_merge_of_the_files(tmp_path: Path) -> None:
    write(tmp_path / "one.ttl", "<https://e.org/a> schema:name 'A' .\n")
    write(tmp_path / "two.ttl", "<https://e.org/a> schema:name 'A' ; schema:url 'u' .\n")
    store = ox.Store()
    load_files(store, [tmp_path], lambda _: None)
    merged = list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert len(merged) == 2 and len(load_quads([tmp_path])) == 3


def test_a_large_file_is_bulk_loaded_the_same(tmp_path: Path) -> None:
    lines = "".join(f"<https://e.org/s{i}> schema:name 'n{i}' .\n" for i in range(30_000))
    big = write(tmp_path / "big.ttl", lines)
    assert big.stat().st_size > BULK_LOAD_BYTES
    assert len(load_quads([tmp_path])) == 30_000


def test_named_graphs_inside_a_file_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "graphs.nt"
    bad.write_text("<https://e.org/a> <https://e.org/p> <https://e.org/o> <https://e.org/g> .\n")
    with pytest.raises(DataFileError):
        load_quads([bad])


def test_missing_and_unknown_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        discover([tmp_path / "nope.ttl"])
    odd = tmp_path / "notes.txt"
    odd.write_text("hello")
    with pytest.raises(DataFileError, match="unknown file type"):
        discover([odd])


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    file = write(tmp_path / "one.ttl", "<https://e.org/a> schema:name 'A' .\n")
    before = fingerprint([tmp_path])
    assert fingerprint([tmp_path]) == before
    file.write_text(file.read_text() + "<https://e.org/b> schema:name 'B' .\n")
    assert fingerprint([tmp_path]) != before


def test_quads_are_oxigraph_terms(tmp_path: Path) -> None:
    write(tmp_path / "one.ttl", "<https://e.org/a> schema:name 'A'@en .\n")
    (quad,) = load_quads([tmp_path])
    assert quad.object == ox.Literal("A", language="en")
