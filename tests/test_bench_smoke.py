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


# --- scale mode: ratios to Oxigraph, targets, RSS, writes, the report ---------------------

rss = bench_module("rss")
writes = bench_module("writes")
datasets = bench_module("datasets")
scale = bench_module("scale")
scale_outcome = bench_module("scale_outcome")
scale_report = bench_module("scale_report")

SHAPES = Path(__file__).resolve().parents[1] / "shapes"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def test_scale_sizes_are_synthetic_triples() -> None:
    assert scale.parse_sizes("100k,1m") == [("100k", 1.0), ("1M", 10.0)]
    assert scale.parse_sizes(" 10k ") == [("10k", pytest.approx(0.1))]
    for wrong in ("", "1g", "500", "k"):
        with pytest.raises(ValueError):
            scale.parse_sizes(wrong)


def test_rss_sums_the_whole_process_tree() -> None:
    import os
    import subprocess

    child = subprocess.Popen(["sleep", "30"])
    try:
        me = os.getpid()
        family = rss.tree(me)
        assert family[0] == me
        assert child.pid in family
        own, childs = rss.rss(me), rss.rss(child.pid)
        assert own > 0 and childs > 0
        assert rss.tree_rss(me) >= own + childs
        # A parent map given explicitly: a made-up grandchild is found below its parent.
        assert rss.tree(1, {2: 1, 3: 2, 4: 9}) == [1, 2, 3]
        sampler = rss.PeakSampler()
        sampler.watch("me", os.getpid)
        sampler.watch("stopped", lambda: None)
        sampler.sample()
        assert sampler.peak("me") >= own + childs
        assert sampler.peak("stopped") is None
        assert rss.started_at(child.pid) is not None
    finally:
        child.kill()
        child.wait()
    assert rss.rss(child.pid) == 0
    assert rss.started_at(child.pid) is None


