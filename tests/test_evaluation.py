"""Answers as a worker writes them: every term as it is, and the row cap counted exactly."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from libassoc.engine.evaluation import Answer, QueryJob, Refusal, answer

EX = "https://example.org/"
# Every kind of term, and literals with the characters that end a row or a field in TSV.
TERMS = f"""
SELECT ?term WHERE {{
  VALUES ?term {{
    <{EX}a>
    "two\\nlines"
    "a\\ttab"
    "colour"@en-GB
    "42"^^<http://www.w3.org/2001/XMLSchema#integer>
    "plain"
  }}
}}
"""
BLANK_AND_TRIPLE = f"""
SELECT ?blank ?triple WHERE {{
  BIND (BNODE("b") AS ?blank)
  BIND (TRIPLE(<{EX}s>, <{EX}p>, "o") AS ?triple)
}}
"""
JSON = "application/sparql-results+json"


def answered(job: QueryJob) -> Answer:
    outcome = answer(ox.Store(), job)
    assert isinstance(outcome, Answer), outcome
    return outcome


def test_every_term_comes_out_as_it_is() -> None:
    body = json.loads(answered(QueryJob(TERMS, accept=JSON)).body)
    assert body["head"] == {"vars": ["term"]}
    assert [row["term"] for row in body["results"]["bindings"]] == [
        {"type": "uri", "value": f"{EX}a"},
        {"type": "literal", "value": "two\nlines"},
        {"type": "literal", "value": "a\ttab"},
        {"type": "literal", "value": "colour", "xml:lang": "en-gb"},
        {
            "type": "literal",
            "value": "42",
            "datatype": "http://www.w3.org/2001/XMLSchema#integer",
        },
        {"type": "literal", "value": "plain"},
    ]


def test_blank_nodes_and_triple_terms_come_out_too() -> None:
    (row,) = json.loads(answered(QueryJob(BLANK_AND_TRIPLE, accept=JSON)).body)["results"][
        "bindings"
    ]
    assert row["blank"]["type"] == "bnode"
    assert row["triple"] == {
        "type": "triple",
        "value": {
            "subject": {"type": "uri", "value": f"{EX}s"},
            "predicate": {"type": "uri", "value": f"{EX}p"},
            "object": {"type": "literal", "value": "o"},
        },
    }


@pytest.mark.parametrize(
    ("accept", "syntax"),
    [
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/csv", ox.QueryResultsFormat.CSV),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_each_results_syntax_has_every_row(accept: str, syntax: ox.QueryResultsFormat) -> None:
    written = answered(QueryJob(TERMS, accept=accept))
    assert written.content_type.startswith(accept)
    if syntax is ox.QueryResultsFormat.CSV:  # lossy: Oxigraph reads it not, Python's csv does
        values = [row[0] for row in csv.reader(io.StringIO(written.body.decode()))][1:]
    else:
        parsed = ox.parse_query_results(written.body, format=syntax)
        assert isinstance(parsed, ox.QuerySolutions)
        values = [row["term"].value for row in parsed]  # type: ignore[union-attr]
    assert values == [f"{EX}a", "two\nlines", "a\ttab", "colour", "42", "plain"]


def test_the_row_cap_counts_rows_not_line_breaks() -> None:
    # Six rows, one literal with a line break: six is within a cap of six, not of five.
    assert answered(QueryJob(TERMS, accept=JSON, max_rows=6))
    refused = answer(ox.Store(), QueryJob(TERMS, accept=JSON, max_rows=5))
    assert isinstance(refused, Refusal) and refused.status == 400
    assert "more than 5 rows" in refused.message


def test_a_large_answer_is_stopped_at_the_cap() -> None:
    digits = "VALUES ?d { 0 1 2 3 4 5 6 7 8 9 }"
    query = "SELECT * { " + " ".join(digits.replace("?d", f"?d{i}") for i in range(5)) + " }"
    refused = answer(ox.Store(), QueryJob(query, accept=JSON, max_rows=100))
    assert isinstance(refused, Refusal) and "more than 100 rows" in refused.message
    whole = json.loads(answered(QueryJob(query, accept=JSON, max_rows=100_000)).body)
    assert len(whole["results"]["bindings"]) == 100_000
