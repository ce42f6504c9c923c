"""Query results as bytes for people and programs: SPARQL JSON/XML/CSV/TSV, RDF, or a text table."""

from __future__ import annotations

import pyoxigraph as ox

from libassoc.dataset import QueryResult
from libassoc.namespaces import PREFIXES, VOCABULARY_PREFIXES

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _short(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in PREFIXES.items():
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return "" if term is None else str(term)


def table(result: QueryResult) -> str:
    """A plain-text table of a SELECT result (or the boolean of an ASK), for a terminal."""
    if isinstance(result, ox.QueryBoolean):
        return "true\n" if bool(result) else "false\n"
    if not isinstance(result, ox.QuerySolutions):
        return (
            ox.serialize(result, format=ox.RdfFormat.TURTLE, prefixes=VOCABULARY_PREFIXES) or b""
        ).decode()
    names = [v.value for v in result.variables]
    rows = [[_short(solution[name]) for name in names] for solution in result]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 (a format built from widths)
    out = [line.format(*names), line.format(*("-" * w for w in widths))]
    out.extend(line.format(*row) for row in rows)
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def serialize_result(result: QueryResult, fmt: str) -> bytes:
    """``result`` in ``fmt``: a SPARQL results format, or Turtle for CONSTRUCT and DESCRIBE."""
    if fmt == "table":
        return table(result).encode()
    if not isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        return ox.serialize(result, format=ox.RdfFormat.TURTLE, prefixes=VOCABULARY_PREFIXES) or b""
    return result.serialize(format=RESULT_FORMATS[fmt]) or b""
