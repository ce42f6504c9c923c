"""Content negotiation and format choice as pure functions: one row per case."""

from __future__ import annotations

import pytest

from libassoc.engine.conneg import negotiate
from libassoc.engine.formats import Family, choose
from libassoc.engine.problem import HttpProblem

OFFERED = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("TEXT/CSV", "text/csv"),
        ("text/*", "text/csv"),
        ("application/*;q=0.5, text/csv;q=0.4", "application/sparql-results+json"),
        (
            "application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8",
            "application/sparql-results+xml",
        ),
        ("text/csv;q=1.0, */*;q=0.1", "text/csv"),
        # The most specific range decides: json is refused although */* accepts anything.
        ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
        ("image/png", None),
        ("text/csv;q=0", None),
        ("text/csv;q=abc", None),
        ("garbage, text/csv", "text/csv"),
        ("application/sparql-results+xml; charset=utf-8", "application/sparql-results+xml"),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, OFFERED) == expected


@pytest.mark.parametrize(
    ("family", "accept", "format_param", "expected"),
    [
        (Family.RESULTS, None, None, "json"),
        (Family.RESULTS, "application/json", None, "json"),
        (Family.RESULTS, "application/xml", None, "xml"),
        (Family.RESULTS, "text/tab-separated-values", None, "tsv"),
        (Family.RESULTS, "text/turtle", "csv", "csv"),
        (Family.RESULTS, None, "application/sparql-results+xml", "xml"),
        (Family.RDF, None, None, "turtle"),
        (Family.RDF, "application/ld+json", None, "jsonld"),
        (Family.RDF, "application/rdf+xml", None, "rdfxml"),
        (Family.RDF, "application/n-triples", None, "ntriples"),
        (Family.RDF, "application/trig", None, "trig"),
        (Family.RDF, "application/n-quads", None, "nquads"),
        (Family.RDF, "application/sparql-results+json", "nt", "ntriples"),
        (Family.RDF, None, "json", "jsonld"),
        (
            Family.RDF,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            None,
            "rdfxml",
        ),
    ],
)
def test_choose(
    family: Family, accept: str | None, format_param: str | None, expected: str
) -> None:
    assert choose(family, accept, (format_param,) if format_param else ()).name == expected


def test_format_given_twice_in_two_spellings() -> None:
    assert choose(Family.RESULTS, None, ("tsv", "text/tab-separated-values")).name == "tsv"
    with pytest.raises(HttpProblem) as refused:
        choose(Family.RESULTS, None, ("tsv", "csv"))
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("family", "accept", "format_param"),
    [
        (Family.RESULTS, "text/turtle", None),
        (Family.RDF, "application/sparql-results+json", None),
        (Family.RESULTS, None, "turtle"),
        (Family.RDF, None, "csv"),
    ],
)
def test_choose_refuses_with_406(
    family: Family, accept: str | None, format_param: str | None
) -> None:
    with pytest.raises(HttpProblem) as refused:
        choose(family, accept, (format_param,) if format_param else ())
    assert refused.value.status == 406
    assert "Offered:" in refused.value.message
