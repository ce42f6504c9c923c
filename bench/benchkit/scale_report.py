"""The scale section of ``RESULTS.md``: costs as ratios to Oxigraph server, targets, a plot.

Every cost is divided by Oxigraph's for the same thing at the same size (libassoc/oxigraph and
rdflib-endpoint/oxigraph): below 1 cheaper than Oxigraph, above 1 costlier. The section sits
between two markers so that the scale run and the seed-size run (``make bench``) each rewrite
only their own part of the file.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit import sections
from benchkit.outcome import Measurement
from benchkit.report import fmt_ms, fmt_rate, table
from benchkit.scale_outcome import (
    BASELINE,
    EVALUATED,
    FLOOR,
    LIBASSOC,
    OXIGRAPH,
    SERVERS,
    ScaleInfo,
    ScaleQuery,
    ServerRun,
    SizeRun,
)
from benchkit.stats import Phase, geometric_mean, percentile
from benchkit.writes import GSP, KINDS, UPDATE, WriteSeries

SECTION = "scale"
START, END = sections.markers(SECTION)

# The targets, for 1M triples; at every other size the same limits and ratios are checked.
COLD_START_LIMIT = 90.0  # seconds
COLD_START_RATIO = 10.0  # times Oxigraph's load and serve
RESTART_LIMIT = 3.0  # seconds
WRITE_LIMIT = 0.100  # seconds, median of one validated one-entity write
RSS_LIMIT = 2_000_000_000  # bytes (2 GB)
QUERY_RATIO = 1.5  # times Oxigraph's median
FAST_FLOOR = 0.002  # below this Oxigraph median, the allowance is ...
FAST_SLACK = 0.001  # ... this much above it instead
BASELINE_FROM = 0.020  # rdflib-endpoint medians above this must be ...
BASELINE_SPEEDUP = 10.0  # ... at least this many times libassoc's


# --- costs and ratios -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """A cost in seconds; ``at_least`` when it is a lower bound (the server hit the time cap)."""

    value: float | None
    at_least: bool = False

    @property
    def exact(self) -> bool:
        return self.value is not None and not self.at_least


NO_COST = Cost(None)
Metric = Callable[[Sequence[float]], float]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _p99(values: Sequence[float]) -> float:
    return percentile(values, 99.0)


def query_cost(
    measurement: Measurement | None, concurrency: int, cap: float, metric: Metric = _median
) -> Cost:
    """The median (or p99) latency of one query on one server at one concurrency.

    A request that reached the client's cap counts as taking the cap, so the figure becomes a
    lower bound; a phase skipped because eight requests could only end at the cap is at least
    the median at concurrency 1. An error or a missing phase gives no cost.
    """
    if measurement is None:
        return NO_COST
    if measurement.failure:
        return Cost(cap, True) if measurement.failure.startswith("timeout") else NO_COST
    phase = measurement.at(concurrency)
    if phase is None:
        return NO_COST
    if phase.ok:
        return Cost(metric(phase.durations))
    if phase.timeouts and not phase.errors:
        return Cost(metric([*phase.durations, *[cap] * phase.timeouts]), True)
    if phase.skipped and "median" in phase.skipped:  # too slow to run eight at once
        first = query_cost(measurement, 1, cap, metric)
        return Cost(first.value, True) if first.value is not None else NO_COST
    return NO_COST


def cost_ratio(ours: Cost, floor: Cost) -> Cost:
    """``ours / floor``: a lower bound when ours is; nothing when the floor is not exact."""
    if ours.value is None or not floor.exact or not floor.value:
        return NO_COST
    return Cost(ours.value / floor.value, ours.at_least)


def seconds_ratio(ours: float | None, floor: float | None) -> Cost:
    return cost_ratio(Cost(ours), Cost(floor))


def near_floor(ours: Cost, floor: Cost) -> bool | None:
    """Within 1.5x of Oxigraph's median, or within 1 ms of it when Oxigraph needs under 2 ms.

    None when Oxigraph has no exact number to compare with.
    """
    if not floor.exact or floor.value is None:
        return None
    if not ours.exact or ours.value is None:
        return False
    allowed = QUERY_RATIO * floor.value
    if floor.value < FAST_FLOOR:
        allowed = max(allowed, floor.value + FAST_SLACK)
    return ours.value <= allowed


def beats_baseline(ours: Cost, baseline: Cost) -> bool | None:
    """At least 10x faster than rdflib-endpoint, where it needs over 20 ms (None elsewhere)."""
    if baseline.value is None or (baseline.exact and baseline.value <= BASELINE_FROM):
        return None
    if not ours.exact or not ours.value:
        return False
    return baseline.value / ours.value >= BASELINE_SPEEDUP


def query_geomean(run: SizeRun, server: str, concurrency: int, cap: float) -> Cost:
    """The geometric mean of a server's query medians (a lower bound if one of them is)."""
    costs = [query_cost(q.of(server), concurrency, cap) for q in run.queries if q.of(server)]
    known = [c for c in costs if c.value is not None]
    mean = geometric_mean([c.value for c in known if c.value is not None])
    return Cost(mean, any(c.at_least for c in known))


