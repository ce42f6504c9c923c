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
``reading``: nothing reads the live store but the writer. A new checkpoint's view is opened by
its first reader, not by the write that published it: opening one reads every table's index,
tens of milliseconds at a million triples, which a stream of writes would otherwise pay each.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
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

log = logging.getLogger(__name__)


def job_key(job: QueryJob | GraphJob) -> bytes:
    """A short fixed-size key: a query text may be a megabyte long."""
    return hashlib.blake2b(repr(job).encode(), digest_size=16).digest()


class View:
    """A checkpoint and the web process's read-only view of it, opened when first read."""

    def __init__(self, checkpoint: Checkpoint, store: ox.Store | None = None) -> None:
        self.checkpoint = checkpoint
        self._store = store
        self._opening = threading.Lock()
        # Opening it for the proven jobs, once one has been proven (see Dispatcher._remember).
        self.warming: asyncio.Future[None] | None = None

    @property
    def opened(self) -> ox.Store | None:
        """The view if it is open; ``None`` rather than wait for it."""
        return self._store

    def store(self) -> ox.Store:
        """The view, opened here by the first caller (the others wait for it)."""
        store = self._store
        if store is None:
            with self._opening:
                if self._store is None:
                    self._store = self.checkpoint.open()
                store = self._store
        return store


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
        self._current: View | None = None
        self._proven: OrderedDict[bytes, None] = OrderedDict()
        self._running: dict[bytes, asyncio.Future[Outcome | None]] = {}

    @property
    def _generation(self) -> int:
        return -1 if self._current is None else self._current.checkpoint.generation

    @property
    def checkpoint(self) -> Checkpoint:
        assert self._current is not None  # noqa: S101 (start comes first)
        return self._current.checkpoint

    @property
    def view(self) -> View:
        assert self._current is not None  # noqa: S101 (start comes first)
        return self._current

    async def start(self, checkpoint: Checkpoint) -> None:
        self.pool.checkpoints.acquire(checkpoint)
        try:
            store = await asyncio.to_thread(checkpoint.open)
        except BaseException:
            self.pool.checkpoints.release(checkpoint)
            raise
        self._current = View(checkpoint, store)
        await self.pool.start(checkpoint)

    async def publish(self, checkpoint: Checkpoint) -> None:
        """New data: the view, the workers and what was learnt all change together, at once."""
        self.pool.checkpoints.acquire(checkpoint)
        previous, self._current = self._current, View(checkpoint)
        if previous is not None:
            self.pool.checkpoints.release(previous.checkpoint)
        self._proven.clear()
        self.kept.clear()
        self.pool.publish(checkpoint)

    @contextmanager
    def reading(self) -> Iterator[ox.Store]:
        """The current checkpoint, read-only, kept for as long as the caller reads it."""
        while True:
            # Read on a thread of its own while the event loop may move on to a newer
            # checkpoint and let this one go: then take the newer one.
            view = self.view
            if self.pool.checkpoints.acquire(view.checkpoint):
                break
        try:
            yield view.store()
        finally:
            self.pool.checkpoints.release(view.checkpoint)

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
        view = self.view.opened
        if key is not None and key in self._proven and view is not None:
            outcome = answer(view, job)
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
        view = self.view
        if view.opened is None and view.warming is None:
            # Off the event loop, so that the proven jobs can run on it from now on.
            view.warming = asyncio.ensure_future(asyncio.to_thread(self._warm))
            view.warming.add_done_callback(_report_failure)

    def _warm(self) -> None:
        with self.reading():
            pass

    def close(self) -> None:
        self.pool.close()


def _report_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and (error := done.exception()) is not None:
        # The view stays closed: the workers keep answering, and the next reader tries again.
        log.error("could not open the view of the current checkpoint: %s", error)
