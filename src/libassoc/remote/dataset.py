"""A remote SPARQL 1.1 store as the dataset (``dataset.Dataset``), read and written over HTTP.

Every read is one of the project's queries (``queries/remote/``) with its values bound inline
(``bindings.py``), and results are parsed as they arrive, so reading a whole graph never holds
its answer twice. The remote's named graphs under the base IRI are the dataset (a store may hold
graphs of its own: Virtuoso does); its default graph, the merge, is read where it is kept
(``RemoteEndpoints.default_graph``); a graph exists while it holds a triple, which is all that
stores such as Virtuoso keep of a graph.

A failure of the remote becomes an HttpProblem saying what happened: 400 for a query the remote
found wrong, 503 when it does not answer in time, 502 for anything else.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import groupby, zip_longest
from string import Template
from typing import TypeVar

import httpx
import pyoxigraph as ox

from libassoc.catalog import QueryCatalog
from libassoc.dataset import GraphName, Term
from libassoc.engine.outline import outline
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import BASE
from libassoc.remote.access import RemoteEndpoints
from libassoc.remote.bindings import Value, with_rows, with_values
from libassoc.store import DEFAULT_GRAPH, Change, plan

log = logging.getLogger(__name__)

T = TypeVar("T")
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# Asked for CONSTRUCT and DESCRIBE: N-Triples first, which every store writes and which parses
# as it streams; Turtle and RDF/XML for stores that write nothing else.
RDF_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
RETRY_AFTER_SECONDS = "5"
GRACE_SECONDS = 5.0
# Patterns bound in one request: a few tens of kilobytes of query, which every store takes.
ROWS_PER_REQUEST = 400
# Quads in one DELETE DATA or INSERT DATA block: Virtuoso refuses about 5,000.
QUADS_PER_BLOCK = 2000
VIRTUOSO_ASK = "__ASK_RETVAL"
VIRTUOSO_TIMED_OUT = "S1TAT"
TRUE, FALSE = b'{"head":{},"boolean":true}', b'{"head":{},"boolean":false}'


# An empty store, for its parser: pyoxigraph parses a query only on the way to evaluating it.
_PARSER = ox.Store()


class ResponseFile(io.RawIOBase):
    """An HTTP response's body as a file that is read as it arrives; closing it closes the
    response (an answer left half read frees its connection)."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._chunks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._response.close()
        super().close()


def _graph_value(graph: GraphName | None) -> ox.NamedNode | None:
    if graph is None or isinstance(graph, ox.DefaultGraph):
        return None
    if not isinstance(graph, ox.NamedNode):
        raise TypeError(f"a remote store names its graphs by IRI, not {graph!r}")
    return graph


def _bindings(**values: object) -> dict[str, Value]:
    bound: dict[str, Value] = {}
    for name, value in values.items():
        if value is None:
            continue
        if not isinstance(value, ox.NamedNode | ox.Literal):
            raise TypeError(f"a remote store is asked about IRIs and literals, not {value!r}")
        bound[name] = value
    return bound


