"""The change a write makes to the named graphs, worked out before anything is written.

A Graph Store request names its graph, so its change is read off that graph. A SPARQL update
made only of ``INSERT DATA`` and ``DELETE DATA`` is read off its own text: each block is parsed
as TriG, with the update's prologue, and looked up quad by quad. Either way the cost is the size
of the write (or of the graph it replaces), not of the store.

Any other update (``DELETE``/``INSERT ... WHERE``, ``CLEAR``, ``COPY`` ...) is carried out on a
checkpoint of the store and compared with it graph by graph: correct for every update, but it
reads the whole store, so it costs in proportion to it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from libassoc.engine.evaluation import parser_message
from libassoc.engine.outline import Token, tokens
from libassoc.engine.problem import HttpProblem
from libassoc.store import DEFAULT_GRAPH, Change, named_quads, net

DEFAULT_GRAPH_REFUSED = (
    "The write changes the default graph, which this endpoint derives as the merge of all "
    "named graphs. Write to a named graph instead: GRAPH <iri> { ... } in an update, or "
    "?graph=IRI in the Graph Store Protocol."
)


def _named(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> ox.NamedNode:
    if not isinstance(graph, ox.NamedNode):
        raise HttpProblem(403, DEFAULT_GRAPH_REFUSED)
    return graph


def _refuse_blank_nodes(quads: Iterable[ox.Quad]) -> None:
    for quad in quads:
        if isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode):
            raise HttpProblem(
                400,
                f"The write adds a blank node ({quad.triple}); the published data has none, so "
                "give every node an IRI.",
            )


def _graph_quads(store: ox.Store, graph: ox.NamedNode) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, graph))


def replace_graph(store: ox.Store, graph: ox.NamedNode, quads: list[ox.Quad]) -> Change:
    """Graph Store PUT: ``graph`` holds exactly ``quads`` afterwards."""
    _refuse_blank_nodes(quads)
    kept = set(quads)
    old = [q for q in _graph_quads(store, graph) if q not in kept]
    return net(store, quads, old, created=[graph])


def add_to_graph(store: ox.Store, graph: ox.NamedNode, quads: list[ox.Quad]) -> Change:
    """Graph Store POST: ``quads`` join ``graph``, which is made if it did not exist."""
    _refuse_blank_nodes(quads)
    return net(store, quads, (), created=[graph])


def drop_graph(store: ox.Store, graph: ox.NamedNode) -> Change:
    """Graph Store DELETE: ``graph`` and everything in it go."""
    if not store.contains_named_graph(graph):
        raise HttpProblem(404, f"This dataset has no graph <{graph.value}>.")
    return net(store, (), _graph_quads(store, graph), dropped=[graph])


def _check_syntax(text: str) -> None:
    """Oxigraph's verdict on the text, run against an empty store so that nothing is read."""
    try:
        ox.Store().update(text)
    except SyntaxError as error:
        raise HttpProblem(
            400, f"The update is not valid SPARQL: {parser_message(error)}"
        ) from error


Operation = tuple[str, list[Token]]  # the prologue's text so far, and the operation's tokens


def _operations(text: str) -> list[Operation] | None:
    """Each operation with the prologue before it, if every one is INSERT DATA or DELETE DATA.

    None for any other update. Operations are separated by ``;`` outside braces; a PREFIX or
    BASE holds for the operations after it.
    """
    found: list[Operation] = []
    prologue: list[str] = []
    current: list[Token] = []
    depth = 0
    items = tokens(text)
    index = 0
    while index < len(items):
        token = items[index]
        keyword = token.text.upper() if token.kind == "word" else ""
        if not current and keyword in ("PREFIX", "BASE"):
            width = 3 if keyword == "PREFIX" else 2
            prologue.append(" ".join(t.text for t in items[index : index + width]))
            index += width
            continue
        index += 1
        if token.kind == "other" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        if depth == 0 and token.kind == "other" and token.text == ";":
            found.append(("\n".join(prologue) + "\n", current))
            current = []
        else:
            current.append(token)
    if current:
        found.append(("\n".join(prologue) + "\n", current))
    for _, operation in found:
        words = [t.text.upper() for t in operation[:2] if t.kind == "word"]
        if len(words) < 2 or words[0] not in ("INSERT", "DELETE") or words[1] != "DATA":
            return None
        if len(operation) < 4 or operation[2].text != "{" or operation[-1].text != "}":
            return None
    return found


def _data_quads(text: str, prologue: str, operation: list[Token]) -> list[ox.Quad]:
    """The quads of one INSERT DATA or DELETE DATA block, parsed as TriG."""
    opening, closing = operation[2], operation[-1]
    body = text[opening.start + 1 : closing.start]
    # SPARQL's text is valid (checked first); the few forms of it TriG lacks (a "." after a
    # GRAPH block) raise here, and the caller stages such an update instead.
    quads = list(ox.parse(prologue + body, format=ox.RdfFormat.TRIG))
    for quad in quads:
        _named(quad.graph_name)
    return quads


def update_change(store: ox.Store, text: str, scratch: Path) -> Change:
    """The change the SPARQL update ``text`` makes to ``store``."""
    _check_syntax(text)
    operations = _operations(text)
    try:
        blocks = [
            (operation[0].text.upper(), _data_quads(text, prologue, operation))
            for prologue, operation in operations or ()
        ]
    except SyntaxError:
        operations = None
    if operations is None:
        return _staged_change(store, text, scratch)
    added: set[ox.Quad] = set()
    removed: set[ox.Quad] = set()
    # Operations run in order: a later one sees what an earlier one did.
    for keyword, quads in blocks:
        if keyword == "INSERT":
            _refuse_blank_nodes(quads)
            for quad in quads:
                if quad in removed:
                    removed.discard(quad)
                elif quad not in store:
                    added.add(quad)
        else:
            for quad in quads:
                if quad in added:
                    added.discard(quad)
                elif quad in store:
                    removed.add(quad)
    created = {_named(q.graph_name) for q in added}
    return net(store, added, removed, created=created)


def _staged_change(store: ox.Store, text: str, scratch: Path) -> Change:
    """Run ``text`` on a checkpoint of ``store`` and compare the two."""
    folder = Path(tempfile.mkdtemp(prefix="staged-", dir=scratch))
    try:
        store.flush()
        store.backup(str(folder / "store"))
        staged = ox.Store(str(folder / "store"))
        before_default = store.quads_for_pattern(None, None, None, DEFAULT_GRAPH)
        staged.update(text)
        if set(staged.quads_for_pattern(None, None, None, DEFAULT_GRAPH)) != set(before_default):
            raise HttpProblem(403, DEFAULT_GRAPH_REFUSED)
        old, new = set(named_quads(store)), set(named_quads(staged))
        _refuse_blank_nodes(new - old)
        old_graphs, new_graphs = set(store.named_graphs()), set(staged.named_graphs())
        del staged
        return net(
            store,
            new - old,
            old - new,
            created=new_graphs - old_graphs,
            dropped=old_graphs - new_graphs,
        )
    except OSError as error:  # a SERVICE call to an allow-listed endpoint failed
        raise HttpProblem(502, f"The update could not be completed: {error}") from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)
