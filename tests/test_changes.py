"""The change a write makes, worked out before anything is written (engine/changes.py)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from libassoc.engine import changes
from libassoc.engine.changes import graphs_written, update_change
from libassoc.engine.problem import HttpProblem
from libassoc.store import apply, named_quads, open_loaded_store

A, B = "https://e.org/graph/a", "https://e.org/graph/b"


@pytest.mark.parametrize(
    ("text", "graphs"),
    [
        ("PREFIX e: <https://e.org/graph/> DELETE { GRAPH e:a { ?s ?p ?o } } "
         f"INSERT {{ GRAPH <{B}> {{ ?s ?p 1 }} }} WHERE {{ GRAPH e:a {{ ?s ?p ?o }} }}", {A, B}),
        ("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", None),
        (f"WITH <{A}> DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 2 . }} WHERE {{ ?s ?p ?o }}", {A}),
        ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", None),
        (f"DELETE WHERE {{ GRAPH <{A}> {{ ?s ?p ?o }} }}", {A}),
        (f"CLEAR GRAPH <{A}> ; DROP SILENT GRAPH <{B}>", {A, B}),
        ("CLEAR ALL", None),
        ("CLEAR DEFAULT", None),
        (f"COPY <{A}> TO GRAPH <{B}>", {B}),
        (f"MOVE <{A}> TO <{B}>", {A, B}),
        (f"MOVE <{A}> TO DEFAULT", None),
        (f"INSERT {{ GRAPH <{A}> {{ ?s ?p ?o }} }} USING <{B}> WHERE {{ ?s ?p ?o }}", {A}),
        ("PREFIX e: <https://e.org/graph/> INSERT DATA { GRAPH e:a { e:x e:y e:z } } ; "
         "PREFIX e: <https://e.org/other/> INSERT DATA { GRAPH e:a { e:x e:y e:z } }",
         {A, "https://e.org/other/a"}),
        ("BASE <https://e.org/graph/> INSERT { GRAPH <b> { <x> <y> <z> } } WHERE {}", {B}),
        # a relative IRI against a base that cannot resolve it: any graph may change
        ("BASE <urn:x:y> INSERT { GRAPH <b> { <x> <y> <z> } } WHERE {}", None),
    ],
)  # fmt: skip
def test_the_graphs_an_update_writes(text: str, graphs: set[str] | None) -> None:
    found = graphs_written(text)
    assert (None if found is None else set(found)) == graphs


@pytest.fixture
def store(tmp_path: Path) -> ox.Store:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.ttl").write_text("<https://e.org/x> <https://e.org/p> 1, 2 .\n")
    (data / "b.ttl").write_text("<https://e.org/x> <https://e.org/p> 1 .\n")
    return open_loaded_store([data], tmp_path / "store")


GRAPH_A = "https://w3id.org/libassoc/graph/a"
GRAPH_B = "https://w3id.org/libassoc/graph/b"


@pytest.mark.parametrize(
    "text",
    [
        # names its graphs: only they are compared
        f"DELETE {{ GRAPH <{GRAPH_A}> {{ ?s ?p 2 }} }} "
        f"INSERT {{ GRAPH <{GRAPH_B}> {{ ?s ?p 3 }} }} WHERE {{ GRAPH <{GRAPH_A}> {{ ?s ?p 2 }} }}",
        # GRAPH ?g: the templates are filled in with the WHERE's solutions
        "DELETE { GRAPH ?g { ?s ?p 2 } } INSERT { GRAPH ?g { ?s ?p 3 } } "
        "WHERE { GRAPH ?g { ?s ?p 2 } }",
        "DELETE WHERE { GRAPH ?g { ?s ?p 2 } }",
        # a quad both deleted and inserted stays; so does one the store holds already
        "DELETE { GRAPH ?g { ?s ?p ?o } } INSERT { GRAPH ?g { ?s ?p ?o, 7 } } "
        "WHERE { GRAPH ?g { ?s ?p ?o } }",
        # a variable left unbound makes no quad; $x and ?x are one variable
        "PREFIX e: <https://e.org/> INSERT { GRAPH ?g { $s e:q ?unbound . ?s e:r ?o } } "
        "WHERE { GRAPH ?g { ?s e:p ?o } }",
        # a literal where a subject goes makes no quad
        "PREFIX e: <https://e.org/> INSERT { GRAPH ?g { ?o e:q ?s . ?s e:q 8 } } "
        "WHERE { GRAPH ?g { ?s e:p ?o } }",
        # a new graph, named by the solutions; relative IRIs against BASE; "a"
        "BASE <https://e.org/> INSERT { GRAPH ?new { <x> a <Thing> } } "
        "WHERE { GRAPH ?g { <x> <p> 2 } BIND(IRI(CONCAT(STR(?g), '-copy')) AS ?new) }",
        "DELETE { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p 1 } FILTER NOT EXISTS "
        "{ GRAPH ?g { ?s ?p 2 } } }",
        # nothing matches: nothing changes
        "DELETE { GRAPH ?g { ?s ?p 9 } } WHERE { GRAPH ?g { ?s ?p 9 } }",
        # ground templates
        f"INSERT {{ GRAPH <{GRAPH_A}> {{ <https://e.org/y> <https://e.org/p> 3 }} }} "
        "WHERE { GRAPH ?g { ?s ?p 2 } }",
        # what this cannot read is compared in the whole store, as before
        "DELETE { GRAPH ?g { ?s ?p 2 } } WHERE { GRAPH ?g { ?s ?p 2 } } ; "
        "INSERT { GRAPH ?g { ?s ?p 4 } } WHERE { GRAPH ?g { ?s ?p 1 } }",
        "INSERT { GRAPH ?g { ?s ?p 5 } . } WHERE { GRAPH ?g { ?s ?p 2 } }",
    ],
)
def test_an_update_with_a_where_clause_changes_what_oxigraph_would_change(
    store: ox.Store, tmp_path: Path, text: str
) -> None:
    expected = ox.Store()
    expected.extend(named_quads(store))
    expected.update(text)
    apply(store, update_change(store, text, tmp_path), tmp_path / "store")
    assert set(named_quads(store)) == set(named_quads(expected))
    merged = {q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
    assert merged == {q.triple for q in named_quads(expected)}


def test_an_update_on_any_graph_reads_its_solutions_not_the_store(
    store: ox.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_whole(_store: ox.Store) -> None:
        raise AssertionError("the whole store was read")

    monkeypatch.setattr(changes, "_everything", read_whole)
    text = (
        "DELETE { GRAPH ?g { ?s ?p 2 } } INSERT { GRAPH ?g { ?s ?p 3 } } "
        "WHERE { GRAPH ?g { ?s ?p 2 } }"
    )
    change = update_change(store, text, tmp_path)
    assert {q.object.value for q in change.removed} == {"2"}
    assert {q.object.value for q in change.added} == {"3"}
    with pytest.raises(AssertionError):  # two operations: compared in the whole store
        update_change(store, f"{text} ; {text}", tmp_path)
    # Refused without reading the store whole: the default graph, its last triple without "."
    with pytest.raises(HttpProblem) as refused:
        update_change(store, "DELETE { ?s ?p 2 } WHERE { GRAPH ?g { ?s ?p 2 } }", tmp_path)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("INSERT { ?s ?p 3 } WHERE { GRAPH ?g { ?s ?p 2 } }", 403),  # the default graph
        ("DELETE { ?s ?p 2 } WHERE { GRAPH ?g { ?s ?p 2 } }", 403),
        ("INSERT { GRAPH ?g { [] ?p 3 } } WHERE { GRAPH ?g { ?s ?p 2 } }", 400),  # a blank node
    ],
)
def test_an_update_on_any_graph_is_refused_as_any_update_is(
    store: ox.Store, tmp_path: Path, text: str, status: int
) -> None:
    with pytest.raises(HttpProblem) as refused:
        update_change(store, text, tmp_path)
    assert refused.value.status == status


def test_an_update_of_the_default_graph_is_refused(store: ox.Store, tmp_path: Path) -> None:
    with pytest.raises(HttpProblem) as refused:
        update_change(store, "DELETE { ?s ?p 2 } WHERE { ?s ?p 2 }", tmp_path)
    assert refused.value.status == 403


def test_insert_data_is_read_off_the_text(store: ox.Store, tmp_path: Path) -> None:
    text = (
        f"PREFIX e: <https://e.org/> INSERT DATA {{ GRAPH <{GRAPH_A}> {{ e:x e:p 5 }} }} ; "
        f"DELETE DATA {{ GRAPH <{GRAPH_A}> {{ e:x e:p 1 }} }}"
    )
    change = update_change(store, text, tmp_path / "nowhere")  # no checkpoint is staged
    assert {q.object.value for q in change.added} == {"5"}
    assert {q.object.value for q in change.removed} == {"1"}


def test_a_graph_is_cleared_dropped_and_moved(store: ox.Store, tmp_path: Path) -> None:
    cleared = update_change(store, f"CLEAR GRAPH <{GRAPH_A}>", tmp_path)
    assert {q.graph_name.value for q in cleared.removed} == {GRAPH_A} and not cleared.added
    dropped = update_change(store, f"DROP GRAPH <{GRAPH_A}>", tmp_path)
    assert len(dropped.removed) == 2 and dropped.dropped == {ox.NamedNode(GRAPH_A)}
    moved = update_change(store, f"MOVE <{GRAPH_A}> TO <{GRAPH_B}>", tmp_path)
    assert {q.object.value for q in moved.added} == {"2"}


def test_an_update_that_cannot_be_carried_out_is_a_client_error(
    store: ox.Store, tmp_path: Path
) -> None:
    with pytest.raises(HttpProblem) as refused:
        update_change(store, "DROP GRAPH <https://e.org/graph/missing>", tmp_path)
    assert refused.value.status == 400 and "missing" in refused.value.message


def test_a_triple_term_is_refused(store: ox.Store, tmp_path: Path) -> None:
    text = (
        f"INSERT DATA {{ GRAPH <{GRAPH_A}> {{ <https://e.org/x> <https://e.org/says> "
        "<<( <https://e.org/x> <https://e.org/p> 1 )>> } }"
    )
    with pytest.raises(HttpProblem) as refused:
        update_change(store, text, tmp_path)
    assert refused.value.status == 400 and "triple term" in refused.value.message
