from pathlib import Path

import pyoxigraph as ox

from libassoc.store import (
    DEFAULT_GRAPH,
    merged_triples,
    named_quads,
    open_loaded_store,
    refresh_default_graph,
)

TRIPLE = "<https://e.org/a> <https://schema.org/name> 'A' .\n"


def two_sources(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "one.ttl").write_text(TRIPLE)
    (folder / "two.ttl").write_text(TRIPLE + "<https://e.org/b> <https://schema.org/name> 'B' .\n")
    return folder


def test_default_graph_is_the_merge_without_duplicates(tmp_path: Path) -> None:
    store = open_loaded_store([two_sources(tmp_path / "data")])
    assert len(list(named_quads(store))) == 3
    assert len(list(merged_triples(store))) == 2
    rows = list(store.query("SELECT ?n WHERE { ?s <https://schema.org/name> ?n }"))
    assert sorted(r["n"].value for r in rows) == ["A", "B"]


def test_refresh_follows_writes_to_named_graphs(tmp_path: Path) -> None:
    store = open_loaded_store([two_sources(tmp_path / "data")])
    graph = ox.NamedNode("https://w3id.org/libassoc/graph/two")
    store.remove_graph(graph)
    refresh_default_graph(store)
    assert [t.subject.value for t in merged_triples(store)] == ["https://e.org/a"]
    assert all(q.graph_name != DEFAULT_GRAPH for q in named_quads(store))


def test_on_disk_store_is_reused_until_the_files_change(tmp_path: Path) -> None:
    data = two_sources(tmp_path / "data")
    location = tmp_path / "store"
    store = open_loaded_store([data], location)
    kept = ox.Quad(
        ox.NamedNode("https://e.org/c"),
        ox.NamedNode("https://schema.org/name"),
        ox.Literal("C"),
        ox.NamedNode("https://w3id.org/libassoc/graph/written"),
    )
    store.add(kept)
    store.flush()
    del store

    reopened = open_loaded_store([data], location)
    assert kept in reopened, "an unchanged data folder must reuse the store as it is"
    del reopened

    (data / "one.ttl").write_text(TRIPLE + "<https://e.org/d> <https://schema.org/name> 'D' .\n")
    rebuilt = open_loaded_store([data], location)
    assert kept not in rebuilt
    names = {t.object.value for t in merged_triples(rebuilt)}
    assert names == {"A", "B", "D"}