# --- formatting -----------------------------------------------------------------------------


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def fmt_mb(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:,.0f}"


def fmt_cost_ratio(cost: Cost) -> str:
    if cost.value is None:
        return "-"
    value = cost.value
    text = f"{value:.2f}x" if value < 10 else f"{value:,.0f}x"
    return f"> {text}" if cost.at_least else text


def fmt_cost_ms(cost: Cost) -> str:
    text = fmt_ms(cost.value)
    return f"> {text}" if cost.at_least and cost.value is not None else text


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One target at one size: met, not met, or None (not measured or not applicable)."""

    met: bool | None
    value: str

    def cell(self) -> str:
        word = {True: "met", False: "**not met**", None: "not measured"}[self.met]
        return f"{word}: {self.value}" if self.value else word


Check = Callable[[SizeRun], Verdict]


def _libassoc(run: SizeRun) -> tuple[ServerRun | None, Verdict | None]:
    """libassoc's run, or the verdict every target gets when it has none."""
    ours = run.server(LIBASSOC)
    if ours is None or not ours.ran:
        return None, Verdict(False, "libassoc was not run")
    return ours, None


def _why_missing(server: ServerRun | None) -> str:
    if server is None:
        return "not run"
    return first_line(server.failure) or server.skipped or "no number"


def cold_start_limit(run: SizeRun) -> Verdict:
    ours, missing = _libassoc(run)
    if ours is None or ours.cold_start is None:
        return missing or Verdict(False, f"did not start ({_why_missing(ours)})")
    return Verdict(ours.cold_start <= COLD_START_LIMIT, f"{fmt_seconds(ours.cold_start)} s")


def cold_start_ratio(run: SizeRun) -> Verdict:
    ours, missing = _libassoc(run)
    floor = run.server(OXIGRAPH)
    if ours is None or ours.cold_start is None:
        return missing or Verdict(False, f"did not start ({_why_missing(ours)})")
    if floor is None or floor.cold_start is None:
        return Verdict(None, f"Oxigraph has no number ({_why_missing(floor)})")
    value = ours.cold_start / floor.cold_start
    detail = f"{value:.1f}x ({fmt_seconds(ours.cold_start)} s / {fmt_seconds(floor.cold_start)} s)"
    return Verdict(value <= COLD_START_RATIO, detail)


def restart_limit(run: SizeRun) -> Verdict:
    ours, missing = _libassoc(run)
    if ours is None or ours.restart is None:
        return missing or Verdict(False, f"no restart ({_why_missing(ours)})")
    return Verdict(ours.restart <= RESTART_LIMIT, f"{fmt_seconds(ours.restart)} s")


def write_limit(kind: str) -> Callable[[SizeRun], Verdict]:
    def check(run: SizeRun) -> Verdict:
        ours, missing = _libassoc(run)
        if ours is None:
            return missing or Verdict(False, "")
        series = ours.writes.get(kind)
        if series is None or series.skipped:
            why = series.skipped if series is not None else _why_missing(ours)
            return Verdict(False, f"not measured ({why})")
        return write_verdict(series)

    return check


