"""A worker's outcome as an HTTP response."""

from __future__ import annotations

from fastapi.responses import Response

from libassoc.engine.evaluation import Answer, Outcome
from libassoc.engine.problem import HttpProblem
from libassoc.web.errors import problem_response

VARY = {"Vary": "Accept"}


def respond(outcome: Outcome) -> Response:
    if isinstance(outcome, Answer):
        return Response(outcome.body, media_type=outcome.content_type, headers=VARY)
    headers = VARY
    if outcome.retry_after is not None:
        headers = {**VARY, "Retry-After": str(outcome.retry_after)}
    return problem_response(HttpProblem(outcome.status, outcome.message, headers))
