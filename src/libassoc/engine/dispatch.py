"""Where a job runs: in a worker under the time limit, or on the event loop once proven cheap.

Handing a job to a worker and taking its answer back wakes two processes. On a virtual machine
that costs one to two milliseconds, more than a small lookup takes to evaluate. So every answer
carries the processor time its evaluation took, and a job (its query, dataset and output
format) that took under ``CHEAP_SECONDS`` on the current data is from then on evaluated on the
event loop, on a read-only view of the same checkpoint the workers read. A job is always tried
in a worker first, under the time limit, and a write forgets everything learnt, since the same
query can cost far more on other data. On the same data a query does the same work every time,
so what proved cheap stays cheap. For the same reason an answer is kept until the next write
(``result_cache.py``) and a repeated job is not evaluated at all, unless its client asks for a
fresh evaluation.

Whatever else the web process reads (pages, descriptions) reads that view too, through
``reading``: nothing reads the live store but the writer.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager, nullcontext

import pyoxigraph as ox

from libassoc.engine.checkpoint import Checkpoint
from libassoc.engine.evaluation import Answer, GraphJob, Outcome, QueryJob, Refusal, answer
from libassoc.engine.fairness import Fairness
from libassoc.engine.pool import QueryPool
from libassoc.engine.result_cache import ResultCache

# Below this a worker's round trip costs about as much as the evaluation it carries. Measured at
# 1M triples: lookups that Oxigraph server answers in 1-2 ms took 2.5-3.7 ms through a worker.
CHEAP_SECONDS = 0.004
# A proven job that held the event loop this long goes back to the workers. Well above
# CHEAP_SECONDS: a job measured in a worker that has just woken is slower than on the event loop.
TOO_LONG_ON_LOOP_SECONDS = 0.015
REMEMBERED_JOBS = 4096


def job_key(job: QueryJob | GraphJob) -> bytes:
    """A short fixed-size key: a query text may be a megabyte long."""
    return hashlib.blake2b(repr(job).encode(), digest_size=16).digest()


class Dispatcher:
    """Runs jobs on ``pool``'s workers, or inline on a checkpoint once they have proven cheap."""

    def __init__(
        self,
        pool: QueryPool,
        cheap_seconds: float = CHEAP_SECONDS,
        too_long_seconds: float = TOO_LONG_ON_LOOP_SECONDS,
        fairness: Fairness | None = None,
        kept: ResultCache | None = None,
    ) -> None:
        self.pool = pool
        self.fairness = fairness
        self.kept = kept if kept is not None else ResultCache(0)
        self.cheap_seconds = cheap_seconds
        self.too_long_seconds = too_long_seconds
        # One attribute: a reader on another thread never pairs a checkpoint with another view.
        self._current: tuple[Checkpoint, ox.Store] | None = None
        self._proven: OrderedDict[bytes, None] = OrderedDict()
        self._running: dict[bytes, asyncio.Future[Outcome | None]] = {}

    @property
    def _generation(self) -> int:
        return -1 if self._current is None else self._current[0].generation

    @property
    def checkpoint(self) -> Checkpoint:
        assert self._current is not None  # noqa: S101 (start comes first)
        return self._current[0]

    async def start(self, checkpoint: Checkpoint) -> None:
        await self._open(checkpoint)
        await self.pool.start(checkpoint)

    async def _open(self, checkpoint: Checkpoint) -> None:
        self.pool.checkpoints.acquire(checkpoint)
        try:
            view = await asyncio.to_thread(checkpoint.open)
        except BaseException:
            self.pool.checkpoints.release(checkpoint)
            raise
        previous, self._current = self._current, (checkpoint, view)
        if previous is not None:
            self.pool.checkpoints.release(previous[0])

    async def publish(self, checkpoint: Checkpoint) -> None:
        """New data: the view, the workers and what was learnt all change together.

        The switch happens after the last wait, when this returns: the caller can switch what
        goes with the data in the same step.
        """
        await self._open(checkpoint)
        self._proven.clear()
        self.kept.clear()
        self.pool.publish(checkpoint)

    @contextmanager
    def reading(self) -> Iterator[ox.Store]:
        """The current checkpoint, read-only, kept for as long as the caller reads it."""
        while True:
            # Read on a thread of its own while the event loop may move on to a newer
            # checkpoint and let this one go: then take the newer one.
            assert self._current is not None  # noqa: S101 (start comes first)
            checkpoint, view = self._current
            if self.pool.checkpoints.acquire(checkpoint):
                break
        try:
            yield view
        finally:
            self.pool.checkpoints.release(checkpoint)

    @property
    def timeouts(self) -> int:
        return self.pool.timeouts

    @property
    def restarts(self) -> int:
        return self.pool.restarts

    @property
    def waiting(self) -> int:
        return self.pool.waiting

    def is_proven(self, job: QueryJob | GraphJob) -> bool:
        return job_key(job) in self._proven

    async def submit(
        self,
        job: QueryJob | GraphJob,
        *,
        may_run_inline: bool = True,
        client: str | None = None,
        reuse: bool = True,
    ) -> Outcome:
        """The job's outcome. ``may_run_inline=False`` for a job that may wait on the network.

        A ``client`` named here gets its share of query time and workers (``fairness``), and
        HttpProblem(429) once it has had more. ``reuse=False`` evaluates the job even when an
        answer to it on the current data is kept.
        """
        if client is not None and self.fairness is not None:
            self.fairness.check(client)
        key = job_key(job) if may_run_inline else None
        # A job that may wait on the network, or calls NOW() or RAND(), may answer otherwise
        # next time: it is neither kept nor shared.
        if key is None or (isinstance(job, QueryJob) and job.volatile):
            return await self._charged(job, key, client)
        if reuse:
            kept = self.kept.get(key)
            if kept is not None:
                return kept
            running = self._running.get(key)
            if running is not None:
                # The same job is being evaluated for another request: its outcome does for both.
                shared = await asyncio.shield(running)
                if shared is not None:
                    return shared
        return await self._evaluated(job, key, client)

    async def _evaluated(self, job: QueryJob | GraphJob, key: bytes, client: str | None) -> Outcome:
        """Evaluate ``job``; the first of several identical requests shares what it gets."""
        generation = self._generation
        leading = key not in self._running
        if leading:
            self._running[key] = asyncio.get_running_loop().create_future()
        outcome: Outcome | None = None
        try:
            outcome = await self._charged(job, key, client)
        finally:
            # What the current data gives is shared: an answer, or a refusal that would repeat
            # (a timeout). Any other refusal (the leader's own 429, a full queue) or a cancelled
            # request leaves the others to try for themselves. Only answers are kept.
            shared: Outcome | None = None
            if generation == self._generation:
                if isinstance(outcome, Answer):
                    self.kept.keep(key, outcome)
                    shared = outcome
                elif isinstance(outcome, Refusal) and outcome.repeats:
                    shared = outcome
            if leading:
                self._running.pop(key).set_result(shared)
        return outcome

    async def _charged(
        self, job: QueryJob | GraphJob, key: bytes | None, client: str | None
    ) -> Outcome:
        if client is None or self.fairness is None:
            return await self._submit(job, key, None)
        fairness = self.fairness

        def spent(seconds: float) -> None:
            fairness.charge(client, seconds)

        return await self._submit(job, key, spent, fairness.slot(client))

    async def _submit(
        self,
        job: QueryJob | GraphJob,
        key: bytes | None,
        spent: Callable[[float], None] | None,
        slot: AbstractAsyncContextManager[None] | None = None,
    ) -> Outcome:
        if key is not None and key in self._proven:
            assert self._current is not None  # noqa: S101 (proven jobs ran after start)
            outcome = answer(self._current[1], job)
            if spent is not None:
                spent(outcome.seconds if isinstance(outcome, Answer) else self.too_long_seconds)
            if isinstance(outcome, Answer) and outcome.seconds <= self.too_long_seconds:
                self._proven.move_to_end(key)
            else:
                del self._proven[key]
            return outcome
        generation = self._generation
        async with slot or nullcontext():
            outcome = await self.pool.submit(job, spent)
        cheap = isinstance(outcome, Answer) and outcome.seconds < self.cheap_seconds
        if key is not None and cheap and generation == self._generation:
            self._remember(key)
        return outcome

    def _remember(self, key: bytes) -> None:
        self._proven[key] = None
        if len(self._proven) > REMEMBERED_JOBS:
            self._proven.popitem(last=False)

    def close(self) -> None:
        self.pool.close()