def write_verdict(series: WriteSeries) -> Verdict:
    """Met when every write was accepted and the median is within the limit."""
    if series.median is None:
        reason = _status(series.failures[0]) if series.failures else "no write sent"
        return Verdict(False, f"no write accepted ({reason}; see below)")
    text = f"{fmt_ms(series.median)} ms"
    if series.failures:
        failed = f"{len(series.failures)} of {series.attempted} writes failed"
        return Verdict(False, f"{text}, but {failed} ({_status(series.failures[0])}; see below)")
    return Verdict(series.median <= WRITE_LIMIT, text)


def _status(failure: str) -> str:
    """The start of a failure: ``HTTP 422`` or ``timeout (> 60 s)``."""
    return first_line(failure).split(":", 1)[0]


def rss_limit(run: SizeRun) -> Verdict:
    ours, missing = _libassoc(run)
    if ours is None or ours.peak_rss is None:
        return missing or Verdict(False, f"not measured ({_why_missing(ours)})")
    return Verdict(ours.peak_rss <= RSS_LIMIT, f"{fmt_mb(ours.peak_rss)} MB")


def _ratio_list(items: Sequence[tuple[str, Cost]], shown: int = 4) -> str:
    """``name`` ratio, the highest ratios first, at most ``shown`` of them."""
    ordered = sorted(items, key=lambda item: -(item[1].value or 0.0))
    text = ", ".join(f"`{name}` {fmt_cost_ratio(cost)}" for name, cost in ordered[:shown])
    return text + (f" and {len(ordered) - shown} more" if len(ordered) > shown else "")


def queries_near_floor(
    concurrency: int, cap: float, server: str = LIBASSOC
) -> Callable[[SizeRun], Verdict]:
    def check(run: SizeRun) -> Verdict:
        ours, missing = _libassoc(run)
        if ours is None:
            return missing or Verdict(False, "")
        if not run.queries:
            return Verdict(None, "no query measured")
        verdicts, outside, highest = [], [], []
        for query in run.queries:
            mine = query_cost(query.of(server), concurrency, cap)
            floor = query_cost(query.of(FLOOR), concurrency, cap)
            verdict = near_floor(mine, floor)
            verdicts.append(verdict)
            ratio = cost_ratio(mine, floor)
            if verdict is False:
                outside.append((query.name, ratio))
            elif verdict:
                highest.append((query.name, ratio))
        compared = [v for v in verdicts if v is not None]
        if not compared:
            return Verdict(None, "Oxigraph has no number for any query")
        text = f"{sum(compared)} of {len(compared)} queries within"
        if outside:
            text += "; not within: " + _ratio_list(outside)
        elif highest:
            name, ratio = max(highest, key=lambda item: item[1].value or 0.0)
            text += f"; highest: `{name}` {fmt_cost_ratio(ratio)}"
        if len(compared) < len(verdicts):
            text += f"; {len(verdicts) - len(compared)} without an Oxigraph number"
        return Verdict(all(compared), text)

    return check


def queries_beat_baseline(
    concurrency: int, cap: float, server: str = LIBASSOC
) -> Callable[[SizeRun], Verdict]:
    def check(run: SizeRun) -> Verdict:
        ours, missing = _libassoc(run)
        if ours is None:
            return missing or Verdict(False, "")
        baseline = run.server(BASELINE)
        if baseline is None or not baseline.ran:
            return Verdict(None, f"rdflib-endpoint not run ({_why_missing(baseline)})")
        if baseline.cold_start is None:
            return Verdict(None, f"rdflib-endpoint did not start ({_why_missing(baseline)})")
        verdicts, short, speedups = [], [], []
        for query in run.queries:
            mine = query_cost(query.of(server), concurrency, cap)
            theirs = query_cost(query.of(BASELINE), concurrency, cap)
            verdict = beats_baseline(mine, theirs)
            verdicts.append(verdict)
            speedup = NO_COST
            if mine.exact and mine.value and theirs.value is not None:
                speedup = Cost(theirs.value / mine.value, theirs.at_least)
            if verdict is False:
                short.append((query.name, speedup))
            elif verdict:
                speedups.append((query.name, speedup))
        applicable = [v for v in verdicts if v is not None]
        if not applicable:
            return Verdict(None, "rdflib-endpoint needs 20 ms or less for every query")
        text = f"{sum(applicable)} of {len(applicable)} queries where it needs over 20 ms"
        if short:
            ordered = sorted(short, key=lambda item: item[1].value or 0.0)
            listed = ", ".join(f"`{n}` {fmt_cost_ratio(c)}" for n, c in ordered[:4])
            more = f" and {len(ordered) - 4} more" if len(ordered) > 4 else ""
            text += f"; speedup under 10x: {listed}{more}"
        elif speedups:
            name, lowest = min(speedups, key=lambda item: item[1].value or 0.0)
            text += f"; lowest speedup: `{name}` {fmt_cost_ratio(lowest)}"
        return Verdict(all(applicable), text)

    return check


