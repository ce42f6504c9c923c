"""Who may write: nobody unless the server runs with ``--allow-updates``, then the token holder."""

from __future__ import annotations

import hmac

from fastapi import Request

from libassoc.engine.problem import HttpProblem
from libassoc.web.config import ServerConfig


def authorize_write(request: Request, config: ServerConfig) -> None:
    """Return quietly for a permitted write; otherwise 403 (read-only) or 401 (bad token)."""
    if not config.allow_updates or not config.write_token:
        raise HttpProblem(
            403,
            "This endpoint is read-only. Its operator can allow writes with "
            "`libassoc serve --allow-updates` and a token (LIBASSOC_WRITE_TOKEN or --token-file).",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # compare_digest: the time taken must not reveal how much of a guessed token was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), config.write_token.encode()
    ):
        raise HttpProblem(
            401,
            "Writes need the header `Authorization: Bearer <token>` with the server's write token.",
            {"WWW-Authenticate": 'Bearer realm="libassoc"'},
        )