class RemoteDataset:
    """The named graphs of the store at ``endpoints``; ``time_limit`` bounds every request."""

    def __init__(
        self, endpoints: RemoteEndpoints, catalog: QueryCatalog, time_limit: float = 30.0
    ) -> None:
        self.endpoints = endpoints
        self.time_limit = time_limit
        self._catalog = catalog
        self._client = httpx.Client(
            auth=endpoints.auth,
            # Beyond the limit by a grace: a store told the limit (Virtuoso) says so itself, a
            # moment after it; the client's own wait ends at the limit (engine/remote.py).
            timeout=httpx.Timeout(time_limit + GRACE_SECONDS, connect=10.0),
            headers={"user-agent": "libassoc"},
        )
        # What the store calls itself (its Server header): which timeout parameter it reads.
        self.server = ""
        # The dataset's named graphs, kept by the service: with the merge in a named graph of
        # its own, the named graphs of every query sent on.
        self.dataset_graphs: frozenset[str] = frozenset()
        self.requests = 0  # every request sent: tests count the work a page or a write costs

    def close(self) -> None:
        self._client.close()

    def _text(self, name: str) -> str:
        return self._catalog.get(f"remote/{name}").text

    def _timeout_parameter(self) -> dict[str, str]:
        """The store's own limit, so a query libassoc abandons does not run on there."""
        server = self.server.lower()
        if "virtuoso" in server:
            return {"timeout": str(int(self.time_limit * 1000))}  # milliseconds
        if "fuseki" in server or "jena" in server:
            return {"timeout": f"{self.time_limit:g}"}  # seconds
        return {}

    def _send(
        self, url: str, form: Mapping[str, str | list[str]], accept: str | None
    ) -> httpx.Response:
        """POST ``form`` to ``url``; the response, streaming, or HttpProblem."""
        headers = {"accept": accept} if accept else {}
        self.requests += 1
        try:
            request = self._client.build_request("POST", url, data=dict(form), headers=headers)
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as error:
            raise HttpProblem(
                503,
                f"The remote store did not answer within {self.time_limit:g} s; the request was "
                "abandoned.",
                {"Retry-After": RETRY_AFTER_SECONDS},
            ) from error
        except httpx.HTTPError as error:
            # The log has the address; the client, whom it does not concern, does not.
            log.error("the remote store could not be reached: %s", error)
            raise HttpProblem(
                502,
                "The remote store could not be reached; try again shortly.",
                {"Retry-After": RETRY_AFTER_SECONDS},
            ) from error
        self.server = response.headers.get("server", self.server)
        if response.headers.get("x-sql-state") == VIRTUOSO_TIMED_OUT:
            # Virtuoso stops at its timeout parameter and answers 200 with what it had: a
            # partial answer must not pass for the answer.
            response.close()
            raise HttpProblem(
                503,
                f"The remote store stopped the query at the time limit of {self.time_limit:g} s.",
                {"Retry-After": RETRY_AFTER_SECONDS},
            )
        if response.status_code >= 300:
            said = response.read().decode(errors="replace").strip()[:1000]
            response.close()
            if response.status_code in (400, 422):
                # About the query; its first line only, since stores echo the text they ran.
                first = said.splitlines()[0][:300] if said else ""
                raise HttpProblem(400, f"The remote store refused the query: {first}")
            log.error("the remote store answered HTTP %d: %s", response.status_code, said)
            raise HttpProblem(
                502, f"The remote store failed (HTTP {response.status_code}); the log says more."
            )
        return response

    def _merge(self) -> ox.NamedNode | None:
        graph = self.endpoints.merge_graph
        return None if graph is None else ox.NamedNode(graph)

    def _ours(self, graph: object) -> bool:
        """Whether ``graph`` is one of the dataset's: a store may hold graphs of its own (as
        Virtuoso does), and the graph of the merge is no source."""
        return (
            isinstance(graph, ox.NamedNode)
            and graph.value.startswith(BASE)
            and graph != self._merge()
        )

    def _dataset_parameters(
        self,
        query: str,
        default_graph: GraphName | list[GraphName] | None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None,
    ) -> dict[str, str | list[str]]:
        """The protocol's dataset for the remote: the client's, or else the service's own."""
        merge = self._merge()
        if default_graph is None and named_graphs is None:
            if merge is None or outline(query).dataset:
                return {}  # the store's default dataset, or the one the text names
            # The merge as the default graph, and the dataset's graphs as the named ones: the
            # store's own graphs stay out of reach, as they are not the dataset.
            return {
                "default-graph-uri": merge.value,
                "named-graph-uri": sorted(self.dataset_graphs),
            }
        graphs = default_graph if isinstance(default_graph, list) else [default_graph]
        # The default graph named as such (rdflib does) is the merge, wherever it is kept.
        default = [merge if g == DEFAULT_GRAPH else g for g in graphs]
        form: dict[str, str | list[str]] = {}
        named = [g.value for g in default if isinstance(g, ox.NamedNode)]
        if named:
            form["default-graph-uri"] = named
        if named_graphs is not None:
            form["named-graph-uri"] = [g.value for g in named_graphs if isinstance(g, ox.NamedNode)]
        return form

    def query(
        self,
        query: str,
        *,
        default_graph: GraphName | list[GraphName] | None = None,
        named_graphs: list[ox.NamedNode | ox.BlankNode] | None = None,
        substitutions: dict[ox.Variable, Term] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | Iterator[ox.Triple]:
        """The answer of the remote store, parsed as it arrives.

        CONSTRUCT and DESCRIBE give an iterator of triples: pyoxigraph makes no QueryTriples
        from parsed data.
        """
        if substitutions:
            query = with_values(query, {v.value: t for v, t in substitutions.items()})  # type: ignore[misc]
        # Parsed here first (lazily: nothing is evaluated), so that a client's mistake is told
        # as the embedded store tells it, and never reaches the remote.
        _PARSER.query(query)
        form: dict[str, str | list[str]] = {
            "query": query,
            **self._timeout_parameter(),
            **self._dataset_parameters(query, default_graph, named_graphs),
        }
        response = self._send(self.endpoints.query, form, f"{RESULTS_JSON}, {RDF_ACCEPT}")
        media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
        body = io.BufferedReader(ResponseFile(response))
        try:
            results_format = ox.QueryResultsFormat.from_media_type(media_type)
            if results_format is not None:
                return _boolean_if_asked(ox.parse_query_results(body, format=results_format))
            rdf_format = ox.RdfFormat.from_media_type(media_type)
            if rdf_format is not None:
                return (
                    q.triple for q in ox.parse(body, format=rdf_format, without_named_graphs=True)
                )
        except SyntaxError as error:
            body.close()
            raise HttpProblem(502, f"The remote store's answer cannot be read: {error}") from error
        body.close()
        raise HttpProblem(502, f"The remote store answered in {media_type!r}, which is not read.")

    def _solutions(self, name: str, **values: object) -> Iterator[ox.QuerySolution]:
        return self._rows(with_values(self._text(name), _bindings(**values)))

    def _rows(self, text: str) -> Iterator[ox.QuerySolution]:
        response = self._send(self.endpoints.query, {"query": text}, RESULTS_JSON)
        with io.BufferedReader(ResponseFile(response)) as body:
            solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            if not isinstance(solutions, ox.QuerySolutions):
                raise HttpProblem(502, "The remote store answered a SELECT query with a boolean.")
            yield from solutions

    def _ask(self, name: str, **values: object) -> bool:
        text = with_values(self._text(name), _bindings(**values))
        response = self._send(self.endpoints.query, {"query": text}, RESULTS_JSON)
        with io.BufferedReader(ResponseFile(response)) as body:
            answer = _boolean_if_asked(
                ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            )
        if not isinstance(answer, ox.QueryBoolean):
            raise HttpProblem(502, "The remote store answered an ASK query with solutions.")
        return bool(answer)

    def quads_for_pattern(
        self,
        subject: ox.NamedNode | ox.BlankNode | ox.Triple | None,
        predicate: ox.NamedNode | None,
        object: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None,
        graph_name: GraphName | None = None,
    ) -> Iterator[ox.Quad]:
        """Quads of the dataset's named graphs; asked for the default graph, their merge.

        A whole graph is read through the Graph Store Protocol when the store has given one
        (``--remote-store``): N-Triples straight from the store, not a table of solutions.
        """
        merge = self._merge()
        whole = subject is None and predicate is None and object is None
        if whole and self.endpoints.store and graph_name is not None:
            wanted = merge if merge is not None and graph_name == DEFAULT_GRAPH else graph_name
            for triple in self._graph(wanted):
                yield ox.Quad(triple.subject, triple.predicate, triple.object, graph_name)
            return
        if isinstance(graph_name, ox.DefaultGraph) and merge is None:
            for row in self._solutions("merged-triples", s=subject, p=predicate, o=object):
                yield ox.Quad(subject or row["s"], predicate or row["p"], object or row["o"])
            return
        if isinstance(graph_name, ox.DefaultGraph):
            for quad in self.quads_for_pattern(subject, predicate, object, merge):
                yield ox.Quad(quad.subject, quad.predicate, quad.object)
            return
        graph = _graph_value(graph_name)
        for row in self._solutions("quads", s=subject, p=predicate, o=object, g=graph):
            found = graph or row["g"]
            if graph is not None or self._ours(found):
                yield ox.Quad(subject or row["s"], predicate or row["p"], object or row["o"], found)

    def _graph(self, graph: GraphName) -> Iterator[ox.Triple]:
        """One graph of the store (its default graph: ``DefaultGraph``), by the Graph Store
        Protocol; an empty one when the store has none by that name."""
        assert self.endpoints.store is not None  # noqa: S101 (the caller's check)
        params = (
            {"default": ""} if isinstance(graph, ox.DefaultGraph) else {"graph": str(graph)[1:-1]}
        )
        self.requests += 1
        try:
            request = self._client.build_request(
                "GET", self.endpoints.store, params=params, headers={"accept": N_TRIPLES}
            )
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            log.error("the remote store's graph store could not be read: %s", error)
            raise HttpProblem(
                502, "The remote store could not be reached; try again shortly."
            ) from error
        with io.BufferedReader(ResponseFile(response)) as body:
            if response.status_code == 404:
                return
            if response.status_code >= 300:
                log.error("the remote graph store answered HTTP %d", response.status_code)
                raise HttpProblem(
                    502,
                    f"The remote store failed (HTTP {response.status_code}); the log says more.",
                )
            media_type = response.headers.get("content-type", N_TRIPLES).partition(";")[0]
            rdf_format = ox.RdfFormat.from_media_type(media_type.strip()) or ox.RdfFormat.N_TRIPLES
            for quad in ox.parse(body, format=rdf_format, without_named_graphs=True):
                yield quad.triple

    def quads_matching(
        self, variables: Sequence[str], rows: Iterable[Sequence[Value]]
    ) -> Iterator[ox.Quad]:
        """The dataset's named-graph quads matching any of ``rows`` (values of ``variables``,
        among ``s p o g``): many patterns in a few requests."""
        text, pending = self._text("quads"), list(rows)
        for start in range(0, len(pending), ROWS_PER_REQUEST):
            chunk = pending[start : start + ROWS_PER_REQUEST]
            for row in self._rows(with_rows(text, variables, chunk)):
                if self._ours(row["g"]):
                    yield ox.Quad(row["s"], row["p"], row["o"], row["g"])

    def present(self, quads: Collection[ox.Quad]) -> set[ox.Quad]:
        """Which of ``quads`` the store holds, a few hundred to a request (``dataset.present``).

        The rows bind subjects, predicates and graphs, and the objects are compared here: no
        literal goes into VALUES, where Virtuoso matches language-tagged ones only one row at a
        time.
        """
        merge = self._merge()
        wanted = set(quads)
        found: set[ox.Quad] = set()
        # Quads of a named graph, and of the default graph where the merge is a named one.
        by_graph = {
            (q.subject, q.predicate, q.graph_name)
            for q in wanted
            if q.graph_name != DEFAULT_GRAPH or merge is not None
        }
        for chunk in _chunks(sorted(by_graph, key=str)):
            rows = [_values(*key, merge=merge) for key in chunk]
            for row in self._rows(with_rows(self._text("quads"), ["s", "p", "g"], rows)):
                graph = DEFAULT_GRAPH if row["g"] == merge else row["g"]
                found.add(ox.Quad(row["s"], row["p"], row["o"], graph))
        in_default = {
            (q.subject, q.predicate)
            for q in wanted
            if q.graph_name == DEFAULT_GRAPH and merge is None
        }
        for pairs in _chunks(sorted(in_default, key=str)):
            rows = [_values(*pair) for pair in pairs]
            text = with_rows(self._text("default-triples"), ["s", "p"], rows)
            found.update(ox.Quad(row["s"], row["p"], row["o"]) for row in self._rows(text))
        return found & wanted

    def stating(self, triples: Collection[ox.Triple]) -> list[ox.Quad]:
        """The dataset's quads that state any of ``triples`` (``dataset.stating``), found by
        subject and predicate, their objects compared here (see ``present``)."""
        wanted = set(triples)
        keys = sorted({(t.subject, t.predicate) for t in wanted}, key=str)
        found = self.quads_matching(["s", "p"], [_values(*key) for key in keys])
        return [quad for quad in found if quad.triple in wanted]

    def named_graphs(self) -> Iterator[ox.NamedNode | ox.BlankNode]:
        for row in self._solutions("named-graphs"):
            graph = row["g"]
            if isinstance(graph, ox.NamedNode) and self._ours(graph):
                yield graph

    def contains_named_graph(self, graph_name: GraphName) -> bool:
        graph = _graph_value(graph_name)
        return graph is not None and self._ours(graph) and self._ask("any-quad", g=graph)

    def __contains__(self, quad: ox.Quad) -> bool:
        graph = _graph_value(quad.graph_name) or self._merge()
        if graph is None:
            return self._ask("in-default-graph", s=quad.subject, p=quad.predicate, o=quad.object)
        return self._ask("any-quad", s=quad.subject, p=quad.predicate, o=quad.object, g=graph)

    def default_graph_is_merge(self) -> bool | None:
        """Whether the default graph holds what the named graphs hold; None when there is no
        named graph to tell by."""
        sample = next(iter(self._solutions("sample-quad")), None)
        if sample is None:
            return None
        return ox.Quad(sample["s"], sample["p"], sample["o"]) in self

    def repeats_in_default_graph(self) -> bool:
        """Whether the default graph gives a triple twice when two named graphs state it (False
        when no two graphs state the same triple)."""
        repeated = next(iter(self._solutions("repeated-triple")), None)
        if repeated is None:
            return False
        found = next(
            iter(
                self._solutions(
                    "times-in-default-graph", s=repeated["s"], p=repeated["p"], o=repeated["o"]
                )
            )
        )
        count = found["n"]
        return isinstance(count, ox.Literal) and int(count.value) > 1

    def apply(self, change: Change, template: str) -> None:
        """Make ``change`` in one SPARQL Update, written from ``template`` (apply-change.ru)."""
        if self.endpoints.update is None:
            raise HttpProblem(
                405,
                "This server fronts a remote store without an update endpoint (--remote-update).",
            )
        removed, added = change.removed, change.added
        if self.endpoints.keeps_default_graph:
            # The merge follows, as in the embedded store: a triple leaves it when no graph
            # states it any more.
            planned = plan(self, change)
            removed, added = frozenset(planned.remove), frozenset(planned.add)
        merge = self._merge()
        if merge is not None:
            removed, added = _in_graph(removed, merge), _in_graph(added, merge)
        # Each part of the change (``_parts``) is its own pair of operations, all in the one
        # request, which the store applies whole.
        nothing: list[ox.Quad] = []
        parts = zip_longest(_parts(removed), _parts(added), fillvalue=nothing)
        operations = [
            Template(template).substitute(removed=_quad_data(r), added=_quad_data(a))
            for r, a in parts
        ]
        response = self._send(self.endpoints.update, {"update": " ;\n".join(operations)}, None)
        response.close()


def _values(*terms: object, merge: ox.NamedNode | None = None) -> list[Value]:
    """Terms as values to bind; the default graph as the graph of the merge (``merge``)."""
    bound = _bindings(**{str(i): merge if t == DEFAULT_GRAPH else t for i, t in enumerate(terms)})
    if len(bound) != len(terms):
        raise TypeError(f"not all of {terms!r} can be bound")
    return list(bound.values())


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), ROWS_PER_REQUEST):
        yield items[start : start + ROWS_PER_REQUEST]


