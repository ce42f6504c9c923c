"""``/search?q=...``: things by name, alternate name (acronyms) and description, ignoring case and
accents, best first (``search_index.py``); HTML for people, JSON for scripts (``Accept`` or
``?format=json``)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from libassoc.engine.conneg import negotiate
from libassoc.engine.problem import HttpProblem
from libassoc.search_index import StillFilling
from libassoc.web.representation import READ
from libassoc.web.state import service_of
from libassoc.web.templating import render
from libassoc.web.view import href

router = APIRouter()

HTML, JSON = "text/html", "application/json"
MAX_QUERY_CHARACTERS = 200
RESULTS = 50
RETRY_SECONDS = 5


@router.api_route("/search", methods=READ, include_in_schema=False)
async def search(request: Request) -> Response:
    text = request.query_params.get("q", "").strip()
    if len(text) > MAX_QUERY_CHARACTERS:
        raise HttpProblem(400, f"Search for at most {MAX_QUERY_CHARACTERS} characters.")
    wanted = request.query_params.get("format")
    chosen = JSON if wanted == "json" else negotiate(request.headers.get("accept"), [HTML, JSON])
    if chosen is None:
        raise HttpProblem(406, f"/search answers in {HTML} or {JSON}.", {"Vary": "Accept"})
    service = service_of(request)
    service.check_share(request)
    try:
        # Charged: the broadest words take a tenth of a second at 1M triples.
        found = await service.on_share(request, partial(service.searchable.search, text, RESULTS))
    except StillFilling:
        # Waiting for it would hold a thread that pages need, for minutes on a large store.
        raise HttpProblem(
            503,
            "The search index is still being built, as it is after each start; try again in a "
            "few seconds.",
            {"Retry-After": str(RETRY_SECONDS)},
        ) from None
    results = [
        {"iri": entry.iri, "name": entry.name, "kind": entry.kind, "href": href(entry.iri)}
        for entry in found
    ]
    headers = {"vary": "Accept"}
    if chosen == JSON:
        return JSONResponse({"query": text, "results": results}, headers=headers)
    return render(
        request, "search.html", query=text, results=results, alternates=[], headers=headers
    )
