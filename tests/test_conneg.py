"""Content negotiation and format choice as pure functions: one row per case."""

from __future__ import annotations

import pytest

from libassoc.engine.conneg import negotiate
from libassoc.engine.formats import Family, choose, named_format
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


# The names clients send in format=/output=/results= (SPARQLWrapper, Virtuoso, Fuseki, YASGUI),
# with what each means for a SELECT or ASK and for a CONSTRUCT or DESCRIBE; None: it names
# nothing of that family, so Accept decides.
CLIENT_NAMES = [
    ("json", "json", "jsonld"),
    ("JSON", "json", "jsonld"),
    ("xml", "xml", "rdfxml"),
    ("csv", "csv", None),
    ("tsv", "tsv", None),
    ("text/tab-separated-values", "tsv", None),
    ("application/sparql-results+json", "json", None),
    ("application/sparql-results+json; charset=utf-8", "json", None),
    ("sparql-results+json", "json", None),
    ("application/javascript", "json", None),
    ("application/sparql-results+xml", "xml", None),
    ("application/json", "json", "jsonld"),
    ("application/xml", "xml", "rdfxml"),
    ("turtle", None, "turtle"),
    ("ttl", None, "turtle"),
    ("text/turtle", None, "turtle"),
    ("n3", None, "turtle"),
    ("text/n3", None, "turtle"),
    ("text/rdf+n3", None, "turtle"),
    ("nt", None, "ntriples"),
    ("ntriples", None, "ntriples"),
    ("n-triples", None, "ntriples"),
    ("application/n-triples", None, "ntriples"),
    ("json-ld", None, "jsonld"),
    ("jsonld", None, "jsonld"),
    ("application/ld+json", None, "jsonld"),
    ("application/x-json+ld", None, "jsonld"),
    ("rdf", None, "rdfxml"),
    ("rdf+xml", None, "rdfxml"),
    ("rdfxml", None, "rdfxml"),
    ("application/rdf+xml", None, "rdfxml"),
    ("trig", None, "trig"),
    ("nquads", None, "nquads"),
    ("html", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("name", "results", "rdf"), CLIENT_NAMES)
def test_client_format_names(name: str, results: str | None, rdf: str | None) -> None:
    # Accept asks for something else than the name in each family, so the name must decide.
    for family, accept, expected, fallback in (
        (Family.RESULTS, "text/csv;q=0.1,application/sparql-results+xml", results, "xml"),
        (Family.RDF, "application/n-quads", rdf, "nquads"),
    ):
        got = choose(family, accept, (name,)).name
        assert got == (expected or fallback), (family, name)
        named = named_format(family, (name,))
        assert (named.name if named else None) == expected


def test_sparqlwrapper_sends_its_name_and_a_media_type_or_nothing() -> None:
    assert choose(Family.RDF, "*/*", ("rdf+xml", "application/rdf+xml")).name == "rdfxml"
    assert choose(Family.RDF, "*/*", ("json-ld", "application/ld+json")).name == "jsonld"
    # A SELECT with an RDF return format: SPARQLWrapper sends Accept */* and an empty value.
    assert choose(Family.RESULTS, "*/*", ("rdf+xml", "", "rdf+xml", "")).name == "json"


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
        # A format name that fits nothing leaves the choice to Accept, which may fit nothing.
        (Family.RESULTS, "text/turtle", "turtle"),
        (Family.RDF, "text/csv", "csv"),
    ],
)
def test_choose_refuses_with_406(
    family: Family, accept: str | None, format_param: str | None
) -> None:
    with pytest.raises(HttpProblem) as refused:
        choose(family, accept, (format_param,) if format_param else ())
    assert refused.value.status == 406
    assert "Offered:" in refused.value.message
