"""Where jobs run: real worker processes first, the event loop once a job has proven cheap."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pyoxigraph as ox

from libassoc.web.dispatch import Dispatcher
from libassoc.web.evaluation import Answer, Outcome, QueryJob
from libassoc.web.pool import QueryPool
from libassoc.web.snapshot import Snapshot, take

EX = "http://example.org/"
JSON = ("json",)
COUNT = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format_params=JSON)
# Every pair of triples: about four million rows to count, far beyond a millisecond.
PAIRS = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", format_params=JSON)


def snapshot(triples: int, generation: int = 0) -> Snapshot:
    store = ox.Store()
    graph = ox.NamedNode(EX + "graph")
    store.extend(
        ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
        for i in range(triples)
    )
    merged = [ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store]
    store.extend(merged)
    return take(store, generation)


def count(outcome: Outcome) -> int:
    assert isinstance(outcome, Answer), outcome
    result = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)
    value = next(iter(result))["n"]
    assert isinstance(value, ox.Literal)
    return int(value.value)


def with_dispatcher(triples: int, body: Callable[[Dispatcher], Awaitable[None]]) -> None:
    async def run() -> None:
        dispatcher = Dispatcher(QueryPool(size=1, limit=30.0))
        await dispatcher.start(snapshot(triples))
        try:
            await body(dispatcher)
        finally:
            dispatcher.close()

    asyncio.run(run())


async def prove(dispatcher: Dispatcher, job: QueryJob) -> None:
    """Submit ``job`` until it is proven: a worker just woken may take over a millisecond."""
    for _ in range(50):
        if dispatcher.is_proven(job):
            return
        await dispatcher.submit(job)
    raise AssertionError(f"{job.text!r} never ran under the cheap limit in a worker")


def test_a_cheap_job_is_proven_and_then_answered_without_any_worker() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        first = await dispatcher.submit(COUNT)
        assert count(first) == 10
        assert isinstance(first, Answer) and first.seconds > 0
        await prove(dispatcher, COUNT)
        dispatcher.pool.close()  # no worker left: only the event loop can answer now
        assert count(await dispatcher.submit(COUNT)) == 10
        assert dispatcher.is_proven(COUNT)

    with_dispatcher(10, body)


def test_an_expensive_job_stays_with_the_workers() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(2):
            assert count(await dispatcher.submit(PAIRS)) == 2000 * 2000
        assert not dispatcher.is_proven(PAIRS)

    with_dispatcher(2000, body)


def test_a_job_that_may_wait_on_the_network_never_runs_inline() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(20):
            await dispatcher.submit(COUNT, may_run_inline=False)
        assert not dispatcher.is_proven(COUNT)

    with_dispatcher(10, body)


def test_new_data_forgets_what_was_proven_and_answers_from_the_new_data() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await prove(dispatcher, COUNT)
        await dispatcher.publish(snapshot(25, generation=1))
        assert not dispatcher.is_proven(COUNT)
        assert count(await dispatcher.submit(COUNT)) == 25
        await prove(dispatcher, COUNT)
        assert count(await dispatcher.submit(COUNT)) == 25

    with_dispatcher(10, body)


def test_a_job_proven_for_one_output_is_not_proven_for_another() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await prove(dispatcher, COUNT)
        as_xml = QueryJob(COUNT.text, format_params=("xml",))
        assert not dispatcher.is_proven(as_xml)
        outcome = await dispatcher.submit(as_xml)
        assert isinstance(outcome, Answer) and outcome.content_type.startswith(
            "application/sparql-results+xml"
        )

    with_dispatcher(10, body)
