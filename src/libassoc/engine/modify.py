"""The change of one ``DELETE``/``INSERT ... WHERE`` update, found from its WHERE's solutions.

An update that names the graphs it writes is carried out on a copy of the store and compared with
it in those graphs only (``changes.py``). One that writes ``GRAPH ?g`` could change any graph,
and comparing the copy with the store would read both whole: 97 s at 1M triples for one triple
deleted. Yet SPARQL defines such an operation by its WHERE: each solution fills in the DELETE
and INSERT templates, and the store loses the quads of the one and gains those of the other. So
the WHERE is evaluated as a ``SELECT`` of the templates' variables (on a copy, in a process of
its own, within the time limit, as any update is), and the templates are filled in here: the
cost is the WHERE's and the change's, not the store's.

The templates are parsed by Oxigraph as TriG, each variable standing in as an IRI that nothing
else can spell (a fresh UUID in it). One operation only, without ``WITH`` or ``USING`` (which
change the dataset the WHERE reads): anything else is staged and compared as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from string import Template

import pyoxigraph as ox

from libassoc.engine.outline import Token, block_end

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph | ox.Triple


@dataclass(frozen=True)
class Modify:
    """The templates of one DELETE/INSERT ... WHERE operation, and its WHERE as a query."""

    deleted: tuple[ox.Quad, ...]  # with placeholders for the variables
    inserted: tuple[ox.Quad, ...]
    variables: dict[str, str]  # placeholder IRI -> variable name
    query: str

    @classmethod
    def of(cls, text: str, prologue: str, items: list[Token], template: str) -> Modify | None:
        """The operation whose tokens are ``items`` (of ``text``), or None when it is not one
        this reads: another kind, ``WITH``, ``USING``, or a template TriG cannot parse.
        ``template``: the query its WHERE is asked as (``queries/staged/update-solutions``)."""
        words = [t.text.upper() if t.kind == "word" else "" for t in items]
        blocks: dict[str, tuple[int, int]] = {}
        kinds: tuple[str, ...]
        index = 0
        while index < len(items):
            word = words[index]
            if word == "DELETE" and index + 1 < len(items) and words[index + 1] == "WHERE":
                opening = index + 2
                kinds = ("DELETE", "WHERE")
            elif word in ("DELETE", "INSERT", "WHERE") and word not in blocks:
                opening = index + 1
                kinds = (word,)
            else:
                return None  # WITH, USING, DATA, a second block of a kind, ...
            if opening >= len(items) or items[opening].text != "{":
                return None
            end = block_end(items, opening)
            for kind in kinds:
                blocks[kind] = (opening, end)
            index = end
        if "WHERE" not in blocks or blocks.keys() == {"WHERE"}:
            return None
        prefix = f"urn:uuid:{uuid.uuid4()}:"
        variables: dict[str, str] = {}
        try:
            deleted, inserted = (
                _template(text, prologue, items, blocks.get(kind), prefix, variables)
                for kind in ("DELETE", "INSERT")
            )
        except SyntaxError:
            return None
        opening, end = blocks["WHERE"]
        where = text[items[opening].start : items[end - 1].start + 1]
        projection = " ".join(f"?{name}" for name in sorted(set(variables.values())))
        query = Template(template).substitute(
            prologue=prologue, projection=projection or "(1 AS ?matched)", where=where
        )
        return cls(deleted, inserted, variables, query)

    def quads(self, solutions: Iterable[ox.QuerySolution]) -> tuple[set[ox.Quad], set[ox.Quad]]:
        """The quads the solutions make of the DELETE template and of the INSERT template."""
        deleted: set[ox.Quad] = set()
        inserted: set[ox.Quad] = set()
        for solution in solutions:
            deleted.update(self._filled(self.deleted, solution))
            inserted.update(self._filled(self.inserted, solution))
        return deleted, inserted

    def _filled(
        self, template: tuple[ox.Quad, ...], solution: ox.QuerySolution
    ) -> Iterable[ox.Quad]:
        for pattern in template:
            terms = [
                self._value(term, solution)
                for term in (pattern.subject, pattern.predicate, pattern.object, pattern.graph_name)
            ]
            subject, predicate, obj, graph = terms
            # A variable left unbound, or bound to what cannot stand there, makes no quad.
            if (
                isinstance(subject, ox.NamedNode | ox.BlankNode)
                and isinstance(predicate, ox.NamedNode)
                and obj is not None
                and not isinstance(obj, ox.DefaultGraph)
                and isinstance(graph, ox.NamedNode | ox.DefaultGraph)
            ):
                yield ox.Quad(subject, predicate, obj, graph)

    def _value(self, term: object, solution: ox.QuerySolution) -> Term | None:
        if isinstance(term, ox.NamedNode) and term.value in self.variables:
            found: Term | None = solution[self.variables[term.value]]
            return found
        assert isinstance(term, Term)  # noqa: S101 (what the parser makes)
        return term


def _template(
    text: str,
    prologue: str,
    items: list[Token],
    block: tuple[int, int] | None,
    prefix: str,
    variables: dict[str, str],
) -> tuple[ox.Quad, ...]:
    """A template's quads, parsed as TriG with each variable as an IRI under ``prefix``."""
    if block is None:
        return ()
    opening, end = block
    parts: list[str] = []
    position = items[opening].start + 1
    for token in items[opening + 1 : end - 1]:
        parts.append(text[position : token.start])
        if token.kind == "var":
            placeholder = prefix + token.text[1:]
            variables[placeholder] = token.text[1:]
            parts.append(f"<{placeholder}>")
        else:
            parts.append(token.text)
        position = token.start + len(token.text)
    parts.append(text[position : items[end - 1].start])
    body = prologue + "".join(parts)
    try:
        return tuple(ox.parse(body, format=ox.RdfFormat.TRIG))
    except SyntaxError:
        # SPARQL lets a template's last triple outside GRAPH go without the "." TriG wants.
        return tuple(ox.parse(body + " .", format=ox.RdfFormat.TRIG))
