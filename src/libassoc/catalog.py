"""The query catalog: every ``.rq`` file under ``queries/``, and how to run one.

A query file opens with comment headers, ``# question: ...`` and ``# kind: select|ask|construct``.
Values go in through Oxigraph substitutions, never by editing the query text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from libassoc.dataset import Dataset, QueryResult


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (path below ``queries/`` without ``.rq``), text and headers."""

    name: str
    path: Path
    text: str
    headers: Mapping[str, str]

    @property
    def question(self) -> str:
        return self.headers.get("question", self.name)

    @property
    def kind(self) -> str:
        return self.headers.get("kind", "select")

    @property
    def is_competency(self) -> bool:
        return "/" not in self.name

    @property
    def is_check(self) -> bool:
        return self.name.startswith("checks/")


def _headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("# ").partition(":")
        if sep and key.isidentifier():
            headers[key] = (headers.get(key, "") + " " + value.strip()).strip()
    return headers


class QueryCatalog:
    """The queries under one folder, by name."""

    def __init__(self, queries: Mapping[str, NamedQuery]) -> None:
        self._queries = dict(sorted(queries.items()))

    @classmethod
    def from_dir(cls, folder: Path) -> QueryCatalog:
        found: dict[str, NamedQuery] = {}
        for path in sorted(folder.rglob("*.rq")):
            name = path.relative_to(folder).with_suffix("").as_posix()
            text = path.read_text(encoding="utf-8")
            found[name] = NamedQuery(name, path, text, _headers(text))
        return cls(found)

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)

    def __contains__(self, name: object) -> bool:
        return name in self._queries

    def get(self, name: str) -> NamedQuery:
        try:
            return self._queries[name]
        except KeyError:
            known = ", ".join(self._queries) or "none"
            raise KeyError(f"no query named {name!r}; known queries: {known}") from None

    def competency(self) -> list[NamedQuery]:
        return [q for q in self if q.is_competency]

    def checks(self) -> list[NamedQuery]:
        return [q for q in self if q.is_check]


def run(
    store: Dataset,
    text: str,
    bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None = None,
) -> QueryResult:
    """Evaluate ``text`` with Oxigraph over the store's default graph (the merge of all graphs)."""
    substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
    return store.query(text, substitutions=substitutions)


def select(
    store: Dataset, catalog: QueryCatalog, name: str, **bindings: ox.NamedNode | ox.Literal
) -> ox.QuerySolutions:
    """The solutions of the app's own SELECT query ``queries/app/<name>.rq``."""
    result = run(store, catalog.get(f"app/{name}").text, bindings)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"queries/app/{name}.rq is not a SELECT query")
    return result
