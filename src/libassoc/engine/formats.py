"""The response syntaxes the endpoint offers, and picking one from ``Accept`` or ``format=``.

Two families: SPARQL results (SELECT, ASK) and RDF (CONSTRUCT, DESCRIBE, graph reads, the
service description). Each syntax has one media type it answers with, a few other media types
that ask for it, short names for the ``format`` parameter, and its W3C format IRI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import pyoxigraph as ox

from libassoc.engine.conneg import negotiate
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import FORMATS


class Family(Enum):
    RESULTS = "SPARQL results (SELECT, ASK)"
    RDF = "RDF (CONSTRUCT, DESCRIBE, graphs)"


@dataclass(frozen=True)
class OutputFormat:
    """One syntax a response can be written in."""

    name: str
    family: Family
    media_type: str
    also_accepted: tuple[str, ...]
    short_names: tuple[str, ...]
    iri: str
    results_format: ox.QueryResultsFormat | None = None
    rdf_format: ox.RdfFormat | None = None
    # Further names other clients send in ``format``/``output`` (SPARQLWrapper's, Virtuoso's,
    # Fuseki's) that ask for this syntax but must not widen what ``Accept`` selects.
    client_names: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header: text types say their charset, which is always UTF-8."""
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/") else "")


RESULT_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat(
        "json",
        Family.RESULTS,
        "application/sparql-results+json",
        ("application/json",),
        ("json", "srj"),
        str(FORMATS["SPARQL_Results_JSON"]),
        results_format=ox.QueryResultsFormat.JSON,
        client_names=("sparql-results+json", "text/javascript", "application/javascript"),
    ),
    OutputFormat(
        "xml",
        Family.RESULTS,
        "application/sparql-results+xml",
        ("application/xml", "text/xml"),
        ("xml", "srx"),
        str(FORMATS["SPARQL_Results_XML"]),
        results_format=ox.QueryResultsFormat.XML,
        client_names=("sparql-results+xml",),
    ),
    OutputFormat(
        "csv",
        Family.RESULTS,
        "text/csv",
        (),
        ("csv",),
        str(FORMATS["SPARQL_Results_CSV"]),
        results_format=ox.QueryResultsFormat.CSV,
    ),
    OutputFormat(
        "tsv",
        Family.RESULTS,
        "text/tab-separated-values",
        (),
        ("tsv",),
        str(FORMATS["SPARQL_Results_TSV"]),
        results_format=ox.QueryResultsFormat.TSV,
    ),
)

RDF_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat(
        "turtle",
        Family.RDF,
        "text/turtle",
        ("application/x-turtle",),
        ("turtle", "ttl"),
        str(FORMATS["Turtle"]),
        rdf_format=ox.RdfFormat.TURTLE,
        client_names=("application/turtle", "n3", "text/n3", "text/rdf+n3", "application/n3"),
    ),
    OutputFormat(
        "ntriples",
        Family.RDF,
        "application/n-triples",
        ("text/plain",),
        ("ntriples", "nt", "n-triples"),
        str(FORMATS["N-Triples"]),
        rdf_format=ox.RdfFormat.N_TRIPLES,
    ),
    OutputFormat(
        "jsonld",
        Family.RDF,
        "application/ld+json",
        ("application/json",),
        ("jsonld", "json-ld", "json"),
        str(FORMATS["JSON-LD"]),
        rdf_format=ox.RdfFormat.JSON_LD,
        client_names=("application/x-json+ld",),
    ),
    OutputFormat(
        "rdfxml",
        Family.RDF,
        "application/rdf+xml",
        ("application/xml", "text/xml"),
        ("rdfxml", "rdf", "xml"),
        str(FORMATS["RDF_XML"]),
        rdf_format=ox.RdfFormat.RDF_XML,
        client_names=("rdf+xml",),
    ),
    OutputFormat(
        "trig",
        Family.RDF,
        "application/trig",
        (),
        ("trig",),
        str(FORMATS["TriG"]),
        rdf_format=ox.RdfFormat.TRIG,
    ),
    OutputFormat(
        "nquads",
        Family.RDF,
        "application/n-quads",
        (),
        ("nquads", "nq", "n-quads"),
        str(FORMATS["N-Quads"]),
        rdf_format=ox.RdfFormat.N_QUADS,
    ),
)

FAMILIES: dict[Family, tuple[OutputFormat, ...]] = {
    Family.RESULTS: RESULT_FORMATS,
    Family.RDF: RDF_FORMATS,
}

BY_NAME: dict[str, OutputFormat] = {f.name: f for f in (*RESULT_FORMATS, *RDF_FORMATS)}


def offered_media_types(formats: tuple[OutputFormat, ...]) -> list[str]:
    """Every media type that selects one of ``formats``; main types first, so they win ties."""
    return [f.media_type for f in formats] + [m for f in formats for m in f.also_accepted]


def _by_media_type(formats: tuple[OutputFormat, ...], media_type: str) -> OutputFormat | None:
    for output in formats:
        if media_type == output.media_type or media_type in output.also_accepted:
            return output
    return None


def _options(formats: tuple[OutputFormat, ...]) -> str:
    return ", ".join(f"{f.media_type} (format={f.short_names[0]})" for f in formats)


def _by_name(formats: tuple[OutputFormat, ...], value: str) -> OutputFormat | None:
    wanted = value.split(";")[0].strip().lower()
    for output in formats:
        if wanted in output.short_names or wanted in output.client_names:
            return output
    return _by_media_type(formats, wanted) if wanted else None


def named_format(family: Family, format_params: Sequence[str]) -> OutputFormat | None:
    """The syntax of ``family`` that the ``format`` values name, or None when none names one.

    Clients send names meant for other servers, and names for the other family (SPARQLWrapper
    sends its return format whatever the query's form, and an empty value besides): a name
    that fits nothing here is not a request this endpoint could refuse, so ``Accept`` decides.
    A generic name (``xml``, ``json``) means this family's syntax of that kind.
    """
    named = {found for v in format_params if (found := _by_name(FAMILIES[family], v)) is not None}
    if len(named) > 1:
        raise HttpProblem(400, f"The format values {list(format_params)} name different syntaxes.")
    return named.pop() if named else None


def choose(family: Family, accept: str | None, format_params: Sequence[str] = ()) -> OutputFormat:
    """The syntax to answer in: ``format`` overrides ``Accept``; 406 when nothing offered fits.

    Some clients send ``format`` more than once, naming one syntax in two ways (``tsv`` and
    ``text/tab-separated-values``); that is fine as long as they agree.
    """
    return _choose(family, accept, tuple(format_params))


# A client sends the same Accept header with every request; negotiating it again each time is
# a measurable part of a cheap query. Refusals raise, and lru_cache keeps no exceptions.
@lru_cache(maxsize=256)
def _choose(family: Family, accept: str | None, format_params: tuple[str, ...]) -> OutputFormat:
    formats = FAMILIES[family]
    named = named_format(family, format_params)
    if named is not None:
        return named
    chosen = negotiate(accept, offered_media_types(formats))
    found = _by_media_type(formats, chosen) if chosen else None
    if found is None:
        raise HttpProblem(
            406,
            f"None of the media types in Accept: {accept!r} is offered for {family.value}. "
            f"Offered: {_options(formats)}.",
        )
    return found
