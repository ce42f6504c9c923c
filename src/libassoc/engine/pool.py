"""A pool of query worker processes: a real time limit, and no query waits behind another.

Each job goes to an idle worker; the event loop waits for its answer without blocking.
At the time limit the worker is killed, which really stops the work, and a fresh one is started
in the background. After a write, ``publish`` hands out the new checkpoint: each worker opens it
before its next job, and lets go of the one it read, which is removed once nobody reads it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from libassoc.engine.checkpoint import Checkpoint, Checkpoints, Opened
from libassoc.engine.evaluation import Answer, GraphJob, Outcome, QueryJob, Refusal

log = logging.getLogger(__name__)

# What a client is told to wait before it tries again after a refusal that is not its fault:
# about the time a fresh worker takes to start.
RETRY_AFTER_SECONDS = 2
STARTUP_SECONDS = 60.0  # starting Python and opening a checkpoint; the data's size adds nothing
# Jobs waiting for a worker: beyond that, a new job is refused at once rather than held for
# seconds only to be refused at the end of its wait.
DEFAULT_QUEUE = 32


class WorkerGone(Exception):
    """The worker process died or stopped answering."""


class Worker:
    """One worker process and the two pipes to it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None  # noqa: S101
        self.process = process
        # The connections own their descriptors, so they get copies and Popen's are closed.
        self.inbox = Connection(os.dup(process.stdin.fileno()), readable=False)
        self.outbox = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        self.checkpoint: Checkpoint | None = None

    @property
    def generation(self) -> int:
        return -1 if self.checkpoint is None else self.checkpoint.generation

    @classmethod
    def spawn(cls, checkpoint: Checkpoint) -> Worker:
        process = subprocess.Popen(
            [sys.executable, "-m", "libassoc.engine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        worker = cls(process)
        try:
            opened = worker.open(checkpoint, time.monotonic() + STARTUP_SECONDS)
        except WorkerGone:
            worker.kill()
            raise
        if not opened:
            worker.kill()
            raise WorkerGone("a new query worker did not start in time")
        return worker

    def _receive(self, deadline: float) -> object | None:
        """The next message, or None when ``deadline`` passes first."""
        try:
            if not self.outbox.poll(max(deadline - time.monotonic(), 0.0)):
                return None
            message: object = self.outbox.recv()
        except (EOFError, OSError) as error:
            raise WorkerGone(f"query worker {self.process.pid} ended") from error
        return message

    def open(self, checkpoint: Checkpoint, deadline: float) -> bool:
        """Have the worker read ``checkpoint`` from now on; False if it did not in time."""
        try:
            self.inbox.send(checkpoint)
        except OSError as error:
            raise WorkerGone(f"query worker {self.process.pid} ended") from error
        opened = self._receive(deadline)
        if isinstance(opened, Opened) and opened.generation == checkpoint.generation:
            self.checkpoint = checkpoint
            return True
        return False

    async def ask(self, job: QueryJob | GraphJob, limit: float) -> Outcome | None:
        """The job's outcome, or None when it overran ``limit`` seconds (then kill this worker).

        The event loop itself waits for the answer (no thread hop per job): a cheap query's
        time is mostly this round trip.
        """
        try:
            self.inbox.send(job)
        except OSError as error:
            raise WorkerGone(f"query worker {self.process.pid} ended") from error
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[bool] = loop.create_future()
        descriptor = self.outbox.fileno()

        def settle(readable: bool) -> None:
            if not answered.done():
                answered.set_result(readable)

        loop.add_reader(descriptor, settle, True)
        timer = loop.call_later(limit, settle, False)
        try:
            if not await answered:
                return None
        finally:
            timer.cancel()
            loop.remove_reader(descriptor)
            # uvloop makes a watched descriptor non-blocking; the answer is read whole below.
            os.set_blocking(descriptor, True)
        try:
            outcome: object = self.outbox.recv()
        except (EOFError, OSError) as error:
            raise WorkerGone(f"query worker {self.process.pid} ended") from error
        if not isinstance(outcome, Answer | Refusal):
            raise WorkerGone(f"query worker {self.process.pid} answered {type(outcome).__name__}")
        return outcome

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.inbox.close()
        self.outbox.close()


class QueryPool:
    """``size`` workers, each job limited to ``limit`` seconds."""

    def __init__(
        self, size: int, limit: float, checkpoints: Checkpoints, queue: int = DEFAULT_QUEUE
    ) -> None:
        self.size = size
        self.limit = limit
        self.checkpoints = checkpoints
        self.queue = queue  # jobs that may wait for a worker; more are refused at once
        self.waiting = 0
        self._threads = ThreadPoolExecutor(max_workers=2 * size, thread_name_prefix="query")
        # Last in, first out: the worker that just answered is the one whose caches are still
        # warm, and on a virtual machine a worker woken after a pause starts markedly slower.
        self._idle: asyncio.LifoQueue[Worker] = asyncio.LifoQueue()
        self._workers: set[Worker] = set()
        self._checkpoint: Checkpoint | None = None
        self._closing = False
        # What operators watch (the metrics read them): workers replaced, jobs stopped.
        self.restarts = 0
        self.timeouts = 0

    @property
    def generation(self) -> int:
        return -1 if self._checkpoint is None else self._checkpoint.generation

    async def start(self, checkpoint: Checkpoint) -> None:
        self._checkpoint = checkpoint
        loop = asyncio.get_running_loop()
        spawned = await asyncio.gather(*(self._spawn(loop, checkpoint) for _ in range(self.size)))
        for worker in spawned:
            self._workers.add(worker)
            self._idle.put_nowait(worker)

    def _spawn(
        self, loop: asyncio.AbstractEventLoop, checkpoint: Checkpoint
    ) -> asyncio.Future[Worker]:
        self.checkpoints.acquire(checkpoint)
        spawning = loop.run_in_executor(self._threads, Worker.spawn, checkpoint)

        def failed(done: asyncio.Future[Worker]) -> None:
            if done.cancelled() or done.exception() is not None:
                self.checkpoints.release(checkpoint)

        spawning.add_done_callback(failed)
        return spawning

    def publish(self, checkpoint: Checkpoint) -> None:
        """New data: every job from now on sees it."""
        self._checkpoint = checkpoint

    async def submit(
        self, job: QueryJob | GraphJob, spent: Callable[[float], None] | None = None
    ) -> Outcome:
        """The job's outcome; ``spent`` hears how long it held a worker."""
        try:
            worker = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            if self.waiting >= self.queue:
                return Refusal(
                    503,
                    f"Every query worker is busy and {self.waiting} queries are waiting, the "
                    "most this server queues; try again shortly.",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            self.waiting += 1
            try:
                worker = await asyncio.wait_for(self._idle.get(), self.limit)
            except TimeoutError:
                return Refusal(
                    503,
                    f"Every query worker stayed busy for {self.limit:g} s; try again shortly.",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            finally:
                self.waiting -= 1
        # Shielded: when the client goes away, the job still ends and frees its worker.
        return await asyncio.shield(self._run(worker, job, spent))

    async def _run(
        self, worker: Worker, job: QueryJob | GraphJob, spent: Callable[[float], None] | None
    ) -> Outcome:
        checkpoint = self._checkpoint
        assert checkpoint is not None  # noqa: S101 (start comes first)
        started = time.monotonic()
        deadline = started + self.limit
        try:
            return await self._ask(worker, job, checkpoint, deadline)
        finally:
            if spent is not None:
                spent(time.monotonic() - started)

    async def _ask(
        self, worker: Worker, job: QueryJob | GraphJob, checkpoint: Checkpoint, deadline: float
    ) -> Outcome:
        try:
            if worker.generation != checkpoint.generation:
                loaded = await self._switch(worker, checkpoint, deadline)
                outcome = await worker.ask(job, deadline - time.monotonic()) if loaded else None
            else:
                outcome = await worker.ask(job, self.limit)
        except WorkerGone:
            # Named by its hash: the log is no place for a text that may be hostile or huge.
            log.warning(
                "query worker %s ended during job %s; starting another",
                worker.process.pid,
                job.digest,
            )
            self._replace(worker)
            return Refusal(
                503,
                f"The query worker ended while evaluating this request (logged as {job.digest}); "
                "a fresh worker is starting. Retry shortly, or simplify the query if it fails "
                "again.",
                retry_after=RETRY_AFTER_SECONDS,
            )
        if outcome is None:
            self.timeouts += 1
            self._replace(worker)
            return Refusal(
                503,
                f"The query ran longer than the time limit of {self.limit:g} s and was stopped. "
                "Narrow it (more specific patterns, LIMIT) or ask the operator for a longer limit.",
                repeats=True,
            )
        self._idle.put_nowait(worker)
        return outcome

    async def _switch(self, worker: Worker, checkpoint: Checkpoint, deadline: float) -> bool:
        """Move ``worker`` to ``checkpoint``, letting go of the one it read."""
        previous = worker.checkpoint
        self.checkpoints.acquire(checkpoint)
        loop = asyncio.get_running_loop()
        try:
            opened = await loop.run_in_executor(self._threads, worker.open, checkpoint, deadline)
        except BaseException:
            self.checkpoints.release(checkpoint)
            raise
        if not opened:
            self.checkpoints.release(checkpoint)
            return False
        if previous is not None:
            self.checkpoints.release(previous)
        return True

    def _kill(self, worker: Worker) -> None:
        worker.kill()
        self._workers.discard(worker)
        if worker.checkpoint is not None:
            self.checkpoints.release(worker.checkpoint)
            worker.checkpoint = None

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` now; a fresh one joins the pool once it has opened the checkpoint."""
        self._kill(worker)
        self.restarts += 1
        if self._closing or self._checkpoint is None:
            return
        loop = asyncio.get_running_loop()
        spawning = self._spawn(loop, self._checkpoint)

        def join(done: asyncio.Future[Worker]) -> None:
            if done.exception() is not None:
                log.error("could not start a query worker: %s", done.exception())
                return
            fresh = done.result()
            if self._closing:
                self._kill(fresh)
                return
            self._workers.add(fresh)
            self._idle.put_nowait(fresh)

        spawning.add_done_callback(join)

    def close(self) -> None:
        self._closing = True
        for worker in list(self._workers):
            self._kill(worker)
        self._threads.shutdown(wait=False, cancel_futures=True)