def _boolean_if_asked(
    result: ox.QuerySolutions | ox.QueryBoolean,
) -> ox.QuerySolutions | ox.QueryBoolean:
    """Virtuoso answers ASK with a one-column table (``__ASK_RETVAL``, one row when true)."""
    if not isinstance(result, ox.QuerySolutions):
        return result
    if [v.value for v in result.variables] != [VIRTUOSO_ASK]:
        return result
    row = next(iter(result), None)
    truth = row is not None and str(getattr(row[VIRTUOSO_ASK], "value", "0")) not in ("0", "false")
    answer = ox.parse_query_results(TRUE if truth else FALSE, format=ox.QueryResultsFormat.JSON)
    assert isinstance(answer, ox.QueryBoolean)  # noqa: S101 (a boolean document)
    return answer


def _in_graph(quads: frozenset[ox.Quad], merge: ox.NamedNode) -> frozenset[ox.Quad]:
    return frozenset(
        ox.Quad(q.subject, q.predicate, q.object, merge) if q.graph_name == DEFAULT_GRAPH else q
        for q in quads
    )


def _parts(quads: frozenset[ox.Quad]) -> list[list[ox.Quad]]:
    """The quads in parts of one graph each and at most QUADS_PER_BLOCK: Virtuoso bounds a
    block, and carries out nothing of a DELETE DATA that names two graphs (saying it did)."""
    ordered = sorted(quads, key=lambda q: (str(q.graph_name), str(q)))
    parts = []
    for _, members in groupby(ordered, key=lambda q: q.graph_name):
        same = list(members)
        parts += [same[i : i + QUADS_PER_BLOCK] for i in range(0, len(same), QUADS_PER_BLOCK)]
    return parts


def _quad_data(quads: Iterable[ox.Quad]) -> str:
    """The default graph's triples, then ``GRAPH <g> { triples }`` for each named graph, the
    triples in N-Triples (which SPARQL reads)."""
    blocks = []
    ordered = sorted(quads, key=lambda q: (q.graph_name != DEFAULT_GRAPH, str(q.graph_name)))
    for graph, members in groupby(ordered, key=lambda q: q.graph_name):
        triples = ox.serialize(
            sorted((q.triple for q in members), key=str), format=ox.RdfFormat.N_TRIPLES
        )
        text = (triples or b"").decode()
        blocks.append(text if graph == DEFAULT_GRAPH else f"GRAPH {graph} {{\n{text}}}")
    return "\n".join(blocks)
