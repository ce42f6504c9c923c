"""The benchmark harness's pure parts, on fixed numbers, so that ``bench/`` cannot rot.

Nothing here starts a server or times anything: ``make bench`` does that.
"""

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_module(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(f"benchkit.{name}")


stats = bench_module("stats")
answers = bench_module("answers")
outcome = bench_module("outcome")
report = bench_module("report")
synthetic = bench_module("synthetic")
main = bench_module("main")


def phase(concurrency: int, *ms: float, elapsed: float = 1.0, **extra: object) -> object:
    return stats.Phase(concurrency, tuple(m / 1000 for m in ms), elapsed, **extra)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert stats.percentile(values, 50) == 50.0
    assert stats.percentile(values, 99) == 99.0
    assert stats.percentile(values, 100) == 100.0
    assert stats.percentile([3.0, 1.0, 2.0], 99) == 3.0
    with pytest.raises(ValueError):
        stats.percentile([], 50)


def test_phase_summary() -> None:
    p = phase(1, 10, 20, 30, 40, elapsed=0.5)
    assert p.median == pytest.approx(0.025)
    assert p.p99 == pytest.approx(0.040)
    assert p.throughput == pytest.approx(8.0)
    assert p.ok
    assert not phase(1, 10, timeouts=1).ok
    assert phase(8, elapsed=0.0).throughput is None


def test_ratio_and_geometric_mean() -> None:
    assert stats.ratio(10.0, 2.0) == 5.0
    assert stats.ratio(None, 2.0) is None
    assert stats.ratio(1.0, 0.0) is None
    assert stats.geometric_mean([2.0, 8.0]) == pytest.approx(4.0)
    assert stats.geometric_mean([]) is None


def test_answer_sizes() -> None:
    select = (
        b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"uri","value":"a:b"}},{}]}}'
    )
    assert answers.answer_size("select", "application/sparql-results+json", select) == "2 rows"
    ask = b'{"head":{},"boolean":true}'
    assert answers.answer_size("ask", "application/sparql-results+json", ask) == "true"
    triples = (
        b"<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> <http://e/c> .\n"
    )
    assert answers.answer_size("describe", "application/n-triples", triples) == "2 triples"
    with pytest.raises(ValueError):
        answers.answer_size("select", "text/html", b"<html/>")
    assert answers.accept_for("construct").startswith("application/n-triples")


def sample_result(baseline_failure: str = "", note: str = "") -> object:
    ours = outcome.Measurement(
        "libassoc", "3 rows", phases=(phase(1, 2, 2, 4, elapsed=0.01), phase(8, 2, elapsed=0.004))
    )
    if baseline_failure:
        theirs = outcome.Measurement("rdflib-endpoint", failure=baseline_failure)
    else:
        theirs = outcome.Measurement(
            "rdflib-endpoint",
            "4 rows" if note else "3 rows",
            phases=(phase(1, 20, 20, 40, elapsed=0.1), phase(8, 20, elapsed=0.04)),
        )
    return outcome.QueryResult("cq-01-x", "select", "competency", ours, theirs, note)


INFO = report.RunInfo(
    date="2026-01-01 00:00 UTC",
    machine={"CPU": "2 cores"},
    settings={"mode": "full"},
    timeout=20.0,
)


def test_ratios_and_verdicts() -> None:
    result = sample_result()
    median = report.METRICS[0][2]
    assert report.metric_ratio(result, 1, median, False, 20.0) == (pytest.approx(10.0), False)
    assert report.ahead(result, 20.0) is True
    timed_out = sample_result("timeout (> 20 s)")
    value, bound = report.metric_ratio(timed_out, 1, median, False, 20.0)
    assert bound and value == pytest.approx(10_000.0)
    assert report.fmt_ratio(value, bound) == "> 10,000x"
    assert report.ahead(sample_result("HTTP 400: bad"), 20.0) is None


def with_phase(measurement: object, replaced: object) -> object:
    """``measurement`` with its phase at ``replaced``'s concurrency swapped for ``replaced``."""
    kept = tuple(p for p in measurement.phases if p.concurrency != replaced.concurrency)
    return outcome.Measurement(measurement.server, measurement.answer, phases=(*kept, replaced))


