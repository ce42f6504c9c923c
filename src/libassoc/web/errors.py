"""Errors as plain-text answers a person can act on: a status, a message, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from libassoc.engine.problem import HttpProblem

log = logging.getLogger(__name__)


def problem_response(problem: HttpProblem) -> Response:
    return PlainTextResponse(
        problem.message.rstrip("\n") + "\n", status_code=problem.status, headers=problem.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as plain text; an unexpected one is logged here and never shown."""

    async def on_problem(_request: Request, error: Exception) -> Response:
        assert isinstance(error, HttpProblem)  # noqa: S101 (registered for this class only)
        return problem_response(error)

    async def on_http_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)  # noqa: S101
        headers = dict(error.headers or {})
        return problem_response(HttpProblem(error.status_code, str(error.detail), headers))

    async def on_validation(_request: Request, error: Exception) -> Response:
        return problem_response(HttpProblem(400, f"Bad request: {error}"))

    async def on_unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(
            HttpProblem(500, "The server failed to answer this request; the error is logged.")
        )

    app.add_exception_handler(HttpProblem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(Exception, on_unexpected)