def test_the_written_person_conforms_to_the_person_shape() -> None:
    from pyshacl import validate
    from rdflib import Graph

    subject, triples = writes.person("gsp", 7)
    assert len(triples) == 10
    assert {t.subject for t in triples} == {subject}
    assert subject.value.startswith("https://w3id.org/libassoc/person/bench-gsp-writer-")
    other, _ = writes.person("gsp", 8)
    assert other != subject  # each write is a different entity
    data = Graph().parse(data=writes.ntriples(triples), format="nt")
    for org in writes.AFFILIATIONS:  # the shipped data types them so
        typed = (
            f"<https://w3id.org/libassoc/{org}> <{RDF_TYPE}> <https://schema.org/Organization> ."
        )
        data.parse(data=typed, format="nt")
    shapes = Graph().parse(SHAPES / "person.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes)
    assert conforms, text
    # The update is valid SPARQL and writes the same triples into its graph.
    store = ox.Store()
    store.update(writes.insert_data(writes.graph_for("update"), triples))
    assert len(store) == 10
    assert {q.graph_name.value for q in store} == {writes.graph_for("update")}


def test_write_requests_and_refusals() -> None:
    sent = list(writes.requests(writes.GSP, "http://h/store", "http://h/update", 3))
    assert len(sent) == 3 and len({w.body for w in sent}) == 3
    assert sent[0].url.startswith("http://h/store?graph=https%3A%2F%2Fw3id.org%2Flibassoc%2F")
    assert sent[0].content_type == "text/turtle"
    update = next(writes.requests(writes.UPDATE, "http://h/store", "http://h/update", 1))
    assert update.url == "http://h/update"
    assert update.content_type == "application/sparql-update"
    # A name for the ALA, then that name changed wherever it is: the second finds the first.
    store = ox.Store()
    for kind in (writes.HUB, writes.ANY_GRAPH):
        for write in writes.requests(kind, "http://h/store", "http://h/update", 2):
            assert write.url == "http://h/update"
            store.update(write.body.decode())
    names = {q.object.value for q in store}
    assert names == {"Bench name 0, changed", "Bench name 1, changed"}
    assert {q.graph_name.value for q in store} == {writes.graph_for("hub")}
    report = (
        b'{"message": "Refused.", "results": [{"shape": "shapes:A", "focus": "x"},'
        b' {"shape": "shapes:A", "focus": "x"}, {"shape": "shapes:B", "focus": "y"}]}'
    )
    assert (
        writes.describe_failure(422, report)
        == "HTTP 422: Refused. Violations: shapes:A at x; shapes:B at y"
    )
    assert writes.describe_failure(500, b"boom\nmore") == "HTTP 500: boom more"
    series = writes.WriteSeries((0.01, 0.03, 0.02), ("HTTP 422: no",))
    assert series.attempted == 4
    assert series.median == pytest.approx(0.02)
    assert series.p99 == pytest.approx(0.03)


def test_nquads_and_merge_for_the_other_stores(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "one.nt").write_text("<http://e/a> <http://e/p> <http://e/b> .\n")
    (folder / "two.nt").write_text(
        "<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> <http://e/c> .\n"
    )
    counts = datasets.write_nquads([folder], tmp_path / "all.nq", tmp_path / "merged.nt")
    assert (counts.quads, counts.triples, counts.graphs) == (3, 2, 2)
    quads = list(ox.parse(path=tmp_path / "all.nq", format=ox.RdfFormat.N_QUADS))
    assert len({q.graph_name for q in quads}) == 2
    merged = list(ox.parse(path=tmp_path / "merged.nt", format=ox.RdfFormat.N_TRIPLES))
    assert len(merged) == 2 and len(set(merged)) == 2


Cost = scale_report.Cost


def test_costs_ratios_and_query_rules() -> None:
    m = outcome.Measurement(
        "libassoc", "1 rows", phases=(phase(1, 10, 20, 30), phase(8, 40, timeouts=1))
    )
    assert scale_report.query_cost(m, 1, 60.0) == Cost(pytest.approx(0.020))
    # A timeout counts as the cap: the median of (40 ms, 60 s) is a lower bound.
    c8 = scale_report.query_cost(m, 8, 60.0)
    assert c8.at_least and c8.value == pytest.approx(30.02)
    skipped = outcome.Measurement(
        "rdflib-endpoint", "1 rows", phases=(phase(1, 9000), phase(8, skipped="x 9 s median"))
    )
    assert scale_report.query_cost(skipped, 8, 60.0) == Cost(pytest.approx(9.0), True)
    timed_out = outcome.Measurement("rdflib-endpoint", failure="timeout (> 60 s)")
    assert scale_report.query_cost(timed_out, 1, 60.0) == Cost(60.0, True)
    assert (
        scale_report.query_cost(outcome.Measurement("x", failure="HTTP 500"), 1, 60.0).value is None
    )
    assert scale_report.query_cost(None, 1, 60.0).value is None

    ratio = scale_report.cost_ratio(Cost(0.003), Cost(0.002))
    assert ratio.value == pytest.approx(1.5) and not ratio.at_least
    assert scale_report.cost_ratio(Cost(60.0, True), Cost(0.5)).at_least
    assert scale_report.cost_ratio(Cost(1.0), Cost(60.0, True)).value is None
    assert scale_report.fmt_cost_ratio(Cost(120.0, True)) == "> 120x"

    near = scale_report.near_floor
    assert near(Cost(0.0150), Cost(0.010)) is True  # exactly 1.5x
    assert near(Cost(0.0151), Cost(0.010)) is False
    assert near(Cost(0.0027), Cost(0.0018)) is True  # under 2 ms: 1 ms of slack ...
    assert near(Cost(0.0029), Cost(0.0018)) is False  # ... and no more
    assert near(Cost(0.0020), Cost(0.0010)) is True  # 2x, but within 1 ms
    assert near(Cost(None), Cost(0.001)) is False
    assert near(Cost(0.001), Cost(None)) is None

    beats = scale_report.beats_baseline
    assert beats(Cost(0.002), Cost(0.020)) is None  # the baseline needs 20 ms or less
    assert beats(Cost(0.002), Cost(0.021)) is True
    assert beats(Cost(0.003), Cost(0.021)) is False
    assert beats(Cost(0.5), Cost(60.0, True)) is True  # at least 120x
    assert beats(Cost(None), Cost(1.0)) is False
    assert beats(Cost(0.1), Cost(None)) is None


def scale_query(
    name: str, ours: float, floor: float, baseline: float | None, evaluated: float | None = None
) -> object:
    def of(server: str, ms: float) -> object:
        return outcome.Measurement(server, "3 rows", phases=(phase(1, ms), phase(8, ms * 4)))

    found = [of("libassoc", ours), of("oxigraph", floor)]
    if evaluated is not None:
        found.append(of(scale_outcome.EVALUATED, evaluated))
    if baseline is not None:
        found.append(of("rdflib-endpoint", baseline))
    return scale_outcome.ScaleQuery(name, "select", "competency", tuple(found))


def size_run(label: str, libassoc: dict, baseline: bool = True, **queries: tuple) -> object:
    series = writes.WriteSeries
    servers = (
        scale_outcome.ServerRun("libassoc", **libassoc),
        scale_outcome.ServerRun(
            "oxigraph",
            cold_start=4.0,
            cold_parts=(("load", 3.5), ("serve", 0.5)),
            restart=0.2,
            peak_rss=200_000_000,
            writes={writes.GSP: series((0.001,)), writes.UPDATE: series((0.001,))},
            export=1.0,
            export_lines=2000,
        ),
        scale_outcome.ServerRun("rdflib-endpoint", cold_start=30.0, restart=30.0)
        if baseline
        else scale_outcome.ServerRun("rdflib-endpoint", skipped="above 150,000 triples"),
    )
    found = tuple(
        scale_query(name, *numbers) if baseline else scale_query(name, *numbers[:2], None)
        for name, numbers in queries.items()
    )
    return scale_outcome.SizeRun(label, 2000, 1000, 16, servers, found)


GOOD = {
    "cold_start": 30.0,
    "restart": 1.5,
    "peak_rss": 900_000_000,
    "writes": {
        writes.GSP: writes.WriteSeries((0.040, 0.050, 0.060)),
        writes.UPDATE: writes.WriteSeries((0.040, 0.050)),
    },
    "export": 0.5,
    "export_lines": 1000,
}


def test_targets_met_and_not_met() -> None:
    cap = 60.0
    # q1 evaluated each time takes 5 ms: twice Oxigraph's, but still 60x rdflib-endpoint's.
    good = size_run("100k", GOOD, q1=(3.0, 2.5, 300.0, 5.0), q2=(1.5, 1.0, 5.0, 1.5))
    verdicts = [check(good) for _, check in scale_report.targets(cap)]
    assert [v.met for v in verdicts] == [True] * 10 + [False, False, True, True]
    assert verdicts[10].value == "1 of 2 queries within; not within: `q1` 2.00x"
    assert verdicts[1].value.startswith("7.5x")  # 30 s against Oxigraph's 4 s
    assert verdicts[6].value == "2 of 2 queries within; highest: `q2` 1.50x"
    # q2 takes rdflib-endpoint 5 ms: no speedup is asked of it
    assert (
        verdicts[8].value == "1 of 1 queries where it needs over 20 ms; lowest speedup: `q1` 100x"
    )

    slow = dict(GOOD, cold_start=120.0, restart=4.0, peak_rss=2_500_000_000)
    slow["writes"] = {
        writes.GSP: writes.WriteSeries((0.2, 0.3)),
        writes.UPDATE: writes.WriteSeries((0.01,), ("HTTP 422: refused",)),
    }
    bad = size_run("1M", slow, baseline=False, q1=(5.0, 2.5, 300.0), q2=(2.1, 1.0, 5.0))
    verdicts = [check(bad) for _, check in scale_report.targets(cap)]
    assert [v.met for v in verdicts[:8]] == [False] * 8
    assert "1 of 2 writes failed" in verdicts[4].value
    assert verdicts[6].value == "0 of 2 queries within; not within: `q2` 2.10x, `q1` 2.00x"
    assert verdicts[8].met is None  # rdflib-endpoint not run at this size
    assert "not run" in verdicts[8].value

    missing = size_run("1M", {"failure": "libassoc did not answer within 900 s"}, q1=(1, 1, 1))
    first = scale_report.targets(cap)[0][1](missing)
    assert first.met is False and "did not answer" in first.value


def test_scale_section_renders_and_replaces_only_itself() -> None:
    runs = [
        size_run("100k", GOOD, q1=(3.0, 2.5, 300.0)),
        size_run("1M", GOOD, baseline=False, q1=(3.0, 2.5, 300.0)),
    ]
    info = scale_outcome.ScaleInfo("2026-01-01 00:00 UTC", {"CPU": "2 cores"}, {"sizes": "x"}, 60.0)
    section = scale_report.render_section(runs, info, "scale.png")
    assert section.startswith(scale_report.START) and section.rstrip().endswith(scale_report.END)
    assert "| target | `100k` | `1M` |" in section
    assert "| cold start <= 90 s | met: 30.0 s | met: 30.0 s |" in section
    assert (
        "| cold start (s) | 30.0 | 4.00 (load 3.50 + serve 0.50) | 30.0 | 7.50x | 7.50x |"
        in section
    )
    assert "| peak RSS, process tree (MB) | 900 | 200 | - | 4.50x | - |" in section
    assert "rdflib-endpoint not run: above 150,000 triples" in section
    assert "| `q1` | select | 3 rows | 1.20x | 120x |" in section
    assert "![cost against size, log-log](scale.png)" in section

    seed = report.render([], INFO)
    once = scale_report.splice(seed, section)
    assert once.startswith(seed.rstrip()) and once.count(scale_report.START) == 1
    newer = section.replace("2026-01-01", "2026-02-02")
    twice = scale_report.splice(once, newer)
    assert twice.count(scale_report.START) == 1 and "2026-02-02" in twice
    assert twice.startswith(seed.rstrip())
    assert scale_report.extract(twice) == newer
    assert scale_report.extract(seed) == ""
    assert scale_report.splice("", section) == section


def test_scale_plot_is_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    runs = [size_run("100k", GOOD, q1=(3.0, 2.5, 300.0)), size_run("1M", GOOD, baseline=False)]
    target = tmp_path / "scale.png"
    scale_report.plot(runs, target, 60.0)
    assert target.read_bytes().startswith(b"\x89PNG")


def test_counts_without_writing(tmp_path: Path) -> None:
    (tmp_path / "one.nt").write_text("<http://e/a> <http://e/p> <http://e/b> .\n")
    (tmp_path / "two.nt").write_text(
        "<http://e/a> <http://e/p> <http://e/b> .\n<http://e/a> <http://e/p> <http://e/c> .\n"
    )
    counts = datasets.count([tmp_path])
    assert (counts.quads, counts.triples, counts.graphs) == (3, 2, 2)


# --- the named sections of RESULTS.md each mode rewrites ------------------------------------

sections = bench_module("sections")


def test_sections_are_replaced_and_kept_by_name() -> None:
    scale_part = "<!-- scale:start -->\n## Scale\nold\n<!-- scale:end -->\n"
    served_part = "<!-- served-10m:start -->\n## Served\nold\n<!-- served-10m:end -->\n"
    text = sections.splice(
        sections.splice("# Seed\n\nbody\n", "scale", scale_part), "served-10m", served_part
    )
    assert text == "# Seed\n\nbody\n\n" + scale_part + "\n" + served_part
    assert sections.names(text) == ["scale", "served-10m"]
    assert sections.extract(text, "served-10m") == served_part
    assert sections.extract(text, "served-1m") == ""
    newer = served_part.replace("old", "new")
    replaced = sections.splice(text, "served-10m", newer)
    assert replaced == text.replace(served_part, newer)  # the scale section is untouched
    assert sections.extract(replaced, "scale") == scale_part
    # The seed-size run rewrites the rest and puts every section back, in order.
    rewritten = sections.keep(replaced, "# Seed, again\n")
    assert rewritten == "# Seed, again\n\n" + scale_part + "\n" + newer
    assert sections.keep("no sections\n", "# Seed\n") == "# Seed\n"
    # A section that is not closed is not one.
    assert sections.names("<!-- served-10m:start -->\nhalf") == []
    assert scale_report.START == "<!-- scale:start -->"


# --- served mode: libassoc alone at one size, its own section of RESULTS.md -----------------

served = bench_module("served")
served_report = bench_module("served_report")


def test_served_options_and_the_scale_defaults() -> None:
    args = main.parse_args(["--served", "10m"])
    opts = served.options(args)
    assert (opts.label, opts.factor) == ("10M", 100.0)
    assert opts.budget == served.Budget(20, 5.0, 120.0)
    assert (opts.startup_timeout, opts.write_count) == (2400.0, 20)
    assert served_report.section_name(opts.label) == "served-10m"
    picked = [name for _, q in main.queries(opts.queries) if (name := q.name)]
    assert [name[:5] for name in picked] == [
        f"cq-{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11)
    ]
    argv = scale.libassoc_argv(8000, Path("/s"), [Path("/d")], opts.timeout, opts.serve_args)
    assert argv[-9:] == (
        *("--query-timeout", "120", "--max-rows", "100000000", "--allow-updates"),
        *bench_module("servers").LIBASSOC_UNSHARED,
    )
    with pytest.raises(ValueError):
        served.options(main.parse_args(["--served", "1m,10m"]))
    # The scale mode keeps its own defaults for the options both modes share.
    both = scale.options(main.parse_args(["--scale-sizes", "10k"]))
    assert (both.c1.max_requests, both.c1.seconds, both.c1.timeout) == (100, 1.0, 60.0)
    assert (both.write_count, both.write_budget, both.startup_timeout) == (30, 120.0, 900.0)


def test_log_follower_reads_new_lines_and_a_log_written_anew(tmp_path: Path) -> None:
    path = tmp_path / "server.log"
    path.write_text("before\n")
    follower = served.LogFollower(path)
    with path.open("a") as out:
        out.write("one\ntw")
    follower.read()
    assert [line for _, line in follower.lines] == ["one"]
    with path.open("a") as out:
        out.write("o\n")
    follower.read()
    assert [line for _, line in follower.lines] == ["one", "two"]
    path.write_text("new\n")  # truncated and written again, as a first start does
    follower.read()
    assert [line for _, line in follower.lines][-1] == "new"


def served_run(**changes: object) -> object:
    measurement = outcome.Measurement("libassoc", "40 rows", phases=(phase(1, 2, 4, 6),))
    slow = outcome.Measurement("libassoc", "7 rows", phases=(phase(1, 9000),))
    failed = outcome.Measurement("libassoc", failure="timeout (> 120 s)")
    base = served_report.ServedRun(
        "10M",
        100.0,
        counts=datasets.Counts(10_045_000, 10_012_000, 88),
        generation=served_report.Generation(61.0, 40.0, 16, 1_400_000_000, 4_200_000_000),
        cold_start=840.0,
        cold_log=(
            (0.5, "Loading the data into the store at /tmp/x."),
            (0.5, "  loading file 1 of 72: a.ttl"),
            (9.0, "  loading file 10 of 72: b.ttl"),
            (60.0, "  loading file 70 of 72: c.nt"),
            (70.0, "  loading file 72 of 72: d.nt"),
            (120.0, "Validating the whole store against the shapes and checks."),
            (840.0, 'INFO: "GET /sparql?query=ASK HTTP/1.1" 200 OK | x'),
        ),
        restart=2.5,
        peaks={"cold start": 11_500_000_000, "serving": 3_000_000_000, "restart": 900_000_000},
        memory_total=25_000_000_000,
        memory_available=24_000_000_000,
        memory_available_low=12_000_000_000,
        store_size=3_000_000_000,
        dump=served_report.DumpFetch(
            200, 400.0, 3.5, 1_600_000_000, 10_045_000, 4, writers=((-0.2, 395.0), (900, 1200))
        ),
        queries=(
            served_report.ServedQuery("cq-01-x", "select", measurement),
            served_report.ServedQuery("cq-11-y", "select", slow),
            served_report.ServedQuery("cq-02-z", "select", failed),
        ),
        writes={
            writes.GSP: writes.WriteSeries((0.04, 0.05, 0.06)),
            writes.UPDATE: writes.WriteSeries((0.05,), ("HTTP 422: Refused.",)),
        },
        seconds=2400.0,
    )
    from dataclasses import replace

    return replace(base, **changes)


SERVED_INFO = served_report.ServedInfo(
    "2026-01-01 00:00 UTC", {"CPU": "2 cores"}, {"size": "10M"}, "bench/run.py --served 10m"
)


def test_served_section_renders() -> None:
    section = served_report.render_section(served_run(), SERVED_INFO)
    assert section.startswith("<!-- served-10m:start -->\n## Served at `10M`: libassoc alone: ")
    assert section.endswith("<!-- served-10m:end -->\n")
    for line in (
        "| data | 10,045,000 quads in 88 named graphs (the shipped data and synthetic scale 100); "
        "10,012,000 distinct triples in the default graph, their merge |",
        "| cold start, until `/sparql` answers | 840 s (14.0 min) |",
        "| peak RSS of the process tree, during the cold start (loading, validation) "
        "| 11.5 GB (46% of the machine's memory) |",
        "| peak RSS of the process tree, during the restart "
        "| 900 MB (4% of the machine's memory) |",
        "| restart on the same store, until `/sparql` answers | 2.50 s |",
        "| first N-Quads dump: `GET /dumps/libassoc.nq` answered 200 | 400 s (6.7 min) after "
        "`/sparql` answered, after 4 answer(s) 503 with Retry-After |",
        "| its writer process (`libassoc.publication`, seen in /proc) | seen from 0.20 s before "
        "to 395 s after `/sparql` answered (and 1 more run(s) later, after the writes) |",
        "| N-Quads dump | 1,600 MB, 10,045,000 quads, downloaded in 3.50 s |",
        "| one-entity write, Graph Store POST | median 50.0 ms, p99 60.0 ms; "
        "3 of 3 accepted (2xx) |",
        "| one-entity write, SPARQL INSERT DATA | median 50.0 ms, p99 50.0 ms; 1 of 2 accepted "
        "(2xx) |",
        "- SPARQL INSERT DATA: 1 of 2 writes failed: HTTP 422: Refused.",
        "| query medians, geometric mean | 190 ms over 2 of 3 queries |",
        "| the machine's memory | 25.0 GB (23.3 GiB); 24.0 GB available at the start, "
        "12.0 GB at the lowest during the run |",
        "| `cq-01-x` | select | 40 rows | 3 | 4.00 | 6.00 |",
        "| `cq-02-z` | select | timeout (> 120 s) | 0 |  |  |",
        "|  | (2 more lines of the same kind) |",
        "| 120 | `Validating the whole store against the shapes and checks.` |",
    ):
        assert line in section, line
    assert "loading file 10 of 72" not in section  # the middle of the loading is left out
    assert "200 OK \\| x" in section  # a | in a log line does not break the table
    assert "stopped short" not in section


def test_a_failed_served_run_says_why_and_replaces_only_its_section() -> None:
    failed = served_run(
        cold_start=None,
        restart=None,
        dump=None,
        queries=(),
        writes={},
        peaks={"cold start": 20_000_000_000},
        failure="libassoc exited at start-up (exit code -9)\nValidating the whole store",
    )
    section = served_report.render_section(failed, SERVED_INFO)
    assert (
        "**The run stopped short:**\n\n```\nlibassoc exited at start-up (exit code -9)" in section
    )
    assert "| cold start, until `/sparql` answers | - |" in section
    assert "not asked (the server did not answer)" in section
    assert "| 20.0 GB (80% of the machine's memory) |" in section
    seed = report.render([], INFO)
    scale_part = scale_report.START + "\nscale\n" + scale_report.END + "\n"
    text = served_report.splice(scale_report.splice(seed, scale_part), failed, section)
    again = served_report.splice(text, failed, section.replace("exit code -9", "exit code 1"))
    assert again.count("<!-- served-10m:start -->") == 1 and "exit code 1" in again
    assert scale_report.extract(again) == scale_part
    assert again.startswith(seed.rstrip())


def test_a_source_that_changes_during_the_run_is_noted(tmp_path: Path) -> None:
    machine = bench_module("machine")
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    code = tmp_path / "src" / "pkg" / "mod.py"
    code.write_text("A = 1\n")
    before = machine.source_digest(tmp_path)
    (tmp_path / "src" / "pkg" / "__pycache__").mkdir()
    (tmp_path / "src" / "pkg" / "__pycache__" / "mod.pyc").write_bytes(b"\0")
    assert machine.source_digest(tmp_path) == before  # compiled files do not count
    code.write_text("A = 2\n")
    after = machine.source_digest(tmp_path)
    assert after != before
    assert served_report.source_note(("abc", before), ("abc", before)) == ""
    note = served_report.source_note(("abc", before), ("def", after))
    assert note.startswith(
        "`src/` changed while this ran (commit abc at the start, def at the end)"
    )
    assert "edited in the working tree" in served_report.source_note(
        ("abc", before), ("abc", after)
    )
