"""Finding things by name: every IRI with a name, an alternate name or a description, indexed
word by word, ignoring case and accents.

Filled once at start (``queries/app/searchable.rq``, which reads every name of the store), in
the background like the pages' other index, and kept current by each write's change, at the
cost of the change. A search looks up each of its words as the start of indexed words (a
sorted vocabulary, bisected; a one-letter word as itself), so it costs what it finds, not what
the store holds. Results are
ranked: a name or acronym that is the query itself first, then one that starts with it, then
names holding every word, then descriptions; among equals, organizations, people and events
before the works about them.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS, SDO, SKOS

from libassoc.catalog import QueryCatalog, select
from libassoc.dataset import Dataset
from libassoc.memory import give_back_freed_memory
from libassoc.store import Change

FIELDS = {
    str(SDO.name): "name",
    str(SKOS.prefLabel): "name",
    str(RDFS.label): "name",
    str(SDO.alternateName): "alternate",
    str(SDO.description): "description",
}
KINDS = {  # the kinds people search for, most specific first
    str(SDO.Person): "person",
    str(SDO.Event): "event",
    str(SDO.Organization): "organization",
    str(SDO.CreativeWork): "work",
    str(SDO.WebPage): "work",
    str(SKOS.Concept): "concept",
    str(SDO.Place): "place",
    str(SDO.State): "place",
    str(SDO.City): "place",
}
# Among equally good matches: the organization before the page about it.
KIND_ORDER = ("organization", "person", "event", "work", "concept", "place", "other")
TYPE = ox.NamedNode(str(RDF.type))
_WORD = re.compile(r"\w+")


# Letters that no Unicode decomposition takes apart, written as people type them.
LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})


def normalized(text: str) -> str:
    """``text`` without accents, case or repeated spaces: "Encyclopædia" finds "encyclopaedia"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def words(text: str) -> list[str]:
    return _WORD.findall(normalized(text))


@dataclass(frozen=True)
class Entry:
    """One thing, as it is searched and shown."""

    iri: str
    name: str
    kind: str
    names: tuple[str, ...]  # normalized names and alternate names
    description: str  # normalized

    def rank(self, query: str) -> int:
        """0: a name is the query; 1: a name starts with it; 2: the names hold its words."""
        if query in self.names:
            return 0
        if any(name.startswith(query) for name in self.names):
            return 1
        return 2


def _entry(iri: str, fields: dict[str, list[str]], types: Iterable[str]) -> Entry | None:
    names = fields.get("name", []) + fields.get("alternate", [])
    if not names and not fields.get("description"):
        return None
    name = min(fields.get("name") or names or fields["description"], key=len)
    found = set(types)
    kind = next((k for t, k in KINDS.items() if t in found), "other")
    return Entry(
        iri,
        name,
        kind,
        tuple(normalized(n) for n in names),
        normalized(" ".join(fields.get("description", []))),
    )


class Words:
    """Each word to the things that hold it, and the words in order, to find them by their start.

    Most words of names and descriptions belong to one thing only, so such a word maps to that
    thing's IRI itself: a set for each would be most of the index's memory.
    """

    def __init__(self) -> None:
        self._things: dict[str, str | set[str]] = {}
        self._vocabulary: list[str] = []  # sorted

    def add(self, iri: str, texts: Iterable[str]) -> None:
        for word in {w for text in texts for w in _WORD.findall(text)}:
            held = self._things.get(word)
            if held is None:
                if word not in self._things:
                    bisect.insort(self._vocabulary, word)
                self._things[word] = iri
            elif isinstance(held, set):
                held.add(iri)
            elif held != iri:
                self._things[word] = {held, iri}

    def remove(self, iri: str, texts: Iterable[str]) -> None:
        for text in texts:
            for word in _WORD.findall(text):
                held = self._things.get(word)
                if isinstance(held, set):
                    held.discard(iri)
                elif held == iri:
                    self._things[word] = set()  # the word stays in the vocabulary

    def _of(self, word: str) -> set[str]:
        held = self._things.get(word)
        if held is None:
            return set()
        return set(held) if isinstance(held, set) else {held}

    def starting(self, term: str) -> set[str]:
        """The things with a word that starts with ``term`` (is ``term``, for one letter)."""
        if len(term) == 1:
            return self._of(term)
        found: set[str] = set()
        words, index = self._vocabulary, bisect.bisect_left(self._vocabulary, term)
        while index < len(words) and words[index].startswith(term):
            held = self._things[words[index]]
            if isinstance(held, set):
                found |= held
            else:
                found.add(held)
            index += 1
        return found

    def __len__(self) -> int:
        return len(self._vocabulary)

    def holding(self, terms: list[str]) -> set[str]:
        """The things holding a word that starts with each of ``terms``."""
        return set.intersection(*(self.starting(t) for t in terms))


class StillFilling(Exception):
    """The index is being filled, as it is after each start: a search would find too little."""


