"""One line per request: client, method, path, status, body bytes and duration.

It replaces uvicorn's own access log (``libassoc serve`` turns that off), which shows the query
string. Query strings are left out here: a query string can carry anything a client put there,
a secret included, and the query text of ``/sparql`` is no log's business. Headers are never
logged, so neither is the write token.
"""

from __future__ import annotations

import logging

from libassoc.web.exchanges import Exchange

log = logging.getLogger("libassoc.access")
LINE = '%s - "%s %s HTTP/%s" %d %d B %.1f ms'


class AccessLog:
    """Writes each exchange to the ``libassoc.access`` logger (``logs.py`` formats it)."""

    def started(self) -> None:
        pass

    def finished(self, exchange: Exchange) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        milliseconds = round(exchange.seconds * 1000, 3)
        arguments = (
            exchange.client or "-",
            exchange.method,
            exchange.path,
            exchange.http_version,
            exchange.status,
            exchange.sent,
            milliseconds,
        )
        fields = {
            "client": exchange.client,
            "method": exchange.method,
            "path": exchange.path,
            "route": exchange.route,
            "http_version": exchange.http_version,
            "status": exchange.status,
            "bytes": exchange.sent,
            "duration_ms": milliseconds,
        }
        # The record made here rather than by ``log.info``, which walks the stack to find its
        # caller: that alone would be a fifth of what logging a request costs.
        record = log.makeRecord(
            log.name, logging.INFO, __file__, 0, LINE, arguments, None, extra={"access": fields}
        )
        log.handle(record)
