"""Which hash IRIs (``doc#term``) are subjects in the store, by document: one page serves them all.

Finding them with a query means reading every subject of the store (Oxigraph has no lookup by
the start of an IRI): 1.8 s at 1M triples. So they are found once, in the background while the
server starts answering queries, and each write then updates them from its change, at the cost
of the change. A page asked for before they are found waits for them, once; a write does not:
what it finds is kept apart and laid over what the search finds, which read an earlier
generation.
"""

from __future__ import annotations

import threading

import pyoxigraph as ox

from libassoc.catalog import QueryCatalog, select
from libassoc.dataset import Dataset
from libassoc.store import Change


def _document(subject: ox.NamedNode) -> str | None:
    document, hash_sign, _ = subject.value.partition("#")
    return document if hash_sign else None


class HashSubjects:
    """The hash IRIs under each document IRI, once ``fill`` has found them.

    Pages read it from other threads while a write updates it: each document's set is replaced,
    never changed in place, so a reader always holds a whole one.
    """

    def __init__(self) -> None:
        self._by_document: dict[str, frozenset[ox.NamedNode]] = {}
        self._filled = threading.Event()
        self._lock = threading.Lock()
        # Hash IRIs that writes found there or gone while ``fill`` read; None once it is done.
        self._written: dict[ox.NamedNode, bool] | None = {}

    @classmethod
    def of(cls, store: ox.Store, catalog: QueryCatalog) -> HashSubjects:
        found = cls()
        found.fill(store, catalog)
        return found

    @property
    def ready(self) -> bool:
        return self._filled.is_set()

    def fill(self, store: Dataset, catalog: QueryCatalog) -> None:
        """Find every document's hash IRIs, reading the whole store: once, at start."""
        found: dict[str, set[ox.NamedNode]] = {}
        try:
            for row in select(store, catalog, "document-subjects"):
                subject, document = row["subject"], row["doc"]
                if isinstance(subject, ox.NamedNode) and isinstance(document, ox.NamedNode):
                    found.setdefault(document.value, set()).add(subject)
            by_document = {doc: frozenset(subjects) for doc, subjects in found.items()}
            with self._lock:
                for subject, present in (self._written or {}).items():
                    _place(by_document, subject, present)
                self._by_document = by_document
        finally:
            with self._lock:
                self._written = None
            self._filled.set()  # whatever happened, nobody waits for ever

    def under(self, document: ox.NamedNode) -> list[ox.NamedNode]:
        """The hash IRIs under ``document``, in IRI order."""
        self._filled.wait()
        return sorted(self._by_document.get(document.value, ()), key=str)

    def follow(self, store: Dataset, change: Change) -> None:
        """After ``change`` was applied to ``store``: each hash IRI it touched, there or gone."""
        touched = {
            q.subject
            for q in change.quads
            if isinstance(q.subject, ox.NamedNode) and _document(q.subject) is not None
        }
        for subject in touched:
            present = next(iter(store.quads_for_pattern(subject, None, None, None)), None)
            with self._lock:
                if self._written is not None:  # ``fill`` reads an earlier generation
                    self._written[subject] = present is not None
                _place(self._by_document, subject, present is not None)


def _place(
    by_document: dict[str, frozenset[ox.NamedNode]], subject: ox.NamedNode, present: bool
) -> None:
    """Record hash IRI ``subject`` as ``present`` under its document, or as gone."""
    document = _document(subject)
    assert document is not None  # noqa: S101 (only hash IRIs come here)
    subjects = by_document.get(document, frozenset())
    updated = subjects | {subject} if present else subjects - {subject}
    if updated:
        by_document[document] = updated
    else:
        by_document.pop(document, None)