class SearchIndex:
    """Every searchable thing by IRI, and the words of their names and of their descriptions."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._names = Words()
        self._descriptions = Words()
        self._lock = threading.Lock()
        self._filled = threading.Event()
        # Things that writes indexed while ``fill`` read an earlier generation, which must not
        # put them back as they were; None once it is done.
        self._written: set[str] | None = set()
        self.examined = 0  # things ranked by searches so far: what tests count, not seconds

    @property
    def ready(self) -> bool:
        return self._filled.is_set()

    @property
    def size(self) -> tuple[int, int]:
        """Things indexed, and distinct words of their names and descriptions."""
        return len(self._entries), len(self._names) + len(self._descriptions)

    def held(self) -> tuple[object, ...]:
        """What the index holds, for a benchmark to measure its memory."""
        return self._entries, self._names, self._descriptions

    def fill(self, store: Dataset, catalog: QueryCatalog) -> None:
        """Index every name of the store: once, at start.

        The rows come ordered by thing, so each thing is indexed as soon as its last row has
        gone by: what is held meanwhile is one thing's names, not every name of the store.
        """
        current = ""
        fields: dict[str, list[str]] = defaultdict(list)
        types: set[str] = set()
        try:
            for row in select(store, catalog, "searchable"):
                iri, text = row["thing"], row["text"]
                if not isinstance(iri, ox.NamedNode) or not isinstance(text, ox.Literal):
                    continue
                if iri.value != current:
                    self._index(current, fields, types, filling=True)
                    current, fields, types = iri.value, defaultdict(list), set()
                field = str(getattr(row["field"], "value", ""))
                if text.value not in fields[field]:
                    fields[field].append(text.value)
                if isinstance(row["type"], ox.NamedNode):
                    types.add(row["type"].value)
            self._index(current, fields, types, filling=True)
            give_back_freed_memory()  # what reading every name of the store took
        finally:
            with self._lock:
                self._written = None
            self._filled.set()  # whatever happened, nobody waits for ever

    def _index(
        self, iri: str, fields: dict[str, list[str]], types: set[str], filling: bool = False
    ) -> None:
        entry = _entry(iri, fields, types) if iri else None
        if entry is not None:
            self._add(entry, filling)

    def _add(self, entry: Entry, filling: bool = False) -> None:
        with self._lock:
            if filling and self._written is not None and entry.iri in self._written:
                return  # a write indexed it from a later generation
            self._entries[entry.iri] = entry
            self._names.add(entry.iri, entry.names)
            self._descriptions.add(entry.iri, [entry.description])

    def _remove(self, iri: str) -> None:
        with self._lock:
            entry = self._entries.pop(iri, None)
            if entry is not None:
                self._names.remove(iri, entry.names)
                self._descriptions.remove(iri, [entry.description])

    def search(self, text: str, limit: int = 50) -> list[Entry]:
        """The things ``text`` finds, best first.

        Things whose names hold every word rank by how their names match (only those are
        looked at one by one); things whose descriptions do come after, in name order.
        ``StillFilling`` until the index is filled.
        """
        if not self._filled.is_set():
            raise StillFilling
        query, terms = normalized(text), words(text)
        if not terms:
            return []
        with self._lock:
            named = self._names.holding(terms)
            described = self._descriptions.holding(terms) - named
            self.examined += len(named)
            ranked = [
                (entry.rank(query), KIND_ORDER.index(entry.kind), entry.name.casefold(), iri)
                for iri in named
                if (entry := self._entries.get(iri)) is not None
            ]
            best = heapq.nsmallest(limit, ranked)
            if len(best) < limit:
                rest = [
                    (3, KIND_ORDER.index(entry.kind), entry.name.casefold(), iri)
                    for iri in described
                    if (entry := self._entries.get(iri)) is not None
                ]
                best += heapq.nsmallest(limit - len(best), rest)
            return [self._entries[iri] for *_, iri in best]

    def follow(self, store: Dataset, change: Change) -> None:
        """After ``change`` was applied to ``store``: each thing it touched, indexed again.

        While ``fill`` still reads, the things are indexed here all the same, and ``fill``
        leaves them as they are.
        """
        touched = {
            q.subject.value
            for q in change.quads
            if isinstance(q.subject, ox.NamedNode)
            and (q.predicate.value in FIELDS or q.predicate == TYPE)
        }
        with self._lock:
            if self._written is not None:
                self._written.update(touched)
        for iri in touched:
            subject = ox.NamedNode(iri)
            fields: dict[str, list[str]] = defaultdict(list)
            types: set[str] = set()
            for quad in store.quads_for_pattern(subject, None, None, None):
                if quad.predicate == TYPE and isinstance(quad.object, ox.NamedNode):
                    types.add(quad.object.value)
                field = FIELDS.get(quad.predicate.value)
                text = quad.object
                if field and isinstance(text, ox.Literal) and text.value not in fields[field]:
                    fields[field].append(text.value)
            self._remove(iri)
            self._index(iri, fields, types)
