"""Where jobs run: real worker processes first, the event loop once a job has proven cheap.

Both read checkpoints of a real on-disk store. The thresholds are the dispatcher's parameters:
most tests set them so that whether a job is cheap does not depend on how fast this machine is;
one keeps the real ones.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

import pyoxigraph as ox

from libassoc.engine.checkpoint import Checkpoint, Checkpoints
from libassoc.engine.dispatch import Dispatcher
from libassoc.engine.evaluation import Answer, Outcome, QueryJob, strong_etag
from libassoc.engine.pool import QueryPool
from libassoc.engine.result_cache import ResultCache
from libassoc.store import replace_contents

EX = "http://example.org/"
JSON = ("json",)
COUNT = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format_params=JSON)
GRAPHS = QueryJob("SELECT ?g WHERE { GRAPH ?g {} } ORDER BY ?g", format_params=JSON)
# Every pair of triples: about four million rows to count, far beyond a millisecond.
PAIRS = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", format_params=JSON)
ALWAYS = math.inf  # as cheap_seconds: every answer counts as cheap


def snapshot(checkpoints: Checkpoints, triples: int, generation: int = 0) -> Checkpoint:
    """A checkpoint of ``triples`` triples in one named graph, their merge, an empty graph."""
    store = ox.Store(str(checkpoints.root.parent / f"store-{generation}"))
    graph = ox.NamedNode(EX + "graph")
    replace_contents(
        store,
        (
            ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
            for i in range(triples)
        ),
    )
    store.add_graph(ox.NamedNode(EX + "empty"))
    return checkpoints.take(store, generation)


def count(outcome: Outcome) -> int:
    assert isinstance(outcome, Answer), outcome
    result = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)
    value = next(iter(result))["n"]
    assert isinstance(value, ox.Literal)
    return int(value.value)


def with_dispatcher(
    folder: Path,
    triples: int,
    body: Callable[[Dispatcher], Awaitable[None]],
    kept: ResultCache | None = None,
    **thresholds: float,
) -> None:
    async def run() -> None:
        checkpoints = Checkpoints(folder / "checkpoints")
        dispatcher = Dispatcher(
            QueryPool(size=1, limit=30.0, checkpoints=checkpoints), kept=kept, **thresholds
        )
        await dispatcher.start(snapshot(checkpoints, triples))
        try:
            await body(dispatcher)
        finally:
            dispatcher.close()

    asyncio.run(run())


def test_a_cheap_job_is_proven_and_then_answered_without_any_worker(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        from_worker = {job: await dispatcher.submit(job) for job in (COUNT, GRAPHS)}
        assert all(dispatcher.is_proven(job) for job in from_worker)
        dispatcher.pool.close()  # no worker left: only the event loop can answer now
        for job, first in from_worker.items():
            inline = await dispatcher.submit(job)
            # Inline reads the checkpoint the workers read: the merge, the graphs, the empty one.
            assert isinstance(inline, Answer) and isinstance(first, Answer)
            assert inline.body == first.body
        assert count(await dispatcher.submit(COUNT)) == 10

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_a_new_checkpoint_s_view_is_opened_by_its_first_reader_not_by_the_write(
    tmp_path: Path,
) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        await dispatcher.publish(snapshot(dispatcher.pool.checkpoints, 30, generation=1))
        view = dispatcher.view
        assert view.opened is None and view.warming is None, "the write opened the view"
        # Proven again in a worker, on the new data: the view is opened off the event loop.
        assert count(await dispatcher.submit(COUNT)) == 30
        assert view.warming is not None
        await view.warming
        dispatcher.pool.close()
        assert count(await dispatcher.submit(COUNT)) == 30  # inline, on the view
        with dispatcher.reading() as store:
            assert store is view.opened

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_a_reader_opens_the_view_a_write_left_closed(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.publish(snapshot(dispatcher.pool.checkpoints, 30, generation=1))
        assert dispatcher.view.opened is None

        def read() -> int:
            with dispatcher.reading() as store:
                return len(list(store.quads_for_pattern(None, None, None, None)))

        assert await asyncio.to_thread(read) == 60
        assert dispatcher.view.opened is not None

    with_dispatcher(tmp_path, 10, body)


def test_every_answer_is_timed_where_it_ran(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(2):  # in a worker, then inline
            outcome = await dispatcher.submit(COUNT)
            assert isinstance(outcome, Answer) and 0 < outcome.seconds < 30

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_an_expensive_job_stays_with_the_workers(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(2):
            assert count(await dispatcher.submit(PAIRS)) == 2000 * 2000
        assert not dispatcher.is_proven(PAIRS)

    with_dispatcher(tmp_path, 2000, body)  # the real thresholds


def test_a_job_too_long_on_the_event_loop_goes_back_to_the_workers(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        assert dispatcher.is_proven(COUNT)
        assert count(await dispatcher.submit(COUNT)) == 10  # inline, and over the limit
        assert not dispatcher.is_proven(COUNT)

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS, too_long_seconds=0.0)


def test_a_job_that_may_wait_on_the_network_never_runs_inline(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(3):
            await dispatcher.submit(COUNT, may_run_inline=False)
        assert not dispatcher.is_proven(COUNT)

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_new_data_forgets_what_was_proven_and_answers_from_the_new_data(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        await dispatcher.publish(snapshot(dispatcher.pool.checkpoints, 25, generation=1))
        assert not dispatcher.is_proven(COUNT)
        assert count(await dispatcher.submit(COUNT)) == 25  # in a worker
        assert count(await dispatcher.submit(COUNT)) == 25  # inline, on the new checkpoint

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_a_job_measured_on_data_replaced_meanwhile_is_neither_remembered_nor_kept(
    tmp_path: Path,
) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        running = asyncio.ensure_future(dispatcher.submit(PAIRS))
        await asyncio.sleep(0.01)  # the worker is counting pairs of the old data
        await dispatcher.publish(snapshot(dispatcher.pool.checkpoints, 10, generation=1))
        assert count(await running) == 2000 * 2000
        assert not dispatcher.is_proven(PAIRS)
        assert len(dispatcher.kept) == 0
        assert count(await dispatcher.submit(PAIRS)) == 10 * 10

    with_dispatcher(tmp_path, 2000, body, cheap_seconds=ALWAYS, kept=ResultCache())


def test_a_job_proven_for_one_output_is_not_proven_for_another(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        as_xml = QueryJob(COUNT.text, format_params=("xml",))
        assert dispatcher.is_proven(COUNT) and not dispatcher.is_proven(as_xml)
        outcome = await dispatcher.submit(as_xml)
        assert isinstance(outcome, Answer)
        assert outcome.content_type.startswith("application/sparql-results+xml")

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)


def test_a_generation_nobody_reads_any_more_is_removed(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        checkpoints = dispatcher.pool.checkpoints
        first = dispatcher.checkpoint
        running = asyncio.ensure_future(dispatcher.submit(PAIRS))
        await asyncio.sleep(0.01)
        await dispatcher.publish(snapshot(checkpoints, 10, generation=1))
        # The worker still counts pairs in generation 0: its folder stays while it does.
        assert first.path.exists() and checkpoints.generations() == [0, 1]
        assert count(await running) == 2000 * 2000
        assert count(await dispatcher.submit(COUNT)) == 10  # the worker moves to generation 1
        assert not first.path.exists() and checkpoints.generations() == [1]
        assert not checkpoints.acquire(first), "a removed checkpoint has no readers to count"

    with_dispatcher(tmp_path, 2000, body)


def test_a_reader_keeps_its_generation_until_it_is_done(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        checkpoints = dispatcher.pool.checkpoints
        with dispatcher.reading() as old:
            await dispatcher.publish(snapshot(checkpoints, 25, generation=1))
            await dispatcher.submit(COUNT)  # the worker moves on; this reader has not
            assert checkpoints.generations() == [0, 1]
            assert len(list(old.quads_for_pattern(None, None, None, None))) == 20
        assert checkpoints.generations() == [1]
        with dispatcher.reading() as new:
            assert len(list(new.quads_for_pattern(None, None, None, None))) == 50

    with_dispatcher(tmp_path, 10, body)


def test_a_repeated_job_is_answered_with_the_answer_kept_and_not_evaluated(
    tmp_path: Path,
) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        first = await dispatcher.submit(COUNT)
        dispatcher.pool.close()  # no worker, and never proven: only a kept answer can come back
        assert not dispatcher.is_proven(COUNT)
        assert await dispatcher.submit(COUNT) is first
        assert (dispatcher.kept.hits, dispatcher.kept.misses) == (1, 1)

    with_dispatcher(tmp_path, 10, body, cheap_seconds=0.0, kept=ResultCache())


def test_a_client_asking_for_a_fresh_answer_gets_one_evaluated_now(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        first = await dispatcher.submit(COUNT)
        fresh = await dispatcher.submit(COUNT, reuse=False)
        assert fresh is not first and isinstance(fresh, Answer)
        assert isinstance(first, Answer) and fresh.body == first.body
        assert dispatcher.kept.hits == 0

    with_dispatcher(tmp_path, 10, body, cheap_seconds=0.0, kept=ResultCache())


def test_new_data_empties_the_kept_answers(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        assert count(await dispatcher.submit(COUNT)) == 10
        await dispatcher.publish(snapshot(dispatcher.pool.checkpoints, 25, generation=1))
        assert len(dispatcher.kept) == 0
        assert count(await dispatcher.submit(COUNT)) == 25

    with_dispatcher(tmp_path, 10, body, kept=ResultCache())


def test_identical_jobs_running_together_share_one_evaluation(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        answers = await asyncio.gather(*(dispatcher.submit(PAIRS) for _ in range(3)))
        assert answers[0] is answers[1] is answers[2]
        assert dispatcher.kept.hits == 0, "the other two waited for the first, not the cache"

    with_dispatcher(tmp_path, 2000, body, kept=ResultCache())


def test_a_job_that_may_wait_on_the_network_is_never_kept(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        first = await dispatcher.submit(COUNT, may_run_inline=False)
        assert await dispatcher.submit(COUNT, may_run_inline=False) is not first
        assert len(dispatcher.kept) == 0

    with_dispatcher(tmp_path, 10, body, kept=ResultCache())


def test_a_job_calling_now_or_rand_is_evaluated_every_time(tmp_path: Path) -> None:
    async def body(dispatcher: Dispatcher) -> None:
        job = QueryJob("SELECT (RAND() AS ?r) {}", format_params=JSON, volatile=True)
        answers = [await dispatcher.submit(job) for _ in range(2)]
        assert answers[0] is not answers[1] and len(dispatcher.kept) == 0

    with_dispatcher(tmp_path, 10, body, kept=ResultCache())


def test_an_answer_is_tagged_where_it_is_written(tmp_path: Path) -> None:
    """The worker hashes the bytes it wrote: the web process only copies the tag into a header."""

    async def body(dispatcher: Dispatcher) -> None:
        from_worker = await dispatcher.submit(COUNT)
        inline = await dispatcher.submit(COUNT, reuse=False)  # proven cheap: on the event loop
        for outcome in (from_worker, inline):
            assert isinstance(outcome, Answer)
            assert outcome.etag == strong_etag(outcome.content_type, outcome.body)
        assert dispatcher.is_proven(COUNT)

    with_dispatcher(tmp_path, 10, body, cheap_seconds=ALWAYS)
