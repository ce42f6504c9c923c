"""Which hash IRIs (``doc#term``) are subjects in the store, by document: one page serves them all.

Finding them with a query means reading every subject of the store: Oxigraph has no lookup by
the start of an IRI. So they are found once, when the server starts, and each write then
updates them from its change, at the cost of the change.
"""

from __future__ import annotations

import pyoxigraph as ox

from libassoc.catalog import QueryCatalog, run
from libassoc.store import Change


def _document(subject: ox.NamedNode) -> str | None:
    document, hash_sign, _ = subject.value.partition("#")
    return document if hash_sign else None


class HashSubjects:
    """The hash IRIs under each document IRI.

    Pages read it from other threads while a write updates it: each document's set is replaced,
    never changed in place, so a reader always holds a whole one.
    """

    def __init__(self, by_document: dict[str, frozenset[ox.NamedNode]] | None = None) -> None:
        self._by_document = by_document or {}

    @classmethod
    def of(cls, store: ox.Store, catalog: QueryCatalog) -> HashSubjects:
        """Every document's hash IRIs, read from the whole store: at start only."""
        found: dict[str, set[ox.NamedNode]] = {}
        solutions = run(store, catalog.get("app/document-subjects").text)
        assert isinstance(solutions, ox.QuerySolutions)  # noqa: S101 (a SELECT query)
        for row in solutions:
            subject, document = row["subject"], row["doc"]
            if isinstance(subject, ox.NamedNode) and isinstance(document, ox.NamedNode):
                found.setdefault(document.value, set()).add(subject)
        return cls({document: frozenset(subjects) for document, subjects in found.items()})

    def under(self, document: ox.NamedNode) -> list[ox.NamedNode]:
        """The hash IRIs under ``document``, in IRI order."""
        return sorted(self._by_document.get(document.value, ()), key=str)

    def follow(self, store: ox.Store, change: Change) -> None:
        """After ``change`` was applied to ``store``: each hash IRI it touched, there or gone."""
        touched = {
            q.subject
            for q in change.quads
            if isinstance(q.subject, ox.NamedNode) and _document(q.subject) is not None
        }
        for subject in touched:
            document = _document(subject)
            assert document is not None  # noqa: S101 (kept above for having one)
            present = next(iter(store.quads_for_pattern(subject, None, None, None)), None)
            subjects = self._by_document.get(document, frozenset())
            updated = subjects | {subject} if present is not None else subjects - {subject}
            if updated:
                self._by_document[document] = updated
            else:
                self._by_document.pop(document, None)
