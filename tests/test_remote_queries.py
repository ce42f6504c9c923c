"""The remote store's queries (``queries/remote/``) against their expected results, bound both ways.

A remote store takes no Oxigraph substitutions: libassoc binds values with an inline VALUES block
(``remote/bindings.py``). Each query runs on the fixed dataset of the app's queries with example
values bound as Oxigraph substitutions and as VALUES, and both must give exactly the rows of
``queries/expected/remote/<name>.srj``. The update a validated write is sent as
(``apply-change.ru``) must change a store exactly as the embedded store applies the same change.
"""

from __future__ import annotations

import json
from string import Template

import pyoxigraph as ox
import pytest
from test_app_queries import FIXTURE, expected_document, rows

from libassoc.catalog import NamedQuery, QueryCatalog
from libassoc.remote.bindings import Value, with_rows, with_values
from libassoc.remote.dataset import _quad_data
from libassoc.settings import Paths
from libassoc.store import apply, named_quads, net, replace_contents

PATHS = Paths()
EXPECTED = PATHS.queries / "expected" / "remote"
REMOTE = [q for q in QueryCatalog.from_dir(PATHS.queries) if q.name.startswith("remote/")]
ORG = "https://w3id.org/libassoc/org/"
GRAPH = "https://w3id.org/libassoc/graph/"
NAME = ox.NamedNode("https://schema.org/name")
GYEAR = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FOUNDED = ox.NamedNode("https://schema.org/foundingDate")
# Values each query is checked with: enough to make every answer small and deterministic.
EXAMPLES: dict[str, dict[str, Value]] = {
    "remote/quads": {"s": ox.NamedNode(ORG + "ala")},
    "remote/merged-triples": {"s": ox.NamedNode(ORG + "ala")},
    "remote/named-graphs": {},
    "remote/any-quad": {"g": ox.NamedNode(GRAPH + "source-c")},
    "remote/sample-quad": {"g": ox.NamedNode(GRAPH + "source-c")},
    "remote/repeated-triple": {"p": TYPE},
    "remote/times-in-default-graph": {
        "s": ox.NamedNode(ORG + "ala"),
        "p": NAME,
        "o": ox.Literal("American Library Association", language="en"),
    },
    "remote/default-triples": {"s": ox.NamedNode(ORG + "alcts"), "p": NAME},
    "remote/in-default-graph": {
        "s": ox.NamedNode("https://w3id.org/libassoc/place/chicago"),
        "p": NAME,
        "o": ox.Literal("Chicago", language="en"),
    },
}


@pytest.fixture(scope="module")
def store() -> ox.Store:
    loaded = ox.Store()
    replace_contents(loaded, ox.parse(FIXTURE.read_bytes(), format=ox.RdfFormat.TRIG))
    return loaded


def _document(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> bytes:
    assert not isinstance(result, ox.QueryTriples), "remote queries are SELECT or ASK queries"
    return result.serialize(format=ox.QueryResultsFormat.JSON) or b""


def _compared(document: bytes) -> object:
    parsed = json.loads(document)
    return parsed["boolean"] if "boolean" in parsed else rows(document)


def test_every_remote_query_has_an_example() -> None:
    assert {q.name for q in REMOTE} == set(EXAMPLES)


@pytest.mark.parametrize("query", REMOTE, ids=lambda q: q.name)
def test_remote_query_gives_its_expected_result_bound_either_way(
    store: ox.Store, query: NamedQuery
) -> None:
    bindings = EXAMPLES[query.name]
    substituted = store.query(
        query.text, substitutions={ox.Variable(k): v for k, v in bindings.items()}
    )
    got = _document(substituted)
    path = EXPECTED / f"{query.name.removeprefix('remote/')}.srj"
    assert _compared(got) == _compared(expected_document(path, got))
    inline = _document(store.query(with_values(query.text, bindings)))
    assert _compared(inline) == _compared(got)


def test_the_examples_narrow_the_answers(store: ox.Store) -> None:
    """A binding that went nowhere would leave the whole answer: the examples must narrow it."""
    for query in REMOTE:
        if EXAMPLES[query.name] and "ASK" not in query.text:
            unbound = _compared(_document(store.query(query.text)))
            assert unbound != _compared(
                _document(store.query(with_values(query.text, EXAMPLES[query.name])))
            ), query.name


def test_values_go_into_the_outer_where_not_a_template_or_sub_query() -> None:
    text = "CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s WHERE { ?s ?p ?o } } ?s ?p ?o }"
    bound = " ".join(with_values(text, {"s": ox.NamedNode("https://example.org/a")}).split())
    assert bound.startswith(
        "CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?s) { (<https://example.org/a>) } { SELECT"
    )


def test_a_literal_is_bound_with_its_quotes_escaped(store: ox.Store) -> None:
    hostile = ox.Literal('x" } } ; DROP ALL ; SELECT * WHERE { "')
    query = next(q for q in REMOTE if q.name == "remote/quads")
    text = with_values(query.text, {"o": hostile})
    assert list(store.query(text)) == []  # one literal, matched as such: no row, no error


def test_several_rows_bind_several_patterns(store: ox.Store) -> None:
    query = next(q for q in REMOTE if q.name == "remote/quads")
    organizations = [[ox.NamedNode(ORG + "ala")], [ox.NamedNode(ORG + "alcts")]]
    found = store.query(with_rows(query.text, ["s"], organizations))
    assert isinstance(found, ox.QuerySolutions)
    assert {row["s"] for row in found} == {o[0] for o in organizations}


def test_a_query_without_where_cannot_be_bound() -> None:
    with pytest.raises(ValueError, match="WHERE"):
        with_values("ASK { ?s ?p ?o }", {"s": ox.NamedNode("https://example.org/a")})


def test_the_update_template_applies_a_change_as_the_embedded_store_does(store: ox.Store) -> None:
    graph = ox.NamedNode(GRAPH + "source-a")
    ala = ox.NamedNode(ORG + "ala")
    added = [
        ox.Quad(ala, NAME, ox.Literal('A "quoted"\nname', language="en"), graph),
        ox.Quad(
            ala,
            ox.NamedNode("https://schema.org/foundingDate"),
            ox.Literal("1876", datatype=GYEAR),
            graph,
        ),
    ]
    removed = list(store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH + "source-c")))
    expected, updated = ox.Store(), ox.Store()
    for copy in (expected, updated):
        copy.extend(named_quads(store))
    change = net(expected, added, removed)
    assert change.added and change.removed
    apply(expected, change, None)
    template = PATHS.update_template.read_text(encoding="utf-8")
    updated.update(
        Template(template).substitute(
            removed=_quad_data(change.removed), added=_quad_data(change.added)
        )
    )
    assert set(named_quads(updated)) == set(named_quads(expected))
