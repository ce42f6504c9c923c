"""The load generator of ``bench/load.py``: kinds of traffic, request loops, what they gave.

Each simulated client has its own ``User-Agent`` (libassoc tells clients apart by address and
agent) and one or more request loops; a loop sends one request after the other, waits its
think time, or as long as ``Retry-After`` says after a 429 or 503, as a polite client does.

Think times are drawn from an exponential distribution around the loop's mean, as the pauses of
independent people and scripts are: loops that all waited exactly as long would keep arriving
in step, in bursts that no real set of clients sends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchkit.stats import Timed
from benchkit.workload import client

INTENDED = frozenset({429, 503})


@dataclass(frozen=True)
class Call:
    path: str
    accept: str
    query: str | None = None


@dataclass(frozen=True)
class Kind:
    """One kind of traffic: its calls (cycled), and its clients' request loops."""

    name: str
    calls: tuple[Call, ...]
    loops: tuple[int, ...]  # request loops of each client
    think: float = 0.0  # seconds each loop waits after an answer


def mix(concurrency: int) -> dict[str, tuple[int, ...]]:
    """Request loops per client for each kind: half cheap queries, a quarter pages, an eighth
    each dumps and expensive queries; expensive from at most three clients, so that each holds
    a worker and one waits for its own (libassoc lets a client hold workers - 1 at once)."""
    if concurrency < 4:
        raise ValueError("the concurrency must be 4 or more: one loop for each kind")
    pages, dumps = max(1, concurrency // 4), max(1, concurrency // 8)
    expensive = dumps
    cheap = concurrency - pages - dumps - expensive
    return {
        "cheap query": spread(cheap, -(-cheap // 4)),
        "page view": spread(pages, -(-pages // 2)),
        "dump download": spread(dumps, -(-dumps // 2)),
        "expensive query": spread(expensive, min(3, expensive)),
    }


def spread(loops: int, clients: int) -> tuple[int, ...]:
    """``loops`` dealt out to ``clients`` as evenly as can be, the first ones getting more."""
    return tuple(loops // clients + (i < loops % clients) for i in range(clients))


# --- requests and what they gave ------------------------------------------------------------


@dataclass
class Tally(Timed):
    """Every answer of one kind: its status (or the transport error), and the time of each
    successful one (seconds, until the whole body arrived)."""

    times: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    received: int = 0  # bytes
    slowest: float = 0.0

    @property
    def durations(self) -> tuple[float, ...]:  # type: ignore[override]
        return tuple(self.times)

    def add(self, outcome: str, seconds: float, size: int) -> None:
        self.outcomes[outcome] += 1
        self.received += size
        self.slowest = max(self.slowest, seconds)
        if outcome.isdigit() and (200 <= int(outcome) < 400):
            self.times.append(seconds)

    @property
    def count(self) -> int:
        return sum(self.outcomes.values())

    @property
    def errors(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if not intended(outcome))


def intended(outcome: str) -> bool:
    """An answer the server means: success, not modified, or a refusal to wait (429, 503)."""
    return outcome.isdigit() and (200 <= int(outcome) < 400 or int(outcome) in INTENDED)


async def send(
    http: aiohttp.ClientSession, base: str, call: Call, agent: str
) -> tuple[str, float, int, float]:
    """(outcome, seconds, bytes, Retry-After seconds): the status, or the error's name."""
    headers = {"Accept": call.accept, "User-Agent": agent}
    params = {"query": call.query} if call.query is not None else None
    started = time.perf_counter()
    size, retry_after = 0, 0.0
    try:
        async with http.get(base + call.path, params=params, headers=headers) as response:
            async for chunk in response.content.iter_chunked(1 << 16):
                size += len(chunk)
            outcome = str(response.status)
            wait = response.headers.get("Retry-After", "")
            retry_after = float(wait) if wait.isdigit() else 0.0
    except TimeoutError:
        outcome = "client timeout"
    except aiohttp.ClientError as error:
        outcome = type(error).__name__
    return outcome, time.perf_counter() - started, size, retry_after


@dataclass
class Bounds:
    """When a phase stops starting requests: at ``deadline`` or after ``most`` requests."""

    deadline: float
    most: int
    issued: int = 0

    def take(self) -> bool:
        if self.issued >= self.most or time.monotonic() >= self.deadline:
            return False
        self.issued += 1
        return True


async def loop(
    http: aiohttp.ClientSession,
    base: str,
    calls: Sequence[Call],
    agent: str,
    bounds: Bounds,
    think: float = 0.0,
    number: int = 0,
) -> Tally:
    """One request after the other until the bounds are reached, ``think`` seconds apart on
    average or as long as Retry-After says; ``number`` tells apart the loops of one agent."""
    tally = Tally()
    pauses = random.Random(f"{agent}/{number}")  # noqa: S311 (the same pauses on every run)
    for call in itertools.cycle(calls):
        if not bounds.take():
            return tally
        outcome, seconds, size, retry_after = await send(http, base, call, agent)
        tally.add(outcome, seconds, size)
        pause = max(pauses.expovariate(1 / think) if think else 0.0, retry_after)
        if pause:
            await asyncio.sleep(min(pause, max(0.0, bounds.deadline - time.monotonic())))
    return tally


def merged(tallies: Sequence[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.outcomes.update(tally.outcomes)
        total.times += tally.times
        total.received += tally.received
        total.slowest = max(total.slowest, tally.slowest)
    return total


async def together(
    http: aiohttp.ClientSession, base: str, kinds: Sequence[Kind], bounds: Bounds
) -> dict[str, Tally]:
    """Every kind's clients at once, each loop starting at another call of its kind."""
    runs: dict[str, list[asyncio.Task[Tally]]] = {}
    for kind in kinds:
        for number, loops in enumerate(kind.loops):
            agent = f"libassoc-load/{kind.name.replace(' ', '-')}-{number + 1}"
            for n in range(loops):
                start = (number * 7 + n * 3) % len(kind.calls)
                calls = kind.calls[start:] + kind.calls[:start]
                task = asyncio.create_task(loop(http, base, calls, agent, bounds, kind.think, n))
                runs.setdefault(kind.name, []).append(task)
    return {name: merged(await asyncio.gather(*tasks)) for name, tasks in runs.items()}


async def drive(
    base: str, kinds: Sequence[Kind], bounds: Bounds, timeout: float
) -> tuple[dict[str, Tally], int]:
    """``kinds`` together on connections of their own; what they gave, and how many were sent."""
    async with client(sum(sum(k.loops) for k in kinds), timeout) as http:
        return await together(http, base, kinds, bounds), bounds.issued


def drive_apart(
    base: str, kinds: Sequence[Kind], bounds: Bounds, timeout: float
) -> tuple[dict[str, Tally], int]:
    """``drive`` in a process of its own: reading pages and dumps takes the client's CPU, and
    in the same event loop as the cheap queries it would delay their timing, not the server."""
    return asyncio.run(drive(base, kinds, bounds, timeout))


# The clients stand for machines of their own, but here they share the server's two cores: the
# many that make the load yield to the server, and the one that times the cheap queries runs
# ahead of it, so that what is measured is the server's delay, not the load generator's.
BACKGROUND_NICENESS = 19
PROBE_NICENESS = -5


def ready() -> None:
    """Once it returns, the spawned process has imported this module and yields to the server."""
    os.nice(BACKGROUND_NICENESS)


def raise_probe() -> bool:
    """Put the process that times the cheap queries ahead; False where that is not allowed."""
    try:
        os.nice(PROBE_NICENESS)
    except PermissionError:
        return False
    return True


# How the server logs a query answered 200, with its own time for it (web/access_log.py).
ANSWERED_QUERY = re.compile(r'"GET /sparql HTTP/[\d.]+" 200 \d+ B ([\d.]+) ms$', re.MULTILINE)


def cpu_stall() -> int | None:
    """Microseconds some task on the machine has waited for a CPU, since boot (Linux PSI)."""
    try:
        some = Path("/proc/pressure/cpu").read_text(encoding="ascii").splitlines()[0]
        return int(some.rsplit("total=", 1)[1])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Seen(Timed):
    """What the machine and the server said about one phase: the share of its time some task
    waited for a CPU, and the server's own time for each query it answered 200."""

    pressure: float | None
    durations: tuple[float, ...]


class Watch:
    """Marks the start of a phase: the CPU stall counter and the end of the server's log."""

    def __init__(self, log: Path | None) -> None:
        self.log = log
        self.offset = log.stat().st_size if log else 0
        self.started, self.stall = time.monotonic(), cpu_stall()

    def seen(self) -> Seen:
        stall, elapsed = cpu_stall(), time.monotonic() - self.started
        pressure = None
        if stall is not None and self.stall is not None and elapsed > 0:
            pressure = (stall - self.stall) / 1e6 / elapsed
        times: tuple[float, ...] = ()
        if self.log:
            with self.log.open("rb") as text:
                text.seek(self.offset)
                written = text.read().decode(errors="replace")
            times = tuple(float(ms) / 1000 for ms in ANSWERED_QUERY.findall(written))
        return Seen(pressure, times)