def query_targets(cap: float, server: str, how: str) -> list[tuple[str, Check]]:
    """The four query targets, for libassoc as served or with every query evaluated."""
    return [
        (
            "every query's median within 1.5x of Oxigraph's (within 1 ms when Oxigraph needs "
            f"under 2 ms), concurrency 1{how}",
            queries_near_floor(1, cap, server),
        ),
        (
            f"query medians within 1.5x of Oxigraph's, the same way, concurrency 8{how}",
            queries_near_floor(8, cap, server),
        ),
        (
            ">= 10x faster than rdflib-endpoint wherever it needs over 20 ms (median), "
            f"concurrency 1{how}",
            queries_beat_baseline(1, cap, server),
        ),
        (
            f">= 10x faster than rdflib-endpoint, the same way, concurrency 8{how}",
            queries_beat_baseline(8, cap, server),
        ),
    ]


def targets(cap: float) -> list[tuple[str, Check]]:
    """Each target's wording and its check."""
    return [
        (f"cold start <= {COLD_START_LIMIT:g} s", cold_start_limit),
        (f"cold start within {COLD_START_RATIO:g}x of Oxigraph's load and serve", cold_start_ratio),
        (f"restart <= {RESTART_LIMIT:g} s", restart_limit),
        (
            f"validated one-entity write, {GSP}: median <= {WRITE_LIMIT * 1000:g} ms, all accepted",
            write_limit(GSP),
        ),
        (
            f"validated one-entity write, {UPDATE}: median <= {WRITE_LIMIT * 1000:g} ms, "
            "all accepted",
            write_limit(UPDATE),
        ),
        (f"peak RSS of the process tree <= {RSS_LIMIT / 1e9:g} GB", rss_limit),
        *query_targets(cap, LIBASSOC, ""),
        *query_targets(cap, EVALUATED, ", every query evaluated (Cache-Control: no-cache)"),
    ]


def target_rows(runs: Sequence[SizeRun], cap: float) -> list[list[str]]:
    return [[name, *(check(run).cell() for run in runs)] for name, check in targets(cap)]


# --- sections -------------------------------------------------------------------------------


def _cell(server: ServerRun | None, value: str) -> str:
    if server is None:
        return "-"
    if server.skipped:
        return "not run"
    return value


def _cold_cell(server: ServerRun) -> str:
    if server.cold_start is None:
        return "did not start" if server.failure else "-"
    text = fmt_seconds(server.cold_start)
    if len(server.cold_parts) > 1:
        text += " (" + " + ".join(f"{k} {fmt_seconds(v)}" for k, v in server.cold_parts) + ")"
    return text


def _write_cells(server: ServerRun, kind: str) -> tuple[str, str, str]:
    series = server.writes.get(kind)
    if series is None:
        return "-", "-", "-"
    if series.skipped:
        return series.skipped, "", ""
    accepted = f"{len(series.durations)} of {series.attempted}"
    return fmt_ms(series.median), fmt_ms(series.p99), accepted


def _export_cell(server: ServerRun) -> str:
    if server.export is None:
        return server.export_how or "-"
    quads = f", {server.export_lines:,} quads" if server.export_lines is not None else ""
    waited = f" ({server.export_how.split(', ', 1)[1]})" if "503" in server.export_how else ""
    return f"{fmt_seconds(server.export)}{quads}{waited}"


@dataclass(frozen=True)
class Row:
    """One line of the per-size table: a label, each server's cell, and its cost if numeric."""

    label: str
    cell: Callable[[ServerRun], str]
    cost: Callable[[ServerRun], Cost]


