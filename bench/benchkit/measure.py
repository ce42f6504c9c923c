"""Benchmark one query on every server: check the answers, then time it at each concurrency.

The servers take turns: each phase's budget is split into rounds, and in each round every server
gets its share, so that a burst of load from elsewhere on the machine falls on both alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace

from benchkit.answers import accept_for, answer_size
from benchkit.outcome import Measurement
from benchkit.servers import Server
from benchkit.stats import Phase, merge
from benchkit.workload import (
    Budget,
    QueryRequest,
    RequestFailure,
    RequestTimeout,
    client,
    fetch_once,
    run_phase,
)

ROUNDS = 10


def recover(server: Server) -> None:
    """After a timeout: a server still busy with the query is restarted, so the next is fair."""
    if not server.responsive(timeout=5.0):
        server.restart()


def skip_reason(concurrency: int, phases: Sequence[Phase], budget: Budget) -> str:
    """Why a phase is not run: an earlier one failed, or it could only end in timeouts."""
    if not phases:
        return ""
    first = phases[0]
    if not first.ok:
        return "skipped: failed at concurrency 1"
    median = first.median or 0.0
    if concurrency > 1 and median * concurrency > budget.timeout:
        return f"skipped: {concurrency} x {median:.1f} s median > {budget.timeout:g} s cap"
    return ""


@dataclass(frozen=True)
class Variant:
    """A server asked otherwise: under a name of its own, every request with extra headers."""

    name: str
    server: Server
    headers: tuple[tuple[str, str], ...]


@dataclass
class Track:
    """One server's (or variant's) progress through one query."""

    name: str
    server: Server
    request: QueryRequest
    answer: str = ""
    failure: str = ""
    phases: list[Phase] = field(default_factory=list)

    def measurement(self) -> Measurement:
        return Measurement(self.name, self.answer, self.failure, tuple(self.phases))


async def check_answer(track: Track, timeout: float) -> None:
    """One untimed request: the answer's size, or why there is none."""
    try:
        answer = await fetch_once(track.request, timeout)
    except RequestTimeout:
        recover(track.server)
        track.failure = f"timeout (> {timeout:g} s)"
        return
    except RequestFailure as error:
        recover(track.server)
        track.failure = f"request failed: {error!r}"
        return
    if answer.status != 200:
        excerpt = answer.body[:160].decode("utf-8", "replace").replace("\n", " ")
        track.failure = f"HTTP {answer.status}: {excerpt}"
        return
    try:
        track.answer = answer_size(track.request.kind, answer.content_type, answer.body)
    except (ValueError, SyntaxError) as error:
        track.answer = f"unreadable ({error})"


def round_budget(budget: Budget, rounds: int) -> Budget:
    return replace(
        budget,
        max_requests=max(1, -(-budget.max_requests // rounds)),
        seconds=budget.seconds / rounds,
    )


async def timed_rounds(tracks: Sequence[Track], concurrency: int, budget: Budget) -> None:
    """Up to ROUNDS turns each; a server stops early once its share of time is spent."""
    share = round_budget(budget, ROUNDS)
    parts: dict[int, list[Phase]] = {}
    for track in tracks:
        if track.failure:
            continue
        reason = skip_reason(concurrency, track.phases, budget)
        if reason:
            track.phases.append(Phase(concurrency, (), 0.0, skipped=reason))
        else:
            parts[id(track)] = []
    async with AsyncExitStack() as stack:
        clients = {
            id(track): await stack.enter_async_context(client(concurrency, budget.timeout))
            for track in tracks
            if id(track) in parts
        }
        for _ in range(ROUNDS):
            for track in tracks:
                done = parts.get(id(track))
                if done is None or _finished(done, budget):
                    continue
                phase = await run_phase(clients[id(track)], track.request, concurrency, share)
                done.append(phase)
                if phase.timeouts or phase.errors:
                    recover(track.server)
    for track in tracks:
        if id(track) in parts:
            track.phases.append(merge(parts[id(track)]))


def _finished(done: Sequence[Phase], budget: Budget) -> bool:
    if any(p.timeouts or p.errors for p in done):
        return True
    spent = sum(p.elapsed for p in done)
    sent = sum(p.completed for p in done)
    return spent >= budget.seconds or sent >= budget.max_requests


async def measure(
    servers: Sequence[Server | Variant],
    text: str,
    kind: str,
    steps: Sequence[tuple[int, Budget]],
) -> list[Measurement]:
    """Every server's answer size, then one merged phase per (concurrency, budget)."""
    accept = accept_for(kind)
    variants = [s if isinstance(s, Variant) else Variant(s.spec.name, s, ()) for s in servers]
    tracks = [
        Track(v.name, v.server, QueryRequest(v.server.spec.endpoint, text, accept, kind, v.headers))
        for v in variants
    ]
    for track in tracks:
        await check_answer(track, steps[0][1].timeout)
    for concurrency, budget in steps:
        await timed_rounds(tracks, concurrency, budget)
    return [track.measurement() for track in tracks]
