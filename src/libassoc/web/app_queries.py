"""The app's own queries (``queries/app/*.rq``), run by name with values substituted in."""

from __future__ import annotations

import pyoxigraph as ox

from libassoc.catalog import QueryCatalog, run
from libassoc.dataset import Dataset


def select(
    store: Dataset, catalog: QueryCatalog, name: str, **bindings: ox.NamedNode | ox.Literal
) -> ox.QuerySolutions:
    """The solutions of the SELECT query ``queries/app/<name>.rq``."""
    result = run(store, catalog.get(f"app/{name}").text, bindings)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"queries/app/{name}.rq is not a SELECT query")
    return result