def lifecycle_rows(run: SizeRun, cap: float) -> list[list[str]]:
    def write_row(kind: str, index: int, label: str, metric: str) -> Row:
        def cost(s: ServerRun) -> Cost:
            series = s.writes.get(kind)
            return Cost(getattr(series, metric) if series is not None else None)

        return Row(label, lambda s: _write_cells(s, kind)[index], cost)

    def geo(concurrency: int) -> Row:
        return Row(
            f"query median, geometric mean, concurrency {concurrency} (ms)",
            lambda s: fmt_cost_ms(query_geomean(run, s.name, concurrency, cap)),
            lambda s: query_geomean(run, s.name, concurrency, cap),
        )

    rows = [
        Row("cold start (s)", _cold_cell, lambda s: Cost(s.cold_start)),
        Row("restart (s)", lambda s: fmt_seconds(s.restart), lambda s: Cost(s.restart)),
        Row(
            "peak RSS, process tree (MB)",
            lambda s: fmt_mb(s.peak_rss),
            lambda s: Cost(None if s.peak_rss is None else float(s.peak_rss)),
        ),
    ]
    for kind in KINDS:
        rows += [
            write_row(kind, 0, f"write, {kind}: median (ms)", "median"),
            write_row(kind, 1, f"write, {kind}: p99 (ms)", "p99"),
            Row(f"writes accepted, {kind}", lambda s, k=kind: _write_cells(s, k)[2], _no_cost),
        ]
    rows += [
        Row("export over HTTP, whole dataset as N-Quads (s)", _export_cell, _export_cost),
        Row(
            "export by the store's own command (s)",
            lambda s: fmt_seconds(s.export_offline),
            lambda s: Cost(s.export_offline),
        ),
        geo(1),
        geo(8),
    ]
    servers = {name: run.server(name) for name in SERVERS}
    floor = servers[FLOOR]
    lines = []
    for row in rows:
        cells = [
            _cell(servers[name], row.cell(s) if (s := servers[name]) else "-") for name in SERVERS
        ]
        ratios = []
        for name in (LIBASSOC, BASELINE):
            server = servers[name]
            if server is None or floor is None or not server.ran or not floor.ran:
                ratios.append("-")
            else:
                ratios.append(fmt_cost_ratio(cost_ratio(row.cost(server), row.cost(floor))))
        lines.append([row.label, *cells, *ratios])
    return lines


def _no_cost(server: ServerRun) -> Cost:
    return NO_COST


def _export_cost(server: ServerRun) -> Cost:
    return Cost(server.export)


def answers_cell(query: ScaleQuery) -> str:
    answers = [(m.server, m.answer) for m in query.measurements if m.answer]
    if not answers:
        return "-"
    if len({answer for _, answer in answers}) == 1:
        return answers[0][1]
    flag = "differ (known)" if query.note else "**differ**"
    return f"{flag}: " + ", ".join(f"{server} {answer}" for server, answer in answers)


