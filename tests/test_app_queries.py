"""The web layer's own queries (``queries/app/*.rq``) against their expected results.

Each query runs on a small fixed dataset (``fixtures/endpoint/app-dataset.trig``, loaded as
the server loads data: one named graph per source and their merge as default graph), and must
give exactly the rows of ``queries/expected/app/<name>.srj`` (SPARQL results JSON). To write
the expected file of a new query, run with ``LIBASSOC_WRITE_EXPECTED=1`` and review the file.
"""

from __future__ import annotations

import json
import os
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox
import pytest

from libassoc.catalog import NamedQuery, QueryCatalog, run
from libassoc.engine.outline import tokens
from libassoc.settings import Paths
from libassoc.store import replace_contents

FIXTURE = Path(__file__).parent / "fixtures" / "endpoint" / "app-dataset.trig"
EXPECTED = Paths().queries / "expected"
APP_QUERIES = [q for q in QueryCatalog.from_dir(Paths().queries) if q.name.startswith("app/")]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    loaded = ox.Store()
    replace_contents(loaded, ox.parse(FIXTURE.read_bytes(), format=ox.RdfFormat.TRIG))
    return loaded


def rows(document: bytes) -> tuple[list[str], list[str]]:
    """The variables, and each row as canonical JSON, in order."""
    parsed = json.loads(document)
    bindings = [json.dumps(b, sort_keys=True) for b in parsed["results"]["bindings"]]
    return parsed["head"]["vars"], bindings


def expected_document(path: Path, got: bytes) -> bytes:
    """The expected results at ``path``; written from ``got`` with LIBASSOC_WRITE_EXPECTED=1."""
    if os.environ.get("LIBASSOC_WRITE_EXPECTED"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(json.loads(got), indent=2) + "\n", encoding="utf-8")
    assert path.exists(), f"{path} is missing: write it with LIBASSOC_WRITE_EXPECTED=1"
    return path.read_bytes()


def promises_order(text: str) -> bool:
    """Whether the query has an ORDER BY clause (its comments do not count)."""
    words = [token.text.upper() for token in tokens(text) if token.kind == "word"]
    return any(a == "ORDER" and b == "BY" for a, b in pairwise(words))


def test_promises_order_reads_clauses_not_comments() -> None:
    unordered = QueryCatalog.from_dir(Paths().queries).get("app/subjects-by-graph").text
    assert "ORDER BY" in unordered, "its comment says why it has none"
    assert not promises_order(unordered)
    assert promises_order("SELECT * { ?s ?p ?o } order  by ?s")


def test_there_are_app_queries() -> None:
    assert any(q.name == "app/organizations" for q in APP_QUERIES)


@pytest.mark.parametrize("query", APP_QUERIES, ids=lambda q: q.name)
def test_app_query_gives_its_expected_result(store: ox.Store, query: NamedQuery) -> None:
    result = run(store, query.text)
    assert isinstance(result, ox.QuerySolutions), "app queries are SELECT queries"
    got = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
    found, expected = rows(got), rows(expected_document(EXPECTED / f"{query.name}.srj", got))
    if not promises_order(query.text):
        # No order promised (the whole-store queries skip sorting): the same rows, in any order.
        found, expected = (found[0], sorted(found[1])), (expected[0], sorted(expected[1]))
    assert found == expected
