"""Where jobs run: real worker processes first, the event loop once a job has proven cheap.

The thresholds are the dispatcher's parameters: most tests set them so that whether a job is
cheap does not depend on how fast this machine is; one keeps the real ones.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

import pyoxigraph as ox

from libassoc.store import replace_contents
from libassoc.web.dispatch import Dispatcher
from libassoc.web.evaluation import Answer, Outcome, QueryJob
from libassoc.web.pool import QueryPool
from libassoc.web.snapshot import Snapshot, take

EX = "http://example.org/"
JSON = ("json",)
COUNT = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", format_params=JSON)
GRAPHS = QueryJob("SELECT ?g WHERE { GRAPH ?g {} } ORDER BY ?g", format_params=JSON)
# Every pair of triples: about four million rows to count, far beyond a millisecond.
PAIRS = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }", format_params=JSON)
ALWAYS = math.inf  # as cheap_seconds: every answer counts as cheap


def snapshot(triples: int, generation: int = 0) -> Snapshot:
    """``triples`` triples in one named graph, their merge, and an empty named graph."""
    store = ox.Store()
    graph = ox.NamedNode(EX + "graph")
    replace_contents(
        store,
        (
            ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), graph)
            for i in range(triples)
        ),
    )
    store.add_graph(ox.NamedNode(EX + "empty"))
    return take(store, generation)


def count(outcome: Outcome) -> int:
    assert isinstance(outcome, Answer), outcome
    result = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)
    value = next(iter(result))["n"]
    assert isinstance(value, ox.Literal)
    return int(value.value)


def with_dispatcher(
    triples: int, body: Callable[[Dispatcher], Awaitable[None]], **thresholds: float
) -> None:
    async def run() -> None:
        dispatcher = Dispatcher(QueryPool(size=1, limit=30.0), **thresholds)
        await dispatcher.start(snapshot(triples))
        try:
            await body(dispatcher)
        finally:
            dispatcher.close()

    asyncio.run(run())


def test_a_cheap_job_is_proven_and_then_answered_without_any_worker() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        from_worker = {job: await dispatcher.submit(job) for job in (COUNT, GRAPHS)}
        assert all(dispatcher.is_proven(job) for job in from_worker)
        dispatcher.pool.close()  # no worker left: only the event loop can answer now
        for job, first in from_worker.items():
            inline = await dispatcher.submit(job)
            # The replica holds what the workers hold: the merge, the graphs, the empty one.
            assert isinstance(inline, Answer) and isinstance(first, Answer)
            assert inline.body == first.body
        assert count(await dispatcher.submit(COUNT)) == 10

    with_dispatcher(10, body, cheap_seconds=ALWAYS)


def test_every_answer_is_timed_where_it_ran() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(2):  # in a worker, then inline
            outcome = await dispatcher.submit(COUNT)
            assert isinstance(outcome, Answer) and 0 < outcome.seconds < 30

    with_dispatcher(10, body, cheap_seconds=ALWAYS)


def test_an_expensive_job_stays_with_the_workers() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(2):
            assert count(await dispatcher.submit(PAIRS)) == 2000 * 2000
        assert not dispatcher.is_proven(PAIRS)

    with_dispatcher(2000, body)  # the real thresholds


def test_a_job_too_long_on_the_event_loop_goes_back_to_the_workers() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        assert dispatcher.is_proven(COUNT)
        assert count(await dispatcher.submit(COUNT)) == 10  # inline, and over the limit
        assert not dispatcher.is_proven(COUNT)

    with_dispatcher(10, body, cheap_seconds=ALWAYS, too_long_seconds=0.0)


def test_a_job_that_may_wait_on_the_network_never_runs_inline() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        for _ in range(3):
            await dispatcher.submit(COUNT, may_run_inline=False)
        assert not dispatcher.is_proven(COUNT)

    with_dispatcher(10, body, cheap_seconds=ALWAYS)


def test_new_data_forgets_what_was_proven_and_answers_from_the_new_data() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        await dispatcher.publish(snapshot(25, generation=1))
        assert not dispatcher.is_proven(COUNT)
        assert count(await dispatcher.submit(COUNT)) == 25  # in a worker
        assert count(await dispatcher.submit(COUNT)) == 25  # inline, on the new replica

    with_dispatcher(10, body, cheap_seconds=ALWAYS)


def test_a_job_measured_on_data_replaced_meanwhile_is_not_remembered() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        running = asyncio.ensure_future(dispatcher.submit(PAIRS))
        await asyncio.sleep(0.01)  # the worker is counting pairs of the old data
        await dispatcher.publish(snapshot(10, generation=1))
        assert count(await running) == 2000 * 2000
        assert not dispatcher.is_proven(PAIRS)

    with_dispatcher(2000, body, cheap_seconds=ALWAYS)


def test_a_job_proven_for_one_output_is_not_proven_for_another() -> None:
    async def body(dispatcher: Dispatcher) -> None:
        await dispatcher.submit(COUNT)
        as_xml = QueryJob(COUNT.text, format_params=("xml",))
        assert dispatcher.is_proven(COUNT) and not dispatcher.is_proven(as_xml)
        outcome = await dispatcher.submit(as_xml)
        assert isinstance(outcome, Answer)
        assert outcome.content_type.startswith("application/sparql-results+xml")

    with_dispatcher(10, body, cheap_seconds=ALWAYS)