def test_a_number_libassoc_lacks_makes_the_verdict_no() -> None:
    result = sample_result()
    failing = with_phase(result.candidate, phase(8, 2, errors=1, elapsed=0.004))
    mixed = outcome.QueryResult(result.name, "select", "competency", failing, result.baseline)
    assert report.ahead(mixed, 20.0) is False
    lines = report.summary_lines(outcome.DatasetRun("d", "", 1, 1, 1, results=(mixed,)), INFO)
    assert any("libassoc at concurrency 8: 1 error(s)" in line for line in lines)


def test_a_baseline_too_slow_to_measure_counts_against_the_cap() -> None:
    result = sample_result()
    skipped = with_phase(result.baseline, phase(8, skipped="skipped: 8 x 9.0 s median > 20 s"))
    slow = outcome.QueryResult(result.name, "select", "competency", result.candidate, skipped)
    throughput = report.METRICS[3][2]
    value, bound = report.metric_ratio(slow, 8, throughput, True, 20.0)
    assert bound and value == pytest.approx(20.0 * 250.0)
    assert report.ahead(slow, 20.0) is True


def test_render_is_complete_markdown() -> None:
    runs = [
        outcome.DatasetRun(
            "shipped",
            "the data",
            10,
            9,
            2,
            startup={"libassoc": 1.0},
            results=(sample_result(), sample_result(note="alt paths")),
        ),
        outcome.DatasetRun("synthetic", "more", 0, 0, 0, failure="libassoc exited\nlog"),
    ]
    text = report.render(runs, INFO)
    assert text.startswith("# Benchmark: libassoc against rdflib-endpoint")
    assert "| `cq-01-x` | select | 3 rows | 10x | 10x | 10x | 10x | yes |" in text
    assert "differ (known): 3 rows / 4 rows" in text
    assert "alt paths" in text
    assert "not measured: libassoc exited" in text
    assert "| `cq-01-x` | libassoc | 2.00 | 4.00 | 300 | 250 | 4 |" in text


def test_synthetic_data_is_deterministic_and_has_no_blank_nodes() -> None:
    sizes = synthetic.Sizes().scaled(0.01)
    first = list(synthetic.statements(sizes))
    assert first == list(synthetic.statements(sizes))
    assert {graph for graph, _ in first} == set(range(synthetic.GRAPHS))
    assert not any(isinstance(t.subject, ox.BlankNode) for _, t in first)
    assert not any(isinstance(t.object, ox.BlankNode) for _, t in first)


def test_every_bench_query_parses_and_declares_its_kind() -> None:
    found = main.queries(None)
    heavy = [q for group, q in found if group == "heavy"]
    assert len(heavy) >= 3
    store = ox.Store()
    answer_types = {
        "select": ox.QuerySolutions,
        "ask": ox.QueryBoolean,
        "construct": ox.QueryTriples,
        "describe": ox.QueryTriples,
    }
    for query in heavy:
        assert "kind" in query.headers, f"{query.name} has no # kind: header"
        # Parsing raises SyntaxError on a malformed query; the answer's type checks the kind.
        assert isinstance(store.query(query.text), answer_types[query.kind]), query.name


def test_rounds_merge_into_one_phase() -> None:
    merged = stats.merge([phase(1, 10, 30, elapsed=0.5), phase(1, 20, elapsed=0.1, timeouts=1)])
    assert merged.durations == pytest.approx((0.010, 0.030, 0.020))
    assert merged.elapsed == pytest.approx(0.6)
    assert merged.timeouts == 1
    # Two rounds (4 and 10 q/s): all requests over all time, not the median round's 7.
    assert merged.throughput == pytest.approx(5.0)


def test_throughput_of_many_rounds_is_the_median_rounds() -> None:
    # The third round stalled for a second: it does not drag the figure down.
    rounds = [phase(1, 10, 10, elapsed=0.02), phase(1, 10, elapsed=0.01), phase(1, 10, elapsed=1.0)]
    assert stats.merge(rounds).throughput == pytest.approx(100.0)
