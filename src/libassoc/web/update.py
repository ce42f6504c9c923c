"""``/update``: SPARQL 1.1 Update over the protocol, for the holder of the write token only."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from libassoc.dataset import Dataset
from libassoc.engine.changes import update_change
from libassoc.engine.outline import outline
from libassoc.engine.problem import HttpProblem
from libassoc.engine.safety import check_depth, check_loads, check_services
from libassoc.store import Change
from libassoc.web.auth import authorize_write
from libassoc.web.protocol import UPDATE, read_params
from libassoc.web.shacl_report import report_response
from libassoc.web.state import ChangeOf, service_of

router = APIRouter()

UNSUPPORTED = ("using-graph-uri", "using-named-graph-uri")


def _change(text: str, scratch: Path | None, limit: float) -> ChangeOf:
    def change(store: Dataset) -> Change:
        return update_change(store, text, scratch, limit)

    return change


@router.api_route("/update", methods=["GET", "HEAD", "PUT", "DELETE", "PATCH"])
async def not_an_update(request: Request) -> Response:
    raise HttpProblem(
        405,
        f"{request.method} /update: send SPARQL updates by POST; queries go to /sparql.",
        {"Allow": "POST"},
    )


@router.post("/update", name="update")
async def update(request: Request) -> Response:
    service = service_of(request)
    authorize_write(request, service.config)
    text, params = await read_params(request, service.config.max_request_bytes, UPDATE)
    if text is None:
        raise HttpProblem(400, "The request has no update: send it as `update=` or as the body.")
    for name in UNSUPPORTED:
        if name in params:
            raise HttpProblem(400, f"{name} is not supported; name graphs in the update itself.")
    found = outline(text)
    check_depth(found)
    check_loads(found)
    check_services(found, service.config.allowed_service_endpoints)
    limit = service.config.query_timeout
    refused = await service.commit(_change(text, service.staging, limit))
    if refused is not None:
        return report_response(refused, request.headers.get("accept"))
    return Response(status_code=204)
