from pathlib import Path

import pyoxigraph as ox
import pytest

from libassoc.loader import DataFileError
from libassoc.store import (
    DEFAULT_GRAPH,
    Journal,
    apply,
    merged_triples,
    named_quads,
    net,
    open_loaded_store,
    plan,
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


GRAPH = ox.NamedNode("https://w3id.org/libassoc/graph/written")
NAME = ox.NamedNode("https://schema.org/name")


def quad(subject: str, name: str, graph: ox.NamedNode = GRAPH) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"https://e.org/{subject}"), NAME, ox.Literal(name), graph)


def test_a_change_keeps_the_default_graph_the_merge(tmp_path: Path) -> None:
    location = tmp_path / "store"
    store = open_loaded_store([two_sources(tmp_path / "data")], location)
    one = ox.NamedNode("https://w3id.org/libassoc/graph/one")
    # 'A' stays stated by graph two; 'C' is new; graph one goes.
    change = net(store, [quad("c", "C")], [quad("a", "A", one)], created=[GRAPH], dropped=[one])
    apply(store, change, location)
    assert {t.object.value for t in merged_triples(store)} == {"A", "B", "C"}
    apply(store, net(store, [], [quad("c", "C")]), location)
    assert {t.object.value for t in merged_triples(store)} == {"A", "B"}
    assert not store.contains_named_graph(one) and store.contains_named_graph(GRAPH)
    assert not Journal(location).folder.exists()


def test_a_change_cut_short_is_finished_when_the_store_opens_again(tmp_path: Path) -> None:
    data, location = two_sources(tmp_path / "data"), tmp_path / "store"
    store = open_loaded_store([data], location)
    two = ox.NamedNode("https://w3id.org/libassoc/graph/two")
    change = net(store, [quad("c", "C")], [quad("b", "B", two)], created=[GRAPH])
    journal = Journal(location)
    # The process died after writing the journal and removing a quad, before the rest.
    journal.write(plan(store, change))
    store.remove(quad("b", "B", two))
    store.flush()
    del store
    reopened = open_loaded_store([data], location)
    assert {t.object.value for t in merged_triples(reopened)} == {"A", "C"}
    assert quad("c", "C") in reopened and not journal.folder.exists()


def test_a_half_written_journal_is_not_carried_out(tmp_path: Path) -> None:
    data, location = two_sources(tmp_path / "data"), tmp_path / "store"
    store = open_loaded_store([data], location)
    pending = Journal(location).folder.with_name(Journal(location).folder.name + ".pending")
    pending.mkdir()
    (pending / "add.nq").write_text(f"{quad('c', 'C')}\n")
    del store
    reopened = open_loaded_store([data], location)
    assert quad("c", "C") not in reopened and not pending.exists()


def test_a_file_that_cannot_be_read_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    data, location = two_sources(tmp_path / "data"), tmp_path / "store"
    store = open_loaded_store([data], location)
    store.add(quad("c", "C"))
    store.flush()
    del store
    (data / "two.ttl").write_text("<https://e.org/a> <https://schema.org/name> 'A' ;\n")
    with pytest.raises(DataFileError) as failed:
        open_loaded_store([data], location)
    assert failed.value.path == data / "two.ttl" and failed.value.line == 2
    (data / "two.ttl").write_text(TRIPLE + "<https://e.org/b> <https://schema.org/name> 'B' .\n")
    kept = open_loaded_store([data], location)
    assert quad("c", "C") in kept, "the earlier store is reused as it was"
