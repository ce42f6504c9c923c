"""Reading a SPARQL Protocol request: GET, URL-encoded POST or direct POST, each decoded once.

Parameters are percent-decoded exactly once, by ``parse_qs``: a form value ``50%2541`` is the
text ``50%41``, never ``50A``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import Request

from libassoc.engine.problem import HttpProblem

FORM = "application/x-www-form-urlencoded"

Params = dict[str, list[str]]


@dataclass(frozen=True)
class Operation:
    """Which parameter carries the text, and the media type of a direct POST of it."""

    field: str
    direct_media_type: str


QUERY = Operation("query", "application/sparql-query")
UPDATE = Operation("update", "application/sparql-update")


def parse_params(encoded: str, where: str) -> Params:
    try:
        return parse_qs(encoded, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise HttpProblem(400, f"The {where} is not UTF-8 once percent-decoded.") from error


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``max_bytes``."""
    too_large = HttpProblem(
        413, f"The request body exceeds {max_bytes} bytes, the most this endpoint accepts."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HttpProblem(400, f"The {what} is not valid UTF-8.") from error


async def read_params(
    request: Request, max_bytes: int, operation: Operation
) -> tuple[str | None, Params]:
    """The SPARQL text (None when the request has none) and every other parameter."""
    raw_query = request.scope.get("query_string", b"")
    if len(raw_query) > max_bytes:
        raise HttpProblem(414, f"The URL exceeds {max_bytes} bytes; send the query by POST.")
    params = parse_params(_decode(raw_query, "URL query string"), "URL query string")
    direct: str | None = None
    if request.method == "POST":
        kind = media_type(request)
        body = await read_body(request, max_bytes)
        if kind == FORM:
            for name, values in parse_params(_decode(body, "form body"), "form body").items():
                params.setdefault(name, []).extend(values)
        elif kind == operation.direct_media_type:
            direct = _decode(body, "request body")
        else:
            raise HttpProblem(
                415,
                f"POST needs Content-Type {FORM} or {operation.direct_media_type}, "
                f"not {kind or 'none'!r}.",
            )
    texts = params.pop(operation.field, [])
    if direct is not None:
        texts.append(direct)
    if len(texts) > 1:
        raise HttpProblem(
            400, f"The request carries {len(texts)} {operation.field} texts; send one."
        )
    return (texts[0] if texts else None), params


def absolute_iri(name: str, value: str) -> str:
    """``value``, when it is an absolute IRI; 400 naming the parameter otherwise."""
    try:
        ox.NamedNode(value)
    except ValueError:
        valid = False
    else:
        valid = ":" in value  # Oxigraph takes a relative reference too
    if not valid:
        raise HttpProblem(400, f"{name}={value!r} is not an absolute IRI.")
    return value


def single(params: Params, name: str) -> str | None:
    """A parameter that may be given once at most (repeating the same value is harmless)."""
    values = sorted(set(params.get(name, [])))
    if len(values) > 1:
        raise HttpProblem(
            400, f"The parameter {name} is given {len(values)} different values; give one."
        )
    return values[0] if values else None


def wants_fresh(request: Request) -> bool:
    """Whether the client asks for an answer evaluated now rather than one kept (RFC 9111).

    ``Cache-Control: no-cache`` or ``max-age=0`` (browsers send them on a reload), or the
    HTTP/1.0 ``Pragma: no-cache``.
    """
    directives = {
        part.strip().lower().replace(" ", "")
        for part in request.headers.get("cache-control", "").split(",")
    }
    if directives & {"no-cache", "max-age=0"}:
        return True
    return request.headers.get("pragma", "").strip().lower() == "no-cache"


def etag_matches(request: Request, etag: str) -> bool:
    """Whether a read's ``If-None-Match`` names ``etag`` (or ``*``): the client's copy is current
    and 304 answers it (RFC 9110, 13.1.2, weak comparison). Never for a POST."""
    if request.method not in ("GET", "HEAD"):
        return False
    offered = {
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    }
    return etag.removeprefix("W/") in offered or "*" in offered
