"""Render ``RESULTS.md`` from a run's outcome: machine facts, method, summary, per-query tables."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from benchkit.outcome import DatasetRun, Measurement, QueryResult
from benchkit.stats import Phase, geometric_mean, ratio

CANDIDATE, BASELINE = "libassoc", "rdflib-endpoint"


@dataclass(frozen=True)
class RunInfo:
    """What the report says about the run as a whole."""

    date: str
    machine: Mapping[str, str]
    settings: Mapping[str, str]
    timeout: float
    candidate: str = CANDIDATE
    baseline: str = BASELINE


# --- numbers --------------------------------------------------------------------------------


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1000.0
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}" if ms < 100 else f"{ms:,.0f}"


def fmt_rate(per_second: float | None) -> str:
    if per_second is None:
        return "-"
    return f"{per_second:.2f}" if per_second < 10 else f"{per_second:,.0f}"


def fmt_ratio(value: float | None, lower_bound: bool = False) -> str:
    if value is None:
        return "-"
    digits = 2 if value < 10 else 0
    text = f"{value:,.{digits}f}x"
    return f"> {text}" if lower_bound else text


Metric = Callable[[Phase], float | None]


def _median(phase: Phase) -> float | None:
    return phase.median


def _p99(phase: Phase) -> float | None:
    return phase.p99


def _throughput(phase: Phase) -> float | None:
    return phase.throughput


# name, concurrency, value, and whether more is better
METRICS: tuple[tuple[str, int, Metric, bool], ...] = (
    ("p50 latency", 1, _median, False),
    ("p99 latency", 1, _p99, False),
    ("q/s at 1", 1, _throughput, True),
    ("q/s at 8", 8, _throughput, True),
)
VERDICT_METRICS = frozenset({"p50 latency", "q/s at 1", "q/s at 8"})


def _value(measurement: Measurement, concurrency: int, metric: Metric) -> float | None:
    phase = measurement.at(concurrency)
    return metric(phase) if phase is not None and phase.ok else None


def _too_slow(measurement: Measurement, concurrency: int) -> bool:
    """Whether the server has no number here because it reached the client's time cap."""
    if measurement.failure.startswith("timeout"):
        return True
    phase = measurement.at(concurrency)
    return phase is not None and bool(phase.timeouts or phase.skipped)


def metric_ratio(
    result: QueryResult, concurrency: int, metric: Metric, higher_is_better: bool, timeout: float
) -> tuple[float | None, bool]:
    """libassoc's advantage (> 1: ahead) and whether it is only a lower bound.

    When the baseline reached the time cap (a timeout, or a phase skipped because it would only
    end in timeouts) and libassoc did not, the baseline took at least the cap: the ratio is
    computed against the cap and marked as a lower bound.
    """
    ours = _value(result.candidate, concurrency, metric)
    theirs = _value(result.baseline, concurrency, metric)
    bound = theirs is None and ours is not None and _too_slow(result.baseline, concurrency)
    if bound:
        theirs = 1.0 / timeout if higher_is_better else timeout
    value = ratio(ours, theirs) if higher_is_better else ratio(theirs, ours)
    return value, bound


def _failed(measurement: Measurement) -> bool:
    return bool(measurement.failure) or any(p.timeouts or p.errors for p in measurement.phases)


def ahead(result: QueryResult, timeout: float) -> bool | None:
    """Whether libassoc is ahead on the median latency and both throughputs (None: no numbers).

    Every one of the three must be a ratio above 1: a number libassoc lacks (a timeout, an
    error, a skipped phase) makes the verdict no. p99 is reported but left out: with at most 300
    requests it is the fourth slowest, which on a shared 2-core machine says more about what
    else ran at that moment than about the server.
    """
    ratios = [
        metric_ratio(result, c, m, up, timeout)[0]
        for name, c, m, up in METRICS
        if name in VERDICT_METRICS
    ]
    if all(r is None for r in ratios) and not _failed(result.candidate):
        return None
    return all(r is not None and r > 1.0 for r in ratios)


# --- tables ---------------------------------------------------------------------------------


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _answer_cell(result: QueryResult) -> str:
    agree = result.answers_agree
    if agree is None:
        return result.candidate.answer or result.baseline.answer or "-"
    if agree:
        return result.candidate.answer
    flag = "differ (known)" if result.note else "**differ**"
    return f"{flag}: {result.candidate.answer} / {result.baseline.answer}"


def ratio_rows(run: DatasetRun, info: RunInfo) -> list[list[str]]:
    rows = []
    for result in run.results:
        cells = [f"`{result.name}`", result.kind, _answer_cell(result)]
        for _, concurrency, metric, up in METRICS:
            value, bound = metric_ratio(result, concurrency, metric, up, info.timeout)
            cells.append(fmt_ratio(value, bound))
        verdict = ahead(result, info.timeout)
        cells.append({True: "yes", False: "**no**", None: "-"}[verdict])
        rows.append(cells)
    return rows


def _absolute(measurement: Measurement) -> list[str]:
    if measurement.failure:
        return [measurement.failure, "", "", "", ""]
    c1, c8 = measurement.at(1), measurement.at(8)
    if _phase_note(c1):
        return [_phase_note(c1), "", "", "", str(sum(p.completed for p in measurement.phases))]
    return [
        fmt_ms(c1.median if c1 else None),
        fmt_ms(c1.p99 if c1 else None),
        fmt_rate(c1.throughput if c1 else None),
        _phase_note(c8) or fmt_rate(c8.throughput if c8 else None),
        str(sum(p.completed for p in measurement.phases)),
    ]


