"""``/store``: the SPARQL 1.1 Graph Store Protocol, ``?default`` or ``?graph=IRI``.

Reads are open to everyone. Writes (PUT replaces a graph, POST adds to it, DELETE drops it) need
``--allow-updates`` and the write token, and go through the service's validating write. The default
graph is derived from the named graphs, so it is read-only.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from libassoc.dataset import Dataset
from libassoc.engine.changes import add_to_graph, drop_graph, replace_graph
from libassoc.engine.evaluation import GraphJob
from libassoc.engine.formats import Family, choose
from libassoc.engine.problem import HttpProblem
from libassoc.store import Change
from libassoc.web.answers import respond
from libassoc.web.auth import authorize_write
from libassoc.web.protocol import (
    absolute_iri,
    media_type,
    parse_params,
    read_body,
    single,
    wants_fresh,
)
from libassoc.web.shacl_report import report_response
from libassoc.web.state import ChangeOf, service_of

router = APIRouter()

READ_ONLY_DEFAULT = {"Allow": "GET, HEAD"}

# Oxigraph's JSON-LD parser recurses once per nested object, on the server's own stack: a body
# a few thousand objects deep (40 kB) overflows it and takes the whole process down. Real
# JSON-LD nests a few levels; this is far from both.
MAX_JSON_DEPTH = 256
# A string, or an unterminated one up to the end: possessive, so that no text makes it backtrack.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_JSON_FORMATS = (ox.RdfFormat.JSON_LD, ox.RdfFormat.STREAMING_JSON_LD)


def _nests_too_deep(body: bytes) -> bool:
    """Whether the arrays and objects of a JSON text nest deeper than MAX_JSON_DEPTH (brackets in
    strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False  # too few brackets to nest that deep: the usual case, without a scan
    depth = 0
    for bracket in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _target(request: Request) -> tuple[str | None, tuple[str, ...]]:
    """The graph named by the request (None: the default graph), and the ``format`` parameter."""
    params = parse_params(request.url.query, "URL query string")
    graph = single(params, "graph")
    if ("default" in params) == (graph is not None):
        raise HttpProblem(
            400, "Name exactly one graph: ?default for the default graph, or ?graph=IRI."
        )
    if graph is not None and not graph.strip():
        raise HttpProblem(400, "?graph= needs an IRI.")
    if graph is not None:
        absolute_iri("graph", graph)
    return graph, tuple(params.get("format", ()))


@router.api_route("/store", methods=["GET", "HEAD"], name="graph_store")
async def read(request: Request) -> Response:
    service = service_of(request)
    graph, format_params = _target(request)
    output = choose(Family.RDF, request.headers.get("accept"), format_params)
    job = GraphJob(graph, output.name)
    outcome = await service.queries.submit(
        job, client=service.client(request), reuse=not wants_fresh(request)
    )
    return respond(outcome, request)


def _parse(body: bytes, content_type: str, graph: ox.NamedNode) -> list[ox.Quad]:
    rdf_format = ox.RdfFormat.from_media_type(content_type) if content_type else None
    if rdf_format is None:
        raise HttpProblem(
            415,
            f"Send the graph as Turtle, N-Triples, RDF/XML or JSON-LD (Content-Type), "
            f"not {content_type or 'no Content-Type'!r}.",
        )
    if rdf_format in _JSON_FORMATS and _nests_too_deep(body):
        raise HttpProblem(
            400, f"The JSON-LD body nests deeper than {MAX_JSON_DEPTH} levels, the most it may."
        )
    try:
        triples = ox.parse(body, format=rdf_format, base_iri=graph.value, without_named_graphs=True)
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    except SyntaxError as error:
        raise HttpProblem(
            400, f"The request body is not valid {rdf_format.name}: {error.msg}"
        ) from error


def _change(method: str, graph: ox.NamedNode, quads: list[ox.Quad]) -> ChangeOf:
    def change(store: Dataset) -> Change:
        if method == "DELETE":
            return drop_graph(store, graph)
        if method == "PUT":
            return replace_graph(store, graph, quads)
        return add_to_graph(store, graph, quads)

    return change


@router.api_route("/store", methods=["PUT", "POST", "DELETE"])
async def write(request: Request) -> Response:
    service = service_of(request)
    authorize_write(request, service.config)
    target, _ = _target(request)
    if target is None:
        raise HttpProblem(
            405,
            "The default graph is the merge of all named graphs and cannot be written; "
            "write to a named graph with ?graph=IRI.",
            READ_ONLY_DEFAULT,
        )
    graph = ox.NamedNode(target)
    quads: list[ox.Quad] = []
    if request.method != "DELETE":
        body = await read_body(request, service.config.max_request_bytes)
        quads = _parse(body, media_type(request), graph)
    existed = target in service.graphs
    refused = await service.commit(_change(request.method, graph, quads))
    if refused is not None:
        return report_response(refused, request.headers.get("accept"))
    return Response(status_code=204 if existed or request.method == "DELETE" else 201)
