"""The pre-evaluation scan of SPARQL texts and the safety checks built on it: pure table tests."""

from __future__ import annotations

import pytest
from conftest import ROOT

from libassoc.engine.outline import BRACKET_DEPTH, CACHED_TEXT_CHARS, outline
from libassoc.engine.problem import HttpProblem
from libassoc.engine.safety import (
    MAX_DEPTH,
    check_depth,
    check_loads,
    check_services,
)

REMOTE = "http://example.org/sparql"


@pytest.mark.parametrize(
    ("text", "form", "services", "dataset"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT", [], []),
        ("ask {}", "ASK", [], []),
        ("PREFIX x: <http://e/> CONSTRUCT WHERE { ?s x:p ?o }", "CONSTRUCT", [], []),
        (f"SELECT * {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}", "SELECT", [REMOTE], []),
        (f"SELECT * {{ service silent <{REMOTE}> {{ }} }}", "SELECT", [REMOTE], []),
        (
            "PREFIX e: <http://example.org/> SELECT * { SERVICE e:sparql {} }",
            "SELECT",
            [REMOTE],
            [],
        ),
        (
            "BASE <http://example.org/a/> SELECT * { SERVICE <../sparql> {} }",
            "SELECT",
            [REMOTE],
            [],
        ),
        # Inside strings, comments and IRIs the keyword is only text.
        (f'SELECT * {{ ?s ?p "SERVICE <{REMOTE}>" }}', "SELECT", [], []),
        (f"SELECT * {{ ?s ?p '''x\n SERVICE <{REMOTE}> ''' }}", "SELECT", [], []),
        (f"SELECT * {{ # SERVICE <{REMOTE}>\n ?s ?p ?o }}", "SELECT", [], []),
        ("SELECT * { <http://e/#SERVICE> ?p ?o }", "SELECT", [], []),
        ("SELECT * { ?service ?p ?o FILTER(?a<?b) }", "SELECT", [], []),
        (
            "SELECT * FROM <http://g/1> FROM NAMED <http://g/2> {}",
            "SELECT",
            [],
            ["http://g/1", "http://g/2"],
        ),
        ("DESCRIBE <http://e/x>", "DESCRIBE", [], []),
        ("SELECT * { { SELECT ?x {} } }", "SELECT", [], []),
    ],
)
def test_outline(text: str, form: str, services: list[str], dataset: list[str]) -> None:
    found = outline(text)
    assert (found.form, list(found.services), list(found.dataset)) == (form, services, dataset)


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT * {{ SERVICE <{REMOTE}> {{}} }}",
        "SELECT * { SERVICE ?endpoint {} }",
        "SELECT * { SERVICE undeclared:x {} }",
    ],
)
def test_services_refused_unless_allowed(text: str) -> None:
    with pytest.raises(HttpProblem) as refused:
        check_services(outline(text), allowed=())
    assert refused.value.status == 400
    assert "SERVICE" in refused.value.message


def test_allow_listed_service_passes() -> None:
    check_services(outline(f"SELECT * {{ SERVICE <{REMOTE}> {{}} }}"), allowed=(REMOTE,))


def test_load_refused() -> None:
    with pytest.raises(HttpProblem) as refused:
        check_loads(outline(f"LOAD <{REMOTE}> INTO GRAPH <http://g/1>"))
    assert "never fetches" in refused.value.message


def test_a_text_too_long_to_be_remembered_is_scanned_all_the_same() -> None:
    padding = "# " + "x" * CACHED_TEXT_CHARS + "\n"
    text = f"{padding}SELECT * {{ SERVICE <{REMOTE}> {{ ?s ?p ?o }} }}"
    assert len(text) > CACHED_TEXT_CHARS
    found = outline(text)
    assert (found.form, found.services) == ("SELECT", (REMOTE,))
    assert outline(text) is not found  # scanned again, not kept


def test_from_and_from_named_are_told_apart() -> None:
    found = outline("SELECT * FROM <http://g/1> FROM NAMED <http://g/2> FROM <http://g/3> {}")
    assert found.from_graphs == ("http://g/1", "http://g/3")
    assert found.from_named_graphs == ("http://g/2",)


# --- how deep a text nests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("ASK {}", BRACKET_DEPTH),
        ("SELECT * WHERE { { { } } }", 3 * BRACKET_DEPTH + 1),  # `*` is taken for an operator
        ("ASK { FILTER(true || false || true) }", 2 * BRACKET_DEPTH + 2),  # `||` counts once
        ("ASK { FILTER(?x != 1 && ?y = 2) }", 2 * BRACKET_DEPTH + 1),  # comparisons don't chain
        ('ASK { ?s ?p "1"^^<http://e/t> }', BRACKET_DEPTH),  # `^^` is no operator
        ("ASK { ?s ?p ?o . ?s ?q ?o ; ?r ?o }", BRACKET_DEPTH + 2),
        ("ASK { FILTER(?o IN (1, 2, 3)) }", 3 * BRACKET_DEPTH),  # arguments don't chain
    ],
)
def test_the_depth_counts_brackets_and_what_chains_inside_them(text: str, depth: int) -> None:
    assert outline(text).depth == depth


def test_data_blocks_are_flat_however_long() -> None:
    rows = " ".join(f'"{i}"^^<http://e/t> -{i}' for i in range(5000))
    triples = " . ".join(f"<http://e/s> <http://e/p> {i}" for i in range(5000))
    assert outline(f"SELECT * WHERE {{ VALUES ?x {{ {rows} }} }}").depth < 3 * BRACKET_DEPTH
    assert (
        outline(f"INSERT DATA {{ GRAPH <http://e/g> {{ {triples} }} }}").depth < 3 * BRACKET_DEPTH
    )
    assert outline(f"CONSTRUCT {{ {triples} }} WHERE {{ }}").depth < 3 * BRACKET_DEPTH
    # The same triples as a pattern to match do chain: Oxigraph nests their joins.
    assert outline(f"ASK {{ {triples} }}").depth > MAX_DEPTH


def test_every_catalog_query_is_far_within_the_limit() -> None:
    texts = [path.read_text() for path in (ROOT / "queries").rglob("*.rq")]
    assert len(texts) > 30
    assert max(outline(text).depth for text in texts) < MAX_DEPTH / 10


def test_a_text_over_the_limit_is_refused_naming_it() -> None:
    deep = outline("ASK " + "{" * 200 + "}" * 200)
    with pytest.raises(HttpProblem) as refused:
        check_depth(deep)
    assert refused.value.status == 400
    assert f"depth {200 * BRACKET_DEPTH}" in refused.value.message
    assert f"the limit is {MAX_DEPTH}" in refused.value.message
    check_depth(outline("ASK " + "{" * 100 + "}" * 100))


@pytest.mark.parametrize(
    ("text", "volatile"),
    [
        ("SELECT (NOW() AS ?t) {}", True),
        ("SELECT ?s { ?s ?p ?o } ORDER BY rand ()", True),
        ("SELECT (STRUUID() AS ?id) (UUID() AS ?u) {}", True),
        ("CONSTRUCT { ?s <http://e/p> ?b } WHERE { ?s ?p ?o BIND(BNODE() AS ?b) }", True),
        ("SELECT ?now { ?now ?p 'NOW()' } # RAND()", False),
        ("PREFIX now: <http://e/> SELECT * { now:rand ?p ?o }", False),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", False),
    ],
)
def test_functions_that_answer_otherwise_each_time_are_found(text: str, volatile: bool) -> None:
    assert outline(text).volatile is volatile
