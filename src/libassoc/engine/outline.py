"""What a SPARQL text asks for, found by scanning its tokens before anything evaluates it.

pyoxigraph offers no parser without an evaluator, and evaluating is exactly what must not happen
before we know whether the text would reach the network: Oxigraph follows ``SERVICE`` and
``LOAD`` itself. So a small lexer, faithful to the SPARQL 1.1 grammar for strings, comments, IRIs
and prefixed names, finds the query form and every IRI that ``SERVICE``, ``FROM``, ``FROM NAMED``
and ``LOAD`` name. It decides nothing about validity: Oxigraph's parser does that afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = _PN_CHARS_BASE + "_0-9\u00b7\u0300-\u036f\u203f-\u2040\\-"

_PN_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_PLX = rf"(?:%[0-9A-Fa-f]{{2}}|{_PN_LOCAL_ESC})"
_PN_PREFIX = rf"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = rf"(?:[{_PN_CHARS}:]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"

_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<space>\s+)",
            r"(?P<comment>#[^\n\r]*)",
            r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''"
            r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
            r"|'(?:[^'\\\n\r]|\\.)*'"
            r'|"(?:[^"\\\n\r]|\\.)*")',
            r'(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)',
            rf"(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)",
            rf"(?P<var>[?$][{_PN_CHARS}]+)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*)",
            r"(?P<other>.)",
        )
    ),
    re.DOTALL,
)

FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
# SPARQL 1.1's functions whose value is new at each evaluation of a query.
VOLATILE_FUNCTIONS = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int = 0  # where the token begins in the text


@dataclass(frozen=True)
class Outline:
    """The query form (None for an update or an unreadable text) and the IRIs it would fetch.

    Frozen: the scan of a text is remembered and shared by every request that sends it.
    """

    form: str | None = None
    services: tuple[str, ...] = ()
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    loads: tuple[str, ...] = ()
    unnamed_services: int = 0
    depth: int = 0  # see ``nesting_depth``
    volatile: bool = False  # calls a function whose value differs from one evaluation to the next

    @property
    def dataset(self) -> tuple[str, ...]:
        """Every graph that FROM and FROM NAMED name."""
        return (*self.from_graphs, *self.from_named_graphs)


def tokens(text: str) -> list[Token]:
    """The tokens of ``text`` that carry meaning (no white space, no comments)."""
    found: list[Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            found.append(Token(kind, match.group(), match.start()))
    return found


def block_end(items: list[Token], start: int) -> int:
    """The index just past the ``{...}`` block that opens at ``items[start]``."""
    depth = 0
    for index in range(start, len(items)):
        if items[index].kind == "other" and items[index].text in "{}":
            depth += 1 if items[index].text == "{" else -1
            if depth == 0:
                return index + 1
    return len(items)


_PNAME_ESCAPE = re.compile(r"\\(.)")


class Resolver:
    """Turns IRI references and prefixed names into absolute IRIs, following PREFIX and BASE."""

    def __init__(self) -> None:
        self.base = ""
        self.prefixes: dict[str, str] = {}

    def copy(self) -> Resolver:
        other = Resolver()
        other.base, other.prefixes = self.base, dict(self.prefixes)
        return other

    def iri(self, token: Token) -> str | None:
        if token.kind == "iri":
            return urljoin(self.base, token.text[1:-1]) if self.base else token.text[1:-1]
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            return None if namespace is None else namespace + _PNAME_ESCAPE.sub(r"\1", local)
        return None


# Clients repeat the same texts (example queries, dashboards), and scanning costs a good part
# of a cheap query's time. Only texts up to this length are kept, so that a client sending
# long texts cannot fill the memory with them.
CACHED_TEXT_CHARS = 10_000


def outline(text: str) -> Outline:
    """Scan ``text`` once: the form, and what SERVICE, FROM (NAMED) and LOAD name."""
    return _remembered_scan(text) if len(text) <= CACHED_TEXT_CHARS else _scan(text)


def _scan(text: str) -> Outline:
    form: str | None = None
    volatile = False
    targets: dict[str, list[str | None]] = {kind: [] for kind in _TARGET_KINDS}
    resolver = Resolver()
    items = tokens(text)
    for index, token in enumerate(items):
        if token.kind != "word":
            continue
        keyword = token.text.upper()
        following = items[index + 1 : index + 4]
        if keyword in VOLATILE_FUNCTIONS and following and following[0].text == "(":
            volatile = True
        elif keyword == "PREFIX" and len(following) >= 2 and following[0].kind == "pname":
            resolved = resolver.iri(following[1])
            if resolved is not None:
                resolver.prefixes[following[0].text.rstrip(":")] = resolved
        elif keyword == "BASE" and following:
            resolver.base = resolver.iri(following[0]) or resolver.base
        elif keyword in FORMS and form is None:
            form = keyword
        elif keyword in ("SERVICE", "LOAD", "FROM"):
            kind, target = _target(keyword, following, resolver)
            targets[kind].append(target)

    def named(kind: str) -> tuple[str, ...]:
        return tuple(iri for iri in targets[kind] if iri is not None)

    return Outline(
        depth=nesting_depth(items),
        form=form,
        services=named("SERVICE"),
        from_graphs=named("FROM"),
        from_named_graphs=named("FROM NAMED"),
        loads=named("LOAD"),
        unnamed_services=targets["SERVICE"].count(None),
        volatile=volatile,
    )


# Oxigraph parses and evaluates recursively, so a text that nests deeply enough overflows the
# stack of the process that reads it. Measured on pyoxigraph 0.5 with the usual 8 MB stack, one
# kind at a time: 2,200 nested groups, 4,500 nested parentheses, 950 nested function calls,
# 2,500 BINDs or projected expressions in a row, 6,500 chained UNIONs, 7,000 chained `+` or
# 20,000 triple patterns in one group end the process. Its parse tree nests one level for each
# open bracket and for each element chained inside it (an operator, a triple pattern, a group or
# a call after another), brackets costing the most stack.
BRACKET_DEPTH = 8
_OPENING = frozenset("{([")
_CLOSING = frozenset("})]")
# Operators whose chains nest: `a || b || c` is `(a || b) || c`. A comparison is not among them:
# the grammar allows one per operand, so `?x = 1 || ?x = 2` chains only `||`.
_OPERATORS = frozenset("|&+-*/!^")
_SECOND_OF_PAIR = frozenset({"||", "&&", "^^"})  # counted with the first, or no operator at all
_NOT_OPERATORS = frozenset({"^^", "!="})  # a datatype marker, a comparison
# Triple patterns follow one another after these, in a group or a blank node's brackets; in
# parentheses a comma separates arguments, which do not nest.
_PATTERN_SEPARATORS = frozenset(".;,")
# Words after which a `{` opens data (rows, triples to add, a template), which is kept flat.
_DATA_BLOCKS = frozenset({"VALUES", "DATA"})
_TEMPLATES = frozenset({"CONSTRUCT", "INSERT", "DELETE"})


def nesting_depth(items: list[Token]) -> int:
    """How deep the parse tree of these tokens can nest: ``BRACKET_DEPTH`` for each bracket open
    at once, plus one for each element chained inside the open ones: an operator (``||``
    counts once), a triple pattern, a closed bracket after another. In a block of data (VALUES
    rows, INSERT DATA, a CONSTRUCT template) only brackets count.

    An upper bound, counted without parsing: what matters is that a text within the limit cannot
    overflow the parser, not that every counted level exists.
    """
    depth = deepest = 0
    openers = [""]  # the open brackets, outermost first
    chained = [0]  # what has been chained inside each of them
    data_from: int | None = None  # how many brackets were open when a block of data opened
    data_next = False
    for index, token in enumerate(items):
        text = token.text
        counts = False
        if token.kind == "word":
            keyword = text.upper()
            following = items[index + 1].text if index + 1 < len(items) else ""
            data_next = (
                data_next or keyword in _DATA_BLOCKS or (keyword in _TEMPLATES and following == "{")
            )
        elif token.kind != "other":
            pass
        elif text in _OPENING:
            if data_next and text == "{" and data_from is None:
                data_from, data_next = len(openers), False
            depth += BRACKET_DEPTH
            openers.append(text)
            chained.append(0)
        elif text in _CLOSING and len(openers) > 1:
            openers.pop()
            depth -= BRACKET_DEPTH + chained.pop()
            if data_from is not None and len(openers) <= data_from:
                data_from = None
            counts = True  # `{...} {...}`, `BIND(...) BIND(...)`: each follows the one before
        elif text in _PATTERN_SEPARATORS:
            counts = openers[-1] in "{["
        else:
            counts = text in _OPERATORS and _is_operator(items, index)
        if counts and data_from is None:
            depth += 1
            chained[-1] += 1
        deepest = max(deepest, depth)
    return deepest


def _is_operator(items: list[Token], index: int) -> bool:
    """Whether the character at ``index`` counts as an operator of its own."""
    token = items[index]
    before = items[index - 1] if index > 0 else None
    after = items[index + 1] if index + 1 < len(items) else None
    adjacent_before = before is not None and before.start + 1 == token.start
    if adjacent_before and before is not None and before.text + token.text in _SECOND_OF_PAIR:
        return False
    if after is not None and token.start + 1 == after.start:
        return token.text + after.text not in _NOT_OPERATORS
    return True


_remembered_scan = lru_cache(maxsize=1024)(_scan)
_TARGET_KINDS = ("SERVICE", "LOAD", "FROM", "FROM NAMED")


def _target(keyword: str, following: list[Token], resolver: Resolver) -> tuple[str, str | None]:
    """The kind (``FROM NAMED`` apart from ``FROM``) and the IRI after SERVICE [SILENT],
    LOAD [SILENT] or FROM [NAMED]; None when no IRI can be read there."""
    optional = "NAMED" if keyword == "FROM" else "SILENT"
    flagged = bool(following) and following[0].kind == "word"
    flagged = flagged and following[0].text.upper() == optional
    if flagged:
        following = following[1:]
    kind = "FROM NAMED" if keyword == "FROM" and flagged else keyword
    target = resolver.iri(following[0]) if following else None
    # None: a variable, an undeclared prefix or anything else, nothing one could allow-list.
    # An unnamed SERVICE is counted; an unnamed FROM or LOAD is Oxigraph's parser's to refuse.
    return kind, target
