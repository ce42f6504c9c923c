"""Each request and its answer, seen once from outside the app, for the metrics and the access log.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs the app in a task of its own
and buffers streamed answers: a cheap query takes about a millisecond, and watching it must cost
a few microseconds, not a share of that.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libassoc.web.clients import Network, client_address

# The route label of what is answered before the router is reached (CORS preflights).
UNROUTED = "(unrouted)"
# The route label of a plain route with parameters (none has any today): its template is unknown.
PLAIN_ROUTE = "(route with parameters)"
# The status of an answer never sent: the client went away and the work was cancelled (nginx's).
CLIENT_CLOSED = 499
# A path or method is kept whole up to here: the longest request line accepted is far longer.
PATH_CHARACTERS = 2000
METHOD_CHARACTERS = 16


class Exchange(NamedTuple):
    """One request and its answer (a named tuple: made for every request, it must be cheap)."""

    method: str
    path: str  # as sent (percent-encoded), without the query string
    route: str  # the template of the route that answered, e.g. ``/dumps/{name}``
    http_version: str
    status: int
    sent: int  # body bytes
    seconds: float
    client: str


class Watcher(Protocol):
    def started(self) -> None: ...

    def finished(self, exchange: Exchange) -> None: ...


def route_of(scope: Scope) -> str:
    """The template of the route that answered: one label for all of ``/{rest:path}``.

    FastAPI names its own routes in the scope; a plain Starlette route or a mount leaves only
    what it matched, from which the template follows.
    """
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    if "endpoint" not in scope:
        return UNROUTED
    outer: str | None = scope.get("app_root_path")
    inner: str = scope.get("root_path", "")
    if outer is not None and inner != outer:
        return inner[len(outer) :] + "/{path}"  # a mounted app, by its prefix
    if not scope.get("path_params"):
        matched: str = scope["path"]
        return matched  # a route without parameters matches its own path only
    return PLAIN_ROUTE


def path_of(scope: Scope) -> str:
    # The raw path keeps its percent-escapes, so a decoded newline cannot forge a log line.
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    return raw[:PATH_CHARACTERS].decode("ascii", "backslashreplace")


class WatchedApp:
    """Tells each watcher when a request starts and, once answered, how it went."""

    def __init__(
        self, app: ASGIApp, watchers: Sequence[Watcher], proxies: Sequence[Network] = ()
    ) -> None:
        self.app = app
        self.watchers = tuple(watchers)
        self.proxies = tuple(proxies)  # whose X-Forwarded-For names the client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        sent = 0

        async def watched_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        for watcher in self.watchers:
            watcher.started()
        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            status = status or 500  # the outermost error handler answers it so
            raise
        except BaseException:
            status = status or CLIENT_CLOSED
            raise
        finally:
            exchange = Exchange(
                scope["method"][:METHOD_CHARACTERS],
                path_of(scope),
                route_of(scope),
                scope.get("http_version", "1.1"),
                status,
                sent,
                time.perf_counter() - started,
                client_address(scope, self.proxies),
            )
            for watcher in self.watchers:
                watcher.finished(exchange)
