"""Send one query over and over, at a given concurrency, within a request and a time budget."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

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


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    seconds: float


class FailedRequestError(Exception):
    """The server answered with an error status."""


def client(concurrency: int, timeout: float) -> httpx.AsyncClient:
    """A client that keeps ``concurrency`` connections open and never uses a proxy."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False)


async def fetch(http: httpx.AsyncClient, request: QueryRequest) -> Answer:
    started = time.perf_counter()
    response = await http.get(
        request.endpoint, params={"query": request.query}, headers={"Accept": request.accept}
    )
    seconds = time.perf_counter() - started
    content_type = response.headers.get("content-type", "")
    return Answer(response.status_code, content_type, response.content, seconds)


async def timed(http: httpx.AsyncClient, request: QueryRequest) -> float:
    answer = await fetch(http, request)
    if answer.status != 200:
        raise FailedRequestError(f"HTTP {answer.status}: {answer.body[:200]!r}")
    return answer.seconds


async def run_phase(request: QueryRequest, concurrency: int, budget: Budget) -> Phase:
    """``concurrency`` workers send the query until the budget is spent.

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

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal issued
        while may_start():
            issued += 1
            try:
                durations.append(await timed(http, request))
            except httpx.TimeoutException:
                failures["timeouts"] += 1
            except (httpx.HTTPError, FailedRequestError):
                failures["errors"] += 1

    async with client(concurrency, budget.timeout) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return Phase(concurrency, tuple(durations), elapsed, failures["timeouts"], failures["errors"])


async def fetch_once(request: QueryRequest, timeout: float) -> Answer:
    async with client(1, timeout) as http:
        return await fetch(http, request)
