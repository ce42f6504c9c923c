"""Values into a query sent to another store, which takes no Oxigraph substitutions.

The values become an inline ``VALUES`` block, the first element of the query's ``WHERE`` group,
so the remote engine joins them with everything else the group matches, as it would join a
pre-bound variable. Only the project's own queries (``queries/``) are bound this way: each has
an explicit ``WHERE``, and its expected result is checked with the values bound both ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from libassoc.engine.outline import tokens

Value = ox.NamedNode | ox.Literal


def _term(value: object) -> str:
    # N-Triples syntax, which is also SPARQL's, with every character that could end the term
    # escaped by the serializer; VALUES takes no blank nodes, and the published data has none.
    if not isinstance(value, ox.NamedNode | ox.Literal):
        raise TypeError(f"only IRIs and literals can be bound in a remote query, not {value!r}")
    return str(value)


def with_rows(text: str, variables: Sequence[str], rows: Sequence[Sequence[Value]]) -> str:
    """``text`` with ``VALUES (?v...) { (...) ... }`` opening its ``WHERE`` group."""
    if not variables:
        return text
    opening = _where_opening(text)
    head = " ".join(f"?{name}" for name in variables)
    body = " ".join("(" + " ".join(_term(v) for v in row) + ")" for row in rows)
    block = f" VALUES ({head}) {{ {body} }} "
    return text[: opening + 1] + block + text[opening + 1 :]


def with_values(text: str, bindings: Mapping[str, Value]) -> str:
    """``text`` with each variable of ``bindings`` fixed to its value."""
    names = sorted(bindings)
    return with_rows(text, names, [[bindings[name] for name in names]])


def _where_opening(text: str) -> int:
    """Where the brace that opens the ``WHERE`` group is, outside any template or sub-query."""
    found = tokens(text)
    for index, token in enumerate(found[:-1]):
        following = found[index + 1]
        if token.kind == "word" and token.text.upper() == "WHERE" and following.text == "{":
            return following.start
    raise ValueError("a query bound for a remote store needs an explicit WHERE { ... }")
