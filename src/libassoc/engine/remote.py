"""Queries answered by a remote store, under the limits the embedded engine keeps.

The remote evaluates; libassoc keeps its own rules around it: the protocol dataset, the row cap
and the client's output syntax (``evaluation.answer`` does for the remote's parsed answer what
it does for Oxigraph's), the time limit (a request past it is abandoned, and the store is told
the same limit where it takes one), per-client shares and a bounded queue. Each request waits
for the remote on a thread of its own, so that parsing and writing answers leave the event loop
free.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, nullcontext

from libassoc.engine.dispatch import REMEMBERED_JOBS, job_key
from libassoc.engine.evaluation import Answer, GraphJob, Outcome, QueryJob, Refusal, answer
from libassoc.engine.fairness import Fairness
from libassoc.engine.pool import RETRY_AFTER_SECONDS
from libassoc.engine.result_cache import ResultCache
from libassoc.remote.dataset import RemoteDataset

# A round trip to the remote and back: what a lookup costs there, far below a long query.
CHEAP_SECONDS = 0.05


class RemoteQueries:
    """At most ``size`` requests at the remote at once, ``queue`` more waiting, ``limit`` s each."""

    def __init__(
        self,
        dataset: RemoteDataset,
        size: int,
        limit: float,
        queue: int,
        fairness: Fairness | None = None,
    ) -> None:
        self.dataset = dataset
        self.size = size
        self.limit = limit
        self.queue = queue
        self.fairness = fairness
        self.waiting = 0
        self.timeouts = 0
        self.restarts = 0  # no worker to replace: the metrics show 0
        self.kept: ResultCache | None = None
        self.generation = 0
        self._slots = asyncio.Semaphore(size)
        self._proven: OrderedDict[bytes, None] = OrderedDict()
        # Twice the slots: a thread whose request was abandoned ends at the client's own timeout,
        # a moment after its slot went to the next request.
        self._threads = ThreadPoolExecutor(max_workers=2 * size, thread_name_prefix="remote")

    async def submit(
        self,
        job: QueryJob | GraphJob,
        *,
        may_run_inline: bool = True,
        client: str | None = None,
        reuse: bool = True,
    ) -> Outcome:
        """The job's outcome; a ``client`` named here is held to its share (``fairness``).

        A job the remote answered quickly on the current data (``CHEAP_SECONDS``) does not wait
        for the client's other queries, as a proven-cheap job of the embedded engine does not:
        a client's lookups stay quick while its own long query runs. (``may_run_inline`` is the
        embedded engine's choice; nothing runs inline here.) Nor is any answer kept for
        ``reuse``: others may write to the remote store, and nothing here would know.
        """
        if client is None or self.fairness is None:
            return await self._timed(job, None)
        self.fairness.check(client)
        key = job_key(job)
        slot: AbstractAsyncContextManager[None] = (
            nullcontext() if key in self._proven else self.fairness.slot(client)
        )
        async with slot:
            started = time.monotonic()
            try:
                return await self._timed(job, key)
            finally:
                self.fairness.charge(client, time.monotonic() - started)

    async def _timed(self, job: QueryJob | GraphJob, key: bytes | None) -> Outcome:
        generation, started = self.generation, time.monotonic()
        outcome = await self._run(job)
        if key is None or generation != self.generation:
            return outcome
        if isinstance(outcome, Answer) and time.monotonic() - started < CHEAP_SECONDS:
            self._proven[key] = None
            self._proven.move_to_end(key)
            if len(self._proven) > REMEMBERED_JOBS:
                self._proven.popitem(last=False)
        else:
            self._proven.pop(key, None)
        return outcome

    def publish(self) -> None:
        """New data: what proved cheap may not be any more."""
        self.generation += 1
        self._proven.clear()

    async def _run(self, job: QueryJob | GraphJob) -> Outcome:
        if self._slots.locked() and self.waiting >= self.queue:
            return Refusal(
                503,
                f"{self.size} requests are at the remote store and {self.waiting} are waiting, "
                "the most this server queues; try again shortly.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limit)
        except TimeoutError:
            return Refusal(
                503,
                f"The remote store stayed busy for {self.limit:g} s; try again shortly.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        finally:
            self.waiting -= 1
        try:
            running = asyncio.get_running_loop().run_in_executor(
                self._threads, answer, self.dataset, job
            )
            return await asyncio.wait_for(running, self.limit)
        except TimeoutError:
            self.timeouts += 1
            return Refusal(
                503,
                f"The query ran longer than the time limit of {self.limit:g} s and was stopped "
                "(its answer is no longer awaited). Narrow it (more specific patterns, LIMIT) or "
                "ask the operator for a longer limit.",
            )
        finally:
            self._slots.release()

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        self.dataset.close()
