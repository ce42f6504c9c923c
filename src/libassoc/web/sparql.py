"""``/sparql``: the SPARQL 1.1 Protocol for queries, the service description, and the query UI."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from libassoc.engine.conneg import negotiate
from libassoc.engine.evaluation import QueryJob, write_rdf
from libassoc.engine.formats import (
    FAMILIES,
    Family,
    choose,
    named_format,
    offered_media_types,
)
from libassoc.engine.outline import outline
from libassoc.engine.problem import HttpProblem
from libassoc.engine.safety import check_depth, check_services
from libassoc.web import ui
from libassoc.web.answers import VARY, respond
from libassoc.web.dumps_route import published_generation
from libassoc.web.protocol import QUERY, Params, absolute_iri, read_params, wants_fresh
from libassoc.web.service_description import describe
from libassoc.web.state import Service, service_of

router = APIRouter()

HTML = "text/html"
# Where clients put a format name: ``format`` (Virtuoso), ``output`` (Fuseki, Joseki) and
# ``results``; SPARQLWrapper sends all three.
FORMAT_PARAMETERS = ("format", "output", "results")
FORM_FAMILY = {
    "SELECT": Family.RESULTS,
    "ASK": Family.RESULTS,
    "CONSTRUCT": Family.RDF,
    "DESCRIBE": Family.RDF,
}


def _dataset(params: Params, name: str) -> tuple[str, ...] | None:
    values = params.get(name)
    if values is None:
        return None
    return tuple(absolute_iri(name, value) for value in values)


async def sparql(request: Request) -> Response:
    service = service_of(request)
    text, params = await read_params(request, service.config.max_request_bytes, QUERY)
    if "update" in params:
        raise HttpProblem(400, "This is the query endpoint; send SPARQL updates to /update.")
    accept = request.headers.get("accept")
    format_params = tuple(v for name in FORMAT_PARAMETERS for v in params.get(name, ()))
    if text is None:
        if request.method == "POST":
            # Only a GET asks for the description: a POST without a query is a client's mistake.
            raise HttpProblem(400, "The request has no query: send it in the query parameter.")
        return await _no_query(request, service, accept, format_params)
    found = outline(text)
    check_depth(found)
    check_services(found, service.config.allowed_service_endpoints)
    job = QueryJob(
        text,
        accept=accept,
        format_params=format_params,
        default_graphs=_dataset(params, "default-graph-uri"),
        named_graphs=_dataset(params, "named-graph-uri"),
        max_rows=service.config.max_result_rows,
        volatile=found.volatile,
    )
    if found.form is not None:
        # Refuse an unacceptable format before spending any work on the query.
        choose(FORM_FAMILY[found.form], accept, format_params)
    outcome = await service.queries.submit(
        job,
        may_run_inline=not found.services,
        client=service.client(request),
        reuse=not wants_fresh(request),
    )
    return respond(outcome, request)


async def _no_query(
    request: Request,
    service: Service,
    accept: str | None,
    format_params: tuple[str, ...],
) -> Response:
    """A browser gets the query UI; an RDF client gets the service description."""
    endpoint = str(request.url_for("sparql"))
    if named_format(Family.RDF, format_params) is None:
        wanted = negotiate(accept, [*offered_media_types(FAMILIES[Family.RDF]), HTML])
        if wanted == HTML:
            return ui.page(request, service, endpoint)
        if wanted is None:
            raise HttpProblem(
                406,
                f"Without a query, /sparql answers with the service description in RDF or the "
                f"query UI in {HTML}; Accept: {accept!r} asks for neither.",
                VARY,
            )
    output = choose(Family.RDF, accept, format_params)
    # Not waited for: before the first dumps are written (minutes at 10M triples after a cold
    # start), the description goes out without the sizes rather than not at all.
    published = published_generation(request)
    body = write_rdf(describe(service, endpoint, published.void if published else None), output)
    return Response(body, media_type=output.content_type, headers=VARY)


# A plain Starlette route: the protocol reads the request itself, so FastAPI's parameter
# parsing and dependency solving would be work done for nothing on every query.
router.add_route("/sparql", sparql, methods=["GET", "HEAD", "POST"], name="sparql")
