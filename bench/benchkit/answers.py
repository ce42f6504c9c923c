"""What an answer holds, whatever the server: rows of a SELECT, the boolean of an ASK, triples.

Only the size is compared between servers (and an ASK's value): two correct engines may differ
in order, in literal spelling and in which of several equal rows comes first.
"""

from __future__ import annotations

import pyoxigraph as ox

from libassoc.engine.formats import RDF_FORMATS, RESULT_FORMATS, OutputFormat

RESULT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"


def _by_media_type(formats: tuple[OutputFormat, ...]) -> dict[str, OutputFormat]:
    """Each format under its media type and the others it is also known by."""
    return {media: f for f in formats for media in (f.media_type, *f.also_accepted)}


# The syntaxes libassoc writes; application/json, which JSON-LD also answers to, means results.
_RDF_FORMATS = {
    media: f.rdf_format
    for media, f in _by_media_type(RDF_FORMATS).items()
    if f.rdf_format is not None and media != "application/json"
}
# rdflib-endpoint labels DESCRIBE results (RDF/XML) as SPARQL XML results.
_RDF_FORMATS["application/sparql-results+xml"] = ox.RdfFormat.RDF_XML
_RESULT_FORMATS = {
    media: f.results_format
    for media, f in _by_media_type(RESULT_FORMATS).items()
    if f.results_format is not None
}


def accept_for(kind: str) -> str:
    """The Accept header for a query of this kind (``select``, ``ask``, ``construct``, ...)."""
    return GRAPH_ACCEPT if is_graph_kind(kind) else RESULT_ACCEPT


def is_graph_kind(kind: str) -> bool:
    return kind in {"construct", "describe"}


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def answer_size(kind: str, content_type: str, body: bytes) -> str:
    """``"N rows"``, ``"N triples"`` or ``"true"``/``"false"``: what two servers must agree on."""
    media = media_type(content_type)
    if is_graph_kind(kind):
        fmt = _RDF_FORMATS.get(media)
        if fmt is None:
            raise ValueError(f"unexpected media type {media!r} for a {kind} answer")
        triples = sum(1 for _ in ox.parse(body, format=fmt))
        return f"{triples} triples"
    results_format = _RESULT_FORMATS.get(media)
    if results_format is None:
        raise ValueError(f"unexpected media type {media!r} for a {kind} answer")
    parsed = ox.parse_query_results(body, format=results_format)
    if isinstance(parsed, ox.QueryBoolean):
        return "true" if bool(parsed) else "false"
    return f"{sum(1 for _ in parsed)} rows"
