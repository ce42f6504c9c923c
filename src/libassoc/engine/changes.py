"""The change a write makes to the named graphs, worked out before anything is written.

A Graph Store request names its graph, so its change is read off that graph. A SPARQL update
made only of ``INSERT DATA`` and ``DELETE DATA`` is read off its own text: each block is parsed
as TriG, with the update's prologue, and looked up quad by quad. Either way the cost is the size
of the write (or of the graph it replaces), not of the store.

Any other update (``DELETE``/``INSERT ... WHERE``, ``CLEAR``, ``COPY`` ...) is carried out on a
checkpoint of the store and compared with it, only in the graphs it names, when it names every
graph it writes (``GRAPH <iri>``, ``WITH <iri>``). One ``DELETE``/``INSERT ... WHERE`` that does
not (``GRAPH ?g``) has its WHERE evaluated there instead, and its templates filled in with the
solutions (``modify.py``). Anything else (``CLEAR ALL``, several such operations in one request)
is compared in the whole store, which costs in proportion to the store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from libassoc.dataset import Dataset, present
from libassoc.engine.evaluation import parser_message
from libassoc.engine.modify import Modify
from libassoc.engine.outline import Resolver, Token, block_end, tokens
from libassoc.engine.problem import HttpProblem
from libassoc.engine.staging import select_staged, update_staged
from libassoc.settings import Paths
from libassoc.store import DEFAULT_GRAPH, Change, net
from libassoc.validation import ONTOLOGY_GRAPH

DEFAULT_GRAPH_REFUSED = (
    "The write changes the default graph, which this endpoint derives as the merge of all "
    "named graphs. Write to a named graph instead: GRAPH <iri> { ... } in an update, or "
    "?graph=IRI in the Graph Store Protocol."
)

STAGING_REFUSED = (
    "In front of a remote store this endpoint validates the updates that list their quads (the "
    "DATA forms of INSERT and DELETE) and Graph Store Protocol writes; an update with a WHERE "
    "clause, a CLEAR or a COPY can only be validated on a copy of the store, which it does not "
    "have. Send the quads it would change, listed."
)


def _named(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> ox.NamedNode:
    if not isinstance(graph, ox.NamedNode):
        raise HttpProblem(403, DEFAULT_GRAPH_REFUSED)
    return graph


def _refuse_unpublishable(quads: Iterable[ox.Quad]) -> None:
    """400 for a blank node or an RDF 1.2 triple term: the published data has neither."""
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                raise HttpProblem(
                    400,
                    f"The write adds a blank node ({quad.triple}); the published data has none, "
                    "so give every node an IRI.",
                )
            if isinstance(term, ox.Triple):
                raise HttpProblem(
                    400,
                    f"The write adds a triple term ({quad.triple}); the published data is RDF 1.1 "
                    "and its validation cannot read RDF 1.2 triple terms.",
                )


def refuse_ontology_changes(change: Change) -> None:
    """403 for a change to the ontology's graph: the contract every other graph is checked
    against is published from ontology/libassoc.ttl and changes with the software."""
    graphs = {q.graph_name for q in change.quads} | change.created | change.dropped
    if ONTOLOGY_GRAPH in graphs:
        raise HttpProblem(
            403,
            f"<{ONTOLOGY_GRAPH.value}> is the ontology, published from ontology/libassoc.ttl; "
            "change that file and restart the server instead.",
        )


def _graph_quads(store: Dataset, graph: ox.NamedNode) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, graph))


def replace_graph(store: Dataset, graph: ox.NamedNode, quads: list[ox.Quad]) -> Change:
    """Graph Store PUT: ``graph`` holds exactly ``quads`` afterwards."""
    _refuse_unpublishable(quads)
    kept = set(quads)
    old = [q for q in _graph_quads(store, graph) if q not in kept]
    return net(store, quads, old, created=[graph])


def add_to_graph(store: Dataset, graph: ox.NamedNode, quads: list[ox.Quad]) -> Change:
    """Graph Store POST: ``quads`` join ``graph``, which is made if it did not exist."""
    _refuse_unpublishable(quads)
    return net(store, quads, (), created=[graph])


def drop_graph(store: Dataset, graph: ox.NamedNode) -> Change:
    """Graph Store DELETE: ``graph`` and everything in it go."""
    if not store.contains_named_graph(graph):
        raise HttpProblem(404, f"This dataset has no graph <{graph.value}>.")
    return net(store, (), _graph_quads(store, graph), dropped=[graph])


def _check_syntax(text: str) -> None:
    """400 when Oxigraph cannot parse the text.

    pyoxigraph has no parser apart from the evaluator, so the update runs against an empty
    store: only a syntax error counts here. What it does to real data (a CLEAR of a graph that
    the empty store lacks) is found out on the data itself.
    """
    try:
        ox.Store().update(text)
    except SyntaxError as error:
        raise HttpProblem(
            400, f"The update is not valid SPARQL: {parser_message(error)}"
        ) from error
    except (RuntimeError, ValueError, OSError):
        pass


@dataclass(frozen=True)
class Operation:
    """One operation of an update: the prologue so far (as text and as a resolver), its tokens."""

    prologue: str
    names: Resolver
    tokens: list[Token]

    @property
    def keywords(self) -> list[str]:
        return [t.text.upper() for t in self.tokens[:2] if t.kind == "word"]

    @property
    def is_data(self) -> bool:
        """INSERT DATA or DELETE DATA with its block."""
        words = self.keywords
        return (
            len(words) == 2
            and words[0] in ("INSERT", "DELETE")
            and words[1] == "DATA"
            and len(self.tokens) >= 4
            and self.tokens[2].text == "{"
            and self.tokens[-1].text == "}"
        )


def _split(text: str) -> list[Operation]:
    """The operations of an update, separated by ``;`` outside braces.

    A PREFIX or BASE holds for the operations after it.
    """
    found: list[Operation] = []
    prologue: list[str] = []
    names = Resolver()
    current: list[Token] = []
    depth = 0
    items = tokens(text)
    index = 0

    def close() -> None:
        if current:
            found.append(Operation("\n".join(prologue) + "\n", names.copy(), list(current)))
            current.clear()

    while index < len(items):
        token = items[index]
        keyword = token.text.upper() if token.kind == "word" else ""
        if not current and keyword in ("PREFIX", "BASE"):
            width = 3 if keyword == "PREFIX" else 2
            declaration = items[index : index + width]
            prologue.append(" ".join(t.text for t in declaration))
            if keyword == "BASE" and len(declaration) == 2:
                names.base = names.iri(declaration[1]) or names.base
            elif len(declaration) == 3 and declaration[1].kind == "pname":
                resolved = names.iri(declaration[2])
                if resolved is not None:
                    names.prefixes[declaration[1].text.rstrip(":")] = resolved
            index += width
            continue
        index += 1
        if token.kind == "other" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        if depth == 0 and token.kind == "other" and token.text == ";":
            close()
        else:
            current.append(token)
    close()
    return found


def _block_graphs(block: list[Token], names: Resolver, default: str | None) -> set[str] | None:
    """The graphs a template (or quad data) block writes to, inside its braces.

    None when a triple outside ``GRAPH <iri> { }`` would go to the default graph (no WITH), or
    when a GRAPH names a variable: then any graph may change.
    """
    found: set[str] = set()
    depth, index = 0, 0
    while index < len(block):
        token = block[index]
        index += 1
        if token.kind == "other" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
            continue
        if depth != 1 or (token.kind == "other" and token.text == "."):
            continue
        if token.kind == "word" and token.text.upper() == "GRAPH" and index < len(block):
            graph = _absolute(names.iri(block[index]))
            if graph is None:
                return None
            found.add(graph)
            index += 1
            continue
        if default is None:
            return None
        found.add(default)
    return found


def _graph_operand(items: list[Token], index: int, names: Resolver) -> str | None:
    """The graph named at ``items[index]`` after an optional GRAPH; None for DEFAULT or other."""
    if index < len(items) and items[index].kind == "word" and items[index].text.upper() == "GRAPH":
        index += 1
    return _absolute(names.iri(items[index])) if index < len(items) else None


def _absolute(iri: str | None) -> str | None:
    """``iri`` when it is absolute; None for what the resolver could not resolve (a relative IRI
    against a base such as ``urn:``), so that the caller compares every graph instead."""
    return iri if iri is not None and ":" in iri else None


def graphs_written(text: str) -> frozenset[str] | None:
    """The named graphs the update ``text`` can change, or None when it may change any graph or
    the default graph (``GRAPH ?g``, ``DEFAULT``, ``ALL``, a triple outside GRAPH without WITH)."""
    written: set[str] = set()
    for operation in _split(text):
        items, names = operation.tokens, operation.names
        words = [t.text.upper() if t.kind == "word" else "" for t in items]
        if not words:
            continue
        if words[0] in ("CLEAR", "DROP", "CREATE"):
            at = 2 if len(words) > 1 and words[1] == "SILENT" else 1
            graph = _graph_operand(items, at, names)
            if graph is None or at >= len(words) or words[at] != "GRAPH":
                return None
            written.add(graph)
            continue
        if words[0] in ("ADD", "MOVE", "COPY"):
            if "TO" not in words:
                return None
            source_at = 2 if len(words) > 1 and words[1] == "SILENT" else 1
            source = _graph_operand(items, source_at, names)
            target = _graph_operand(items, words.index("TO") + 1, names)
            if source is None or target is None:
                return None
            written.update((source, target) if words[0] == "MOVE" else (target,))
            continue
        with_graph = (
            _absolute(names.iri(items[1])) if words[0] == "WITH" and len(items) > 1 else None
        )
        if words[0] == "WITH" and with_graph is None:
            return None
        index = 2 if words[0] == "WITH" else 0
        # DELETE { } INSERT { } (USING ...) WHERE { }, DELETE WHERE { }, INSERT/DELETE DATA { }
        while index < len(items):
            word = words[index]
            if word in ("DELETE", "INSERT"):
                opening = index + 1
                if opening < len(items) and words[opening] in ("DATA", "WHERE"):
                    opening += 1
                if opening >= len(items) or items[opening].text != "{":
                    return None
                end = block_end(items, opening)
                graphs = _block_graphs(items[opening:end], names, with_graph)
                if graphs is None:
                    return None
                written.update(graphs)
                index = end
            elif word == "WHERE" or word == "USING":
                break
            else:
                return None
    return frozenset(written)


def _data_quads(text: str, operation: Operation) -> list[ox.Quad]:
    """The quads of one INSERT DATA or DELETE DATA block, parsed as TriG."""
    opening, closing = operation.tokens[2], operation.tokens[-1]
    body = text[opening.start + 1 : closing.start]
    # SPARQL's text is valid (checked first); the few forms of it TriG lacks (a "." after a
    # GRAPH block) raise here, and the caller stages such an update instead.
    quads = list(ox.parse(operation.prologue + body, format=ox.RdfFormat.TRIG))
    for quad in quads:
        _named(quad.graph_name)
    return quads


def update_change(
    store: Dataset, text: str, scratch: Path | None, limit: float | None = None
) -> Change:
    """The change the SPARQL update ``text`` makes to ``store``; one that must be carried out
    to be known takes ``limit`` seconds at most (None: no limit), on a copy of ``store`` made in
    ``scratch`` (None: there is no copy to make, and such an update is refused with 501)."""
    _check_syntax(text)
    operations = _split(text)
    try:
        blocks = [
            (operation.keywords[0], _data_quads(text, operation))
            for operation in operations
            if operation.is_data
        ]
    except SyntaxError:
        blocks = []
    if not operations or len(blocks) != len(operations):
        if scratch is None or not isinstance(store, ox.Store):
            raise HttpProblem(501, STAGING_REFUSED)
        return _staged_change(store, text, scratch, limit)
    added: set[ox.Quad] = set()
    removed: set[ox.Quad] = set()
    there = present(store, (quad for _, quads in blocks for quad in quads))
    # Operations run in order: a later one sees what an earlier one did.
    for keyword, quads in blocks:
        if keyword == "INSERT":
            _refuse_unpublishable(quads)
            for quad in quads:
                if quad in removed:
                    removed.discard(quad)
                elif quad not in there:
                    added.add(quad)
        else:
            for quad in quads:
                if quad in added:
                    added.discard(quad)
                elif quad in there:
                    removed.add(quad)
    created = {_named(q.graph_name) for q in added}
    return net(store, added, removed, created=created)


def _staged_change(store: ox.Store, text: str, scratch: Path, limit: float | None) -> Change:
    """The change ``text`` makes, found on a checkpoint of ``store``.

    When the text names every graph it writes (``graphs_written``), it is carried out there and
    only those graphs are compared, and the default graph cannot have changed. One DELETE/INSERT
    ... WHERE that does not has its WHERE evaluated there (``modify.py``). Anything else is
    carried out there and the whole stores are compared.
    """
    named = graphs_written(text)
    operations = _split(text)
    modify = (
        Modify.of(text, operations[0].prologue, operations[0].tokens, _solutions_query())
        if named is None and len(operations) == 1
        else None
    )
    folder = Path(tempfile.mkdtemp(prefix="staged-", dir=scratch))
    try:
        store.flush()
        store.backup(str(folder / "store"))
        if modify is not None:
            return _filled_change(
                store, modify, select_staged(folder / "store", modify.query, limit)
            )
        update_staged(folder / "store", text, limit)
        staged = ox.Store(str(folder / "store"))
        if named is None:
            before, after = _everything(store), _everything(staged)
            if before.pop(DEFAULT_GRAPH, set()) != after.pop(DEFAULT_GRAPH, set()):
                raise HttpProblem(403, DEFAULT_GRAPH_REFUSED)
        else:
            graphs = [ox.NamedNode(iri) for iri in named]
            before, after = _graphs(store, graphs), _graphs(staged, graphs)
        old = set().union(*before.values()) if before else set()
        new = set().union(*after.values()) if after else set()
        _refuse_unpublishable(new - old)
        created = [g for g in after if g not in before and isinstance(g, ox.NamedNode)]
        dropped = [g for g in before if g not in after and isinstance(g, ox.NamedNode)]
        del staged
        return net(store, new - old, old - new, created=created, dropped=dropped)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@cache
def _solutions_query() -> str:
    return Paths().update_solutions.read_text(encoding="utf-8")


def _filled_change(
    store: ox.Store, modify: Modify, solutions: Iterable[ox.QuerySolution]
) -> Change:
    """What ``modify`` does to ``store``, given its WHERE's solutions: the store loses the quads
    the DELETE template makes, then gains those the INSERT template makes."""
    deleted, inserted = modify.quads(solutions)
    _refuse_unpublishable(inserted)
    created = {q.graph_name for q in inserted if isinstance(q.graph_name, ox.NamedNode)}
    change = net(store, inserted, deleted - inserted, created=created)
    for quad in change.quads:
        _named(quad.graph_name)  # 403 for the default graph, as when it is compared
    return change


Contents = dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, set[ox.Quad]]


def _graphs(store: ox.Store, graphs: Iterable[ox.NamedNode]) -> Contents:
    """The quads of each of ``graphs`` that exists in ``store``."""
    return {
        graph: set(store.quads_for_pattern(None, None, None, graph))
        for graph in graphs
        if store.contains_named_graph(graph)
    }


def _everything(store: ox.Store) -> Contents:
    """Every graph of ``store`` with its quads, the default graph too: reads the whole store."""
    found: Contents = {graph: set() for graph in store.named_graphs()}
    found[DEFAULT_GRAPH] = set()
    for quad in store.quads_for_pattern(None, None, None, None):
        found.setdefault(quad.graph_name, set()).add(quad)
    return found
