"""A worker's outcome as an HTTP response."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from libassoc.engine.evaluation import Answer, Outcome
from libassoc.engine.problem import HttpProblem
from libassoc.web.errors import problem_response
from libassoc.web.protocol import etag_matches

VARY = {"Vary": "Accept"}


def respond(outcome: Outcome, request: Request) -> Response:
    """The answer (304 when the client holds it already: ``If-None-Match``), or the refusal."""
    if isinstance(outcome, Answer):
        headers = {**VARY, "ETag": outcome.etag} if outcome.etag else VARY
        if outcome.etag and etag_matches(request, outcome.etag):
            return Response(status_code=304, headers=headers)
        return Response(outcome.body, media_type=outcome.content_type, headers=headers)
    headers = VARY
    if outcome.retry_after is not None:
        headers = {**VARY, "Retry-After": str(outcome.retry_after)}
    return problem_response(HttpProblem(outcome.status, outcome.message, headers))
