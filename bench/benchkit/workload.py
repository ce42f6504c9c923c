"""Send one query over and over, at a given concurrency, within a request and a time budget.

The client is aiohttp: at a few milliseconds a request, a heavier client (httpx takes about 1.5 ms
of CPU per request here) would be the bottleneck at concurrency 8 and measure itself instead
of the servers.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from benchkit.stats import Phase


@dataclass(frozen=True)
class Budget:
    """How much of one query one phase may spend."""

    max_requests: int
    seconds: float
    timeout: float  # the client's cap on one request


@dataclass(frozen=True)
class QueryRequest:
    """A query as it goes over the wire: GET ``endpoint?query=...`` with an Accept header."""

    endpoint: str
    query: str
    accept: str
    kind: str = "select"
    headers: tuple[tuple[str, str], ...] = ()  # besides Accept


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    seconds: float


class FailedRequestError(Exception):
    """The server answered with an error status."""


Client = aiohttp.ClientSession
# What a failed request raises: the client's time limit, or a connection or protocol error.
RequestTimeout = TimeoutError
RequestFailure = aiohttp.ClientError


def client(concurrency: int, timeout: float) -> Client:
    """A client that keeps ``concurrency`` connections open and never uses a proxy.

    Open it inside the event loop (``async with``); the servers' phases each keep theirs across
    rounds, so no round pays for new connections.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=timeout),
        trust_env=False,
    )


async def fetch(http: Client, request: QueryRequest) -> Answer:
    started = time.perf_counter()
    async with http.get(
        request.endpoint,
        params={"query": request.query},
        headers={"Accept": request.accept, **dict(request.headers)},
    ) as response:
        body = await response.read()
    seconds = time.perf_counter() - started
    content_type = response.headers.get("Content-Type", "")
    return Answer(response.status, content_type, body, seconds)


async def timed(http: Client, request: QueryRequest) -> float:
    answer = await fetch(http, request)
    if answer.status != 200:
        raise FailedRequestError(f"HTTP {answer.status}: {answer.body[:200]!r}")
    return answer.seconds


async def run_phase(http: Client, request: QueryRequest, concurrency: int, budget: Budget) -> Phase:
    """``concurrency`` workers share ``http`` and send the query until the budget is spent.

    Each worker sends at least one request; after a timeout or an error nobody starts another
    (a server without a time limit is still busy with the query that timed out).
    """
    durations: list[float] = []
    failures = {"timeouts": 0, "errors": 0}
    issued = 0
    started = time.perf_counter()

    def may_start() -> bool:
        if failures["timeouts"] or failures["errors"]:
            return False
        if issued < concurrency:
            return True
        return issued < budget.max_requests and time.perf_counter() - started < budget.seconds

    async def worker() -> None:
        nonlocal issued
        while may_start():
            issued += 1
            try:
                durations.append(await timed(http, request))
            except RequestTimeout:
                failures["timeouts"] += 1
            except (RequestFailure, FailedRequestError):
                failures["errors"] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Phase(concurrency, tuple(durations), elapsed, failures["timeouts"], failures["errors"])


async def fetch_once(request: QueryRequest, timeout: float) -> Answer:
    async with client(1, timeout) as http:
        return await fetch(http, request)