def _phase_note(phase: Phase | None) -> str:
    if phase is None:
        return ""
    if phase.skipped:
        return phase.skipped
    if phase.timeouts:
        return f"{phase.timeouts} timeout(s)"
    if phase.errors:
        return f"{phase.errors} error(s)"
    return ""


def absolute_rows(run: DatasetRun) -> list[list[str]]:
    rows = []
    for result in run.results:
        for measurement in (result.candidate, result.baseline):
            rows.append([f"`{result.name}`", measurement.server, *_absolute(measurement)])
    return rows


# --- sections -------------------------------------------------------------------------------


def summary_lines(run: DatasetRun, info: RunInfo) -> list[str]:
    if run.failure:
        return [f"- **{run.name}**: not measured: {run.failure.splitlines()[0]}"]
    verdicts = [ahead(r, info.timeout) for r in run.results]
    compared = [v for v in verdicts if v is not None]
    latency = [metric_ratio(r, 1, _median, False, info.timeout)[0] for r in run.results]
    c8 = [metric_ratio(r, 8, _throughput, True, info.timeout)[0] for r in run.results]
    lat_known = [v for v in latency if v is not None]
    worst = min(
        ((v, r.name) for v, r in zip(latency, run.results, strict=True) if v is not None),
        default=None,
    )
    differ = [r for r in run.results if r.answers_agree is False]
    failed = [
        f"{r.name} ({m.server}: {m.failure})"
        for r in run.results
        for m in (r.candidate, r.baseline)
        if m.failure
    ]
    interrupted = [
        f"{r.name} ({m.server} at concurrency {p.concurrency}: {_phase_note(p)})"
        for r in run.results
        for m in (r.candidate, r.baseline)
        for p in m.phases
        if p.timeouts or p.errors
    ]
    lines = [
        f"- **{run.name}** ({run.triples:,} triples): libassoc ahead (median latency and both "
        "throughputs) in "
        f"{sum(compared)} of {len(run.results)} queries; median-latency speedup geometric mean "
        f"{fmt_ratio(geometric_mean(lat_known))}"
        + (f", lowest {fmt_ratio(worst[0])} (`{worst[1]}`)" if worst else "")
        + f"; throughput at concurrency 8, geometric mean "
        f"{fmt_ratio(geometric_mean([v for v in c8 if v is not None]))}.",
    ]
    behind = [r.name for r, v in zip(run.results, verdicts, strict=True) if v is False]
    if behind:
        lines.append(f"  - not ahead: {', '.join(f'`{n}`' for n in behind)}")
    for result in differ:
        why = result.note or "unexplained: investigate"
        lines.append(
            f"  - answers of different size for `{result.name}` "
            f"({result.candidate.answer} / {result.baseline.answer}): {why}"
        )
    if failed:
        lines.append(f"  - without timings: {'; '.join(failed)}")
    if interrupted:
        lines.append(f"  - timeouts or errors while timed: {'; '.join(interrupted)}")
    return lines


def dataset_section(run: DatasetRun, info: RunInfo) -> list[str]:
    lines = [
        f"## Dataset `{run.name}`: {run.description}",
        "",
        f"{run.quads:,} quads in {run.graphs} named graphs; {run.triples:,} distinct triples "
        "in the default graph (their merge).",
    ]
    if run.startup:
        started = ", ".join(f"{name} {secs:.1f} s" for name, secs in run.startup.items())
        lines.append(f"Start-up until the endpoint answered: {started}.")
    restarted = {k: v for k, v in run.restarts.items() if v}
    if restarted:
        lines.append(
            "Restarted after a timeout (to stop a query that kept running): "
            + ", ".join(f"{k} {v}x" for k, v in restarted.items())
            + "."
        )
    if run.failure:
        return [*lines, "", "Not measured:", "", "```", run.failure, "```", ""]
    ratio_header = ["query", "kind", "answer", *(m[0] for m in METRICS), "ahead (p50, q/s)"]
    absolute_header = ["query", "server", "p50 ms", "p99 ms", "q/s at 1", "q/s at 8", "requests"]
    return [
        *lines,
        "",
        "### libassoc / rdflib-endpoint (above 1: libassoc ahead)",
        "",
        *table(ratio_header, ratio_rows(run, info)),
        "",
        "### Absolute numbers",
        "",
        *table(absolute_header, absolute_rows(run)),
        "",
    ]


def render(runs: Iterable[DatasetRun], info: RunInfo) -> str:
    runs = list(runs)
    machine = table(["", ""], ([k, v] for k, v in info.machine.items()))
    settings = table(["setting", "value"], ([k, v] for k, v in info.settings.items()))
    lines = [
        f"# Benchmark: {info.candidate} against {info.baseline}",
        "",
        f"Written by `make bench` (`bench/run.py`) on {info.date}; see `bench/README.md` for the "
        "method. Regenerate it rather than editing it.",
        "",
        "## Summary",
        "",
        *(line for run in runs for line in summary_lines(run, info)),
        "",
        "## Machine",
        "",
        *machine,
        "",
        "## Settings",
        "",
        *settings,
        "",
        *(line for run in runs for line in dataset_section(run, info)),
    ]
    return "\n".join(lines).rstrip() + "\n"
