"""Evaluate one job on a store and write the answer's bytes: the work a query worker does.

Everything expensive happens here, in the worker process, so the time limit covers evaluation
and serialization alike, and the web process only moves bytes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Iterable, Sized
from dataclasses import dataclass, replace
from itertools import islice
from typing import IO, cast

import pyoxigraph as ox
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from libassoc.dataset import Dataset, QueryResult
from libassoc.engine.formats import BY_NAME, Family, OutputFormat, choose
from libassoc.engine.outline import outline
from libassoc.engine.problem import HttpProblem
from libassoc.namespaces import VOCABULARY_PREFIXES
from libassoc.store import DEFAULT_GRAPH


@dataclass(frozen=True)
class QueryJob:
    """A SPARQL query and how to answer it.

    ``default_graphs``/``named_graphs`` are the protocol's dataset; None keeps the store's own
    (the merge of all graphs as default graph, every graph as named graph).
    """

    text: str
    accept: str | None = None
    format_params: tuple[str, ...] = ()
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int | None = None
    # Calls NOW(), RAND(), UUID(), STRUUID() or BNODE(): two evaluations may answer otherwise.
    volatile: bool = False

    @property
    def digest(self) -> str:
        """A short name for the job in logs, which must never carry a client's text itself."""
        return "query:" + hashlib.sha256(self.text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class GraphJob:
    """One graph of the store (None: the default graph) in one RDF syntax."""

    graph: str | None
    format_name: str

    @property
    def digest(self) -> str:
        return f"graph:{self.graph or 'default'}:{self.format_name}"


@dataclass(frozen=True)
class Answer:
    body: bytes
    content_type: str
    # The processor time evaluating and writing it took where it ran, once ``answer`` timed it.
    seconds: float = math.inf
    # Its validator, worked out where it was written (``answer``), as its bytes are: hashing a
    # large answer takes milliseconds, which the web process's event loop must not spend.
    etag: str = ""


def strong_etag(content_type: str, body: bytes) -> str:
    """A strong validator from the syntax and the bytes: the same answer or page gets the same
    one whenever and wherever it is given, across restarts too."""
    digest = hashlib.blake2b(content_type.encode(), digest_size=16)
    digest.update(b"\n")
    digest.update(body)
    return f'"{digest.hexdigest()}"'


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    retry_after: int | None = None  # seconds, for a refusal that a later try may not meet
    # The same job on the same data would be refused the same way (its text is not SPARQL, its
    # answer is over the cap, it ran past the time limit): identical jobs waiting for this one
    # take its refusal rather than try again.
    repeats: bool = False


Outcome = Answer | Refusal

log = logging.getLogger(__name__)

# rdflib's name for a Dataset's default graph, which its SPARQLStore sends as default-graph-uri.
RDFLIB_DEFAULT_GRAPH = str(DATASET_DEFAULT_GRAPH_ID)
_POSITION = re.compile(r"^error at (\d+):(\d+): ")


def parser_message(error: SyntaxError) -> str:
    """Oxigraph's message, its ``L:C`` position spelled out for a person."""
    message = error.msg or str(error)
    return _POSITION.sub(r"line \1, column \2: ", message)


def _capped(items: Sized, max_rows: int | None, what: str) -> None:
    if max_rows is not None and len(items) > max_rows:
        raise _too_many(max_rows, what)


def _too_many(max_rows: int, what: str) -> HttpProblem:
    return HttpProblem(
        400,
        f"The result has more than {max_rows} {what}, the most this endpoint returns. "
        "Narrow the query or add LIMIT (and OFFSET to page through it).",
    )


class _RowCounter:
    """Where Oxigraph writes solutions as TSV, one line per row after the header: it counts
    them and stops the writer past ``max_rows``."""

    def __init__(self, max_rows: int | None) -> None:
        self.lines_allowed = None if max_rows is None else max_rows + 1
        self.lines = 0
        self.chunks: list[bytes] = []
        self.over = False

    def write(self, chunk: bytes) -> int:
        self.lines += chunk.count(b"\n")
        if self.lines_allowed is not None and self.lines > self.lines_allowed:
            self.over = True
            raise OverflowError("past the row cap")
        self.chunks.append(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass


def _solutions(result: ox.QuerySolutions, output: OutputFormat, max_rows: int | None) -> bytes:
    """The solutions in ``output``'s syntax, written by Oxigraph.

    Rows must be counted before an answer goes out, so they are written first as TSV, whose
    every row is one line (a line break inside a literal is escaped); another syntax is then
    written from that TSV, still in Rust and without a Python object per term.
    """
    rows = _RowCounter(max_rows)
    try:
        # Oxigraph calls only write and flush, which is all a row counter has of a file.
        result.serialize(cast(IO[bytes], rows), format=ox.QueryResultsFormat.TSV)
    except (OverflowError, OSError):  # the counter's own error, as Oxigraph passes it on
        if not rows.over:
            raise
    if rows.over and max_rows is not None:
        raise _too_many(max_rows, "rows")
    tsv = b"".join(rows.chunks)
    if output.results_format is ox.QueryResultsFormat.TSV:
        return tsv
    assert output.results_format is not None  # noqa: S101 (results family only)
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return parsed.serialize(format=output.results_format) or b""


def write_rdf(triples: list[ox.Triple], output: OutputFormat) -> bytes:
    """Triples in an RDF syntax; JSON-LD comes out expanded, every term a full IRI."""
    assert output.rdf_format is not None  # noqa: S101 (RDF family only)
    return ox.serialize(triples, format=output.rdf_format, prefixes=VOCABULARY_PREFIXES) or b""


def _graphs(iris: tuple[str, ...]) -> list[ox.NamedNode | ox.BlankNode]:
    return [ox.NamedNode(iri) for iri in iris]


def _merged_dataset(
    store: Dataset, default_graphs: Iterable[str], named: Iterable[str]
) -> ox.Store:
    """A scratch dataset whose default graph is the RDF merge of ``default_graphs``.

    Oxigraph evaluates a list of default graphs as their union with repeats, so a triple two
    of them state would give two rows; the protocol asks for the merge, where it gives one.
    """
    scratch = ox.Store()
    for graph in _graphs(tuple(default_graphs)):
        scratch.extend(
            ox.Quad(q.subject, q.predicate, q.object, DEFAULT_GRAPH)
            for q in store.quads_for_pattern(None, None, None, graph)
        )
    for graph in _graphs(tuple(named)):
        scratch.extend(store.quads_for_pattern(None, None, None, graph))
    return scratch


def _evaluate(store: Dataset, job: QueryJob) -> QueryResult:
    default_graphs, named = job.default_graphs, job.named_graphs
    if default_graphs is not None and RDFLIB_DEFAULT_GRAPH in default_graphs:
        # rdflib's Dataset names its default graph so: it means the service's default graph, the
        # merge of all the others, so naming them besides adds nothing. Alone, it asks for the
        # service's own dataset: rdflib sends it with every query, GRAPH patterns included.
        default_graphs = None if named is None else (RDFLIB_DEFAULT_GRAPH,)
    if default_graphs is None and named is None:
        found = outline(job.text)
        if len(found.from_graphs) < 2:
            return store.query(job.text)
        # Oxigraph reads FROM <a> FROM <b> as the union of the graphs, a triple in both giving
        # two rows; the query's dataset is their merge, as it is when the protocol names them.
        default_graphs, named = tuple(found.from_graphs), tuple(found.from_named_graphs)
    # The protocol says: a dataset given by either parameter replaces the whole default
    # dataset, so a missing list means an empty one.
    default_graphs, named = default_graphs or (), named or ()
    # The dataset given here replaces the one the text's FROM and FROM NAMED name, if any.
    if len(default_graphs) > 1:
        merged = _merged_dataset(store, default_graphs, named)
        return merged.query(job.text, default_graph=DEFAULT_GRAPH, named_graphs=_graphs(named))
    default: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        DEFAULT_GRAPH if iri == RDFLIB_DEFAULT_GRAPH else ox.NamedNode(iri)
        for iri in default_graphs
    ]
    return store.query(job.text, default_graph=default, named_graphs=_graphs(named))


def run_query(store: Dataset, job: QueryJob) -> Outcome:
    """Evaluate ``job`` with Oxigraph; every failure a client can cause becomes a Refusal."""
    try:
        result = _evaluate(store, job)
        if isinstance(result, ox.QueryBoolean):
            output = choose(Family.RESULTS, job.accept, job.format_params)
            assert output.results_format is not None  # noqa: S101
            return Answer(
                result.serialize(format=output.results_format) or b"", output.content_type
            )
        if isinstance(result, ox.QuerySolutions):
            output = choose(Family.RESULTS, job.accept, job.format_params)
            return Answer(_solutions(result, output, job.max_rows), output.content_type)
        output = choose(Family.RDF, job.accept, job.format_params)
        limit = None if job.max_rows is None else job.max_rows + 1
        triples = list(islice(result, limit))
        _capped(triples, job.max_rows, "triples")
        return Answer(write_rdf(triples, output), output.content_type)
    except SyntaxError as error:
        return Refusal(400, f"The query is not valid SPARQL: {parser_message(error)}", repeats=True)
    except OSError as error:  # a SERVICE call to an allow-listed endpoint failed
        return Refusal(502, f"The query could not be completed: {error}")


def read_graph(store: Dataset, job: GraphJob) -> Outcome:
    """The triples of one graph; 404 for a graph the store does not hold."""
    graph: ox.NamedNode | ox.DefaultGraph
    if job.graph is None:
        graph = ox.DefaultGraph()
    else:
        graph = ox.NamedNode(job.graph)
        if not store.contains_named_graph(graph):
            return Refusal(404, f"This dataset has no graph <{job.graph}>.")
    output = BY_NAME[job.format_name]
    triples = [q.triple for q in store.quads_for_pattern(None, None, None, graph)]
    return Answer(write_rdf(triples, output), output.content_type)


def answer(store: Dataset, job: QueryJob | GraphJob) -> Outcome:
    """Run ``job``, time it and tag it (ETag); an error of the server's own becomes a logged 500.

    The time is the thread's processor time, which is what the job costs: on a busy machine the
    clock also counts the time other processes ran, and a cheap job would look expensive.
    """
    started = time.thread_time()
    try:
        outcome = run_query(store, job) if isinstance(job, QueryJob) else read_graph(store, job)
    except HttpProblem as problem:  # a client's mistake, or a remote store that failed
        retry_after = problem.headers.get("Retry-After")
        return Refusal(
            problem.status,
            problem.message,
            int(retry_after) if retry_after else None,
            repeats=problem.status == 400,
        )
    except Exception:  # whoever runs jobs must outlive any one of them; the trace is logged
        log.exception("a %s failed; it was answered with 500", type(job).__name__)
        return Refusal(500, "The query failed inside the server; the error is logged.")
    if isinstance(outcome, Answer):
        etag = strong_etag(outcome.content_type, outcome.body)
        return replace(outcome, seconds=time.thread_time() - started, etag=etag)
    return outcome
