"""Refuse, before evaluation, what must not reach the engine: a text nested too deeply for its
parser (``check_depth``), and every request that would make the server fetch from the network.

Oxigraph follows ``SERVICE <iri>`` and ``LOAD <iri>`` over HTTP. ``FROM``/``FROM NAMED`` and the
protocol's ``default-graph-uri``/``named-graph-uri`` only ever name graphs of this store: one it
does not hold is an empty graph, as in Oxigraph's and Fuseki's servers and the W3C protocol
tests, and nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Collection

from libassoc.engine.outline import BRACKET_DEPTH, Outline
from libassoc.engine.problem import HttpProblem

# An eighth of the smallest depth measured to end the process (see ``outline.BRACKET_DEPTH``):
# 125 nested brackets, or a thousand chained operators, far beyond what people write.
MAX_DEPTH = 1000


def check_depth(outline: Outline, limit: int = MAX_DEPTH) -> None:
    """400 for a text nested so deeply that parsing it could overflow the stack."""
    if outline.depth > limit:
        raise HttpProblem(
            400,
            f"The text nests too deeply for this endpoint: depth {outline.depth}, where each "
            f"open bracket ({{, ( or [) counts {BRACKET_DEPTH} and each element chained inside "
            "one (an operator such as || or +, a triple pattern, a group or call after another) "
            f"counts 1; the limit is {limit}. Flatten it, for instance with VALUES or IN "
            "instead of long chains of || or UNION.",
        )


def check_services(outline: Outline, allowed: Collection[str]) -> None:
    """400 for a SERVICE call to an endpoint the operator has not allow-listed."""
    if outline.unnamed_services:
        raise HttpProblem(
            400,
            "SERVICE must name its endpoint with an IRI: this endpoint never calls an endpoint "
            "chosen at run time (a variable or an undeclared prefix).",
        )
    refused = [iri for iri in outline.services if iri not in allowed]
    if refused:
        allow_list = ", ".join(f"<{iri}>" for iri in allowed) or "none"
        raise HttpProblem(
            400,
            f"SERVICE <{refused[0]}> refused: this endpoint does not send queries to other "
            f"endpoints unless the operator allow-lists them (allowed: {allow_list}).",
        )


def check_loads(outline: Outline) -> None:
    """400 for LOAD: the server never fetches data from the web."""
    if outline.loads:
        raise HttpProblem(
            400,
            f"LOAD <{outline.loads[0]}> refused: this endpoint never fetches data from the web. "
            "Send the data itself with the Graph Store Protocol (PUT or POST /store?graph=IRI).",
        )