def _mark(verdict: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[verdict]


def query_ratio_rows(run: SizeRun, cap: float) -> list[list[str]]:
    rows = []
    for query in run.queries:
        cells = [f"`{query.name}`", query.kind, answers_cell(query)]
        near, beat, fresh, fresh_near = [], [], [], []
        for concurrency in (1, 8):
            floor = query_cost(query.of(FLOOR), concurrency, cap)
            mine = query_cost(query.of(LIBASSOC), concurrency, cap)
            theirs = query_cost(query.of(BASELINE), concurrency, cap)
            cells += [
                fmt_cost_ratio(cost_ratio(mine, floor)),
                fmt_cost_ratio(cost_ratio(theirs, floor)),
            ]
            near.append(_mark(near_floor(mine, floor)))
            beat.append(_mark(beats_baseline(mine, theirs)))
            evaluated = query_cost(query.of(EVALUATED), concurrency, cap)
            fresh.append(fmt_cost_ratio(cost_ratio(evaluated, floor)))
            fresh_near.append(_mark(near_floor(evaluated, floor)))
        p99_floor = query_cost(query.of(FLOOR), 1, cap, _p99)
        p99_mine = query_cost(query.of(LIBASSOC), 1, cap, _p99)
        cells.append(fmt_cost_ratio(cost_ratio(p99_mine, p99_floor)))
        cells += [" / ".join(near), " / ".join(beat), *fresh, " / ".join(fresh_near)]
        rows.append(cells)
    return rows


def _phase_note(phase: Phase | None) -> str:
    if phase is None:
        return "-"
    if phase.skipped:
        return phase.skipped
    if phase.timeouts or phase.errors:
        return f"{phase.timeouts} timeout(s), {phase.errors} error(s)"
    return ""


def query_absolute_rows(run: SizeRun) -> list[list[str]]:
    rows = []
    for query in run.queries:
        for m in query.measurements:
            if m.failure:
                rows.append([f"`{query.name}`", m.server, m.failure[:120], "", "", "", "", "0"])
                continue
            cells = [f"`{query.name}`", m.server]
            for concurrency in (1, 8):
                phase = m.at(concurrency)
                note = _phase_note(phase)
                if note or phase is None:
                    cells += [note, ""]
                else:
                    cells += [fmt_ms(phase.median), fmt_ms(phase.p99)]
            c8 = m.at(8)
            rate = c8.throughput if c8 is not None and c8.ok else None
            cells += [fmt_rate(rate), str(sum(p.completed for p in m.phases))]
            rows.append(cells)
    return rows


def failure_summary(failures: Sequence[str], shown: int = 3) -> str:
    """Each distinct failure once, the most frequent first, with how often it happened."""
    counts: dict[str, int] = {}
    for failure in failures:
        key = first_line(failure)
        counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    parts = [f"{text} ({n}x)" if n > 1 else text for text, n in ordered[:shown]]
    if len(ordered) > shown:
        parts.append(f"and {len(ordered) - shown} other failure(s)")
    return " / ".join(parts)


def size_section(run: SizeRun, cap: float) -> list[str]:
    lines = [
        f"### Size `{run.label}`: {run.triples:,} distinct triples",
        "",
        f"{run.quads:,} quads in {run.graphs} named graphs (the shipped data and the synthetic "
        f"data), loaded into each server; {run.triples:,} distinct triples in the default graph, "
        "their merge.",
        "",
    ]
    if run.failure:
        return [*lines, "Not measured:", "", "```", run.failure, "```", ""]
    for server in run.servers:
        if server.skipped:
            lines.append(f"- {server.name} not run: {server.skipped}")
        if server.failure:
            lines.append(f"- {server.name}: {first_line(server.failure)}")
        if server.restarts_after_timeout:
            lines.append(
                f"- {server.name} restarted {server.restarts_after_timeout}x after a timeout "
                "(to stop a query that kept running)"
            )
        lines += [f"- {server.name}: {note}" for note in server.notes]
        for kind, series in server.writes.items():
            if series.failures:
                lines.append(
                    f"- {server.name}, {kind}: {len(series.failures)} of {series.attempted} "
                    f"writes failed: {failure_summary(series.failures)}"
                )
    header = ["measure", *SERVERS, "libassoc / oxigraph", "rdflib-endpoint / oxigraph"]
    ratio_header = [
        "query",
        "kind",
        "answers",
        "p50 c1 libassoc/ox",
        "p50 c1 rdflib/ox",
        "p50 c8 libassoc/ox",
        "p50 c8 rdflib/ox",
        "p99 c1 libassoc/ox",
        "within 1.5x of ox (c1 / c8)",
        ">= 10x rdflib (c1 / c8)",
        "p50 c1 evaluated/ox",
        "p50 c8 evaluated/ox",
        "evaluated within 1.5x (c1 / c8)",
    ]
    absolute_header = [
        "query",
        "server",
        "p50 c1 ms",
        "p99 c1 ms",
        "p50 c8 ms",
        "p99 c8 ms",
        "q/s at 8",
        "requests",
    ]
    return [
        *lines,
        *([""] if lines[-1] else []),
        *table(header, lifecycle_rows(run, cap)),
        "",
        f"#### Queries at `{run.label}`: latency as a ratio to Oxigraph's (below 1: faster)",
        "",
        *table(ratio_header, query_ratio_rows(run, cap)),
        "",
        f"#### Queries at `{run.label}`: absolute numbers",
        "",
        *table(absolute_header, query_absolute_rows(run)),
        "",
    ]


def render_section(runs: Sequence[SizeRun], info: ScaleInfo, plot_name: str | None) -> str:
    labels = ", ".join(run.label for run in runs)
    settings = table(["", ""], ([k, v] for k, v in (*info.machine.items(), *info.settings.items())))
    lines = [
        START,
        f"## Scale: libassoc, Oxigraph server and rdflib-endpoint at {labels}",
        "",
        f"Written by `make bench-scale` (`bench/run.py --scale-sizes ...`) on {info.date}; the "
        'method is in `bench/README.md` ("Scale mode"). Regenerate it rather than editing it. '
        "Costs are divided by Oxigraph server's for the same thing at the same size "
        "(libassoc / oxigraph, rdflib-endpoint / oxigraph): below 1 cheaper than Oxigraph, "
        "above 1 costlier; `> ` marks a lower bound (a request reached the client's "
        f"{info.timeout:g} s cap).",
        "",
    ]
    if plot_name:
        lines += [f"![cost against size, log-log]({plot_name})", ""]
    lines += [
        "### Targets",
        "",
        *table(["target", *(f"`{run.label}`" for run in runs)], target_rows(runs, info.timeout)),
        "",
        "The limits in seconds, milliseconds and bytes were set for 1M triples; every size is "
        "checked against the same limits and ratios. A write counts only if every write of its "
        'kind was accepted (2xx). "not measured": the comparison has no number to use.',
        "",
        "### Machine and settings",
        "",
        *settings,
        "",
        *(line for run in runs for line in size_section(run, info.timeout)),
        END,
    ]
    return "\n".join(lines) + "\n"


def extract(text: str) -> str:
    """The scale section of a report (markers included), or "" when it has none."""
    return sections.extract(text, SECTION)


def splice(text: str, section: str) -> str:
    """``text`` with its scale section replaced by ``section``, or ``section`` appended."""
    return sections.splice(text, SECTION, section)


# --- the plot -------------------------------------------------------------------------------


def plot(runs: Sequence[SizeRun], path: Path, cap: float) -> None:
    """Cost against size, log-log: one panel per cost, one line per server."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    def series(name: str, value: Callable[[ServerRun], float | None]) -> tuple[list, list]:
        xs, ys = [], []
        for run in runs:
            server = run.server(name)
            if server is None or not server.ran:
                continue
            y = value(server)
            if y is not None and y > 0:
                xs.append(run.triples)
                ys.append(y)
        return xs, ys

    def write_ms(kind: str) -> Callable[[ServerRun], float | None]:
        def value(s: ServerRun) -> float | None:
            series_ = s.writes.get(kind)
            median = series_.median if series_ is not None else None
            return None if median is None else median * 1000

        return value

    def geo_ms(s: ServerRun) -> float | None:
        run = next(r for r in runs if r.server(s.name) is s)
        value = query_geomean(run, s.name, 1, cap).value
        return None if value is None else value * 1000

    panels: list[tuple[str, list[tuple[str, Callable[[ServerRun], float | None]]]]] = [
        ("cold start (s)", [("", lambda s: s.cold_start)]),
        ("restart (s)", [("", lambda s: s.restart)]),
        ("write median (ms)", [(" GSP POST", write_ms(GSP)), (" INSERT DATA", write_ms(UPDATE))]),
        ("peak RSS (MB)", [("", lambda s: None if s.peak_rss is None else s.peak_rss / 1e6)]),
        ("query median, geometric mean, c1 (ms)", [("", geo_ms)]),
        ("export, N-Quads over HTTP (s)", [("", lambda s: s.export)]),
    ]
    colors = {LIBASSOC: "tab:blue", OXIGRAPH: "tab:green", BASELINE: "tab:red"}
    styles = ["-", "--"]
    figure, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, (title, lines) in zip(axes.flat, panels, strict=True):
        for name in SERVERS:
            for (suffix, value), style in zip(lines, styles, strict=False):
                xs, ys = series(name, value)
                if xs:
                    ax.plot(xs, ys, style, marker="o", color=colors[name], label=name + suffix)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain = ticker.FuncFormatter(lambda value, _: f"{value:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=7)
        ax.set_xticks([run.triples for run in runs], [run.label for run in runs])
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("size (distinct triples)", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    figure.suptitle("libassoc, Oxigraph server and rdflib-endpoint: cost against size")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
