"""Every query of the catalog runs against the real data and gives its expected result."""

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic

from libassoc.catalog import NamedQuery, QueryCatalog, run
from libassoc.namespaces import PREFIXES
from libassoc.settings import Paths
from libassoc.store import open_loaded_store

PATHS = Paths()
# The web layer's own queries (app/) and the remote store's (remote/) are checked on a fixed
# dataset by test_app_queries.py and test_remote_queries.py.
OWN_FOLDERS = ("app", "remote")
QUERIES = [
    q for q in QueryCatalog.from_dir(PATHS.queries) if q.name.split("/")[0] not in OWN_FOLDERS
]
EXPECTED = PATHS.queries / "expected"
EXPECTED_SUFFIXES = {"select": ".srj", "ask": ".srj", "construct": ".ttl", "describe": ".ttl"}


def expected_path(query: NamedQuery) -> Path:
    return EXPECTED / f"{query.name}{EXPECTED_SUFFIXES[query.kind]}"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return open_loaded_store(PATHS.sources())


def test_there_is_a_query_for_every_competency_question() -> None:
    assert sum(q.is_competency for q in QUERIES) >= 19


def test_every_query_has_an_expected_result_and_the_other_way_round() -> None:
    queries = {expected_path(q).relative_to(EXPECTED) for q in QUERIES}
    expected = {
        p.relative_to(EXPECTED)
        for p in EXPECTED.rglob("*")
        if p.is_file() and p.relative_to(EXPECTED).parts[0] not in OWN_FOLDERS
    }
    assert queries - expected == set(), "queries without an expected result"
    assert expected - queries == set(), "expected results without a query"


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_headers_and_prefixes(query: NamedQuery) -> None:
    assert query.headers.get("question"), f"{query.path}: no '# question:' header"
    assert query.kind in EXPECTED_SUFFIXES, f"{query.path}: unknown kind {query.kind!r}"
    declared = {
        line.split()[1].rstrip(":")
        for line in query.text.splitlines()
        if line.upper().startswith("PREFIX ")
    }
    for prefix in declared:
        if prefix in PREFIXES:
            assert f"<{PREFIXES[prefix]}>" in query.text, (
                f"{prefix}: is not the project's namespace"
            )
    ox.Store().query(query.text)  # parses with no default prefixes: runnable as it is anywhere


def canonical_rows(result: ox.QuerySolutions) -> list[tuple[str, ...]]:
    names = [v.value for v in result.variables]
    return [tuple(str(s[n]) if s[n] is not None else "" for n in names) for s in result]


def parsed_expected(path: Path) -> ox.QuerySolutions | ox.QueryBoolean:
    return ox.parse_query_results(path=str(path), format=ox.QueryResultsFormat.JSON)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_result_matches_the_expected_one(store: ox.Store, query: NamedQuery) -> None:
    path = expected_path(query)
    result = run(store, query.text)
    if isinstance(result, ox.QueryTriples):
        got = Graph().parse(
            data=ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt"
        )
        want = Graph().parse(path, format="turtle")
        if not isomorphic(got, want):
            _, only_got, only_want = graph_diff(got, want)
            pytest.fail(
                f"only in the result:\n{only_got.serialize(format='nt')}"
                f"only expected:\n{only_want.serialize(format='nt')}"
            )
        return
    expected = parsed_expected(path)
    if isinstance(result, ox.QueryBoolean):
        assert isinstance(expected, ox.QueryBoolean) and bool(result) == bool(expected)
        return
    assert isinstance(expected, ox.QuerySolutions)
    assert [v.value for v in result.variables] == [v.value for v in expected.variables]
    got_rows, want_rows = canonical_rows(result), canonical_rows(expected)
    if "ORDER BY" in query.text.upper():
        assert got_rows == want_rows
    else:
        assert Counter(got_rows) == Counter(want_rows)
    if query.is_competency:
        assert got_rows, "a competency question must have an answer"
