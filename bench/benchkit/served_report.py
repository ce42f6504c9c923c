"""What the served mode found, and its section of ``RESULTS.md``.

The served mode measures libassoc alone at one size (10M triples, say), where running every
query on three servers, as the scale mode does, would take far too long on this machine. Its
section sits between ``<!-- served-10m:start -->`` and ``<!-- served-10m:end -->`` (the size in
the name), so that it, the scale mode and the seed-size run each rewrite only their own part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchkit import sections
from benchkit.datasets import Counts
from benchkit.outcome import Measurement
from benchkit.report import fmt_ms, table
from benchkit.scale_report import failure_summary, first_line, fmt_seconds
from benchkit.stats import geometric_mean
from benchkit.writes import KINDS, WriteSeries

# The parts of the server's life its peak RSS is kept for, each on its own.
COLD, SERVING, RESTART = "cold start", "serving", "restart"
PHASES = (COLD, SERVING, RESTART)
PHASE_WORDS = {
    COLD: "during the cold start (loading, validation)",
    SERVING: "after it answered (first dumps, queries, writes)",
    RESTART: "during the restart",
}


def section_name(label: str) -> str:
    """``10M`` -> ``served-10m``: the name of the section a size's run owns."""
    return f"served-{label.lower()}"


@dataclass(frozen=True)
class Generation:
    """The synthetic data, as the harness wrote and counted it in a process of its own."""

    seconds: float  # writing the N-Triples
    count_seconds: float  # reading every source back to count quads and distinct triples
    files: int
    size: int  # bytes of synthetic N-Triples
    peak_rss: int | None  # bytes, that process's largest


@dataclass(frozen=True)
class DumpFetch:
    """The first N-Quads dump, asked for as soon as the server answered."""

    status: int | None = None  # the last answer's
    answered: float | None = None  # seconds from the server answering until a 200's headers
    download: float | None = None  # seconds from those headers until the whole body
    size: int | None = None  # bytes
    lines: int | None = None
    waits: int = 0  # 503 answers (the dumps not written yet) before it
    failure: str = ""
    # Each dump writer process seen under the server, (from, to) in seconds after it answered.
    writers: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class ServedQuery:
    name: str
    kind: str
    measurement: Measurement


@dataclass(frozen=True)
class ServedRun:
    """libassoc at one size, from generated data to a restart."""

    label: str  # "10M"
    factor: float  # the synthetic scale: Sizes().scaled(factor)
    counts: Counts | None = None
    generation: Generation | None = None
    failure: str = ""  # why the run stopped short, with the log's tail
    cold_start: float | None = None  # seconds from the command until /sparql answered
    cold_log: tuple[tuple[float, str], ...] = ()  # its log's lines, seconds after the command
    restart: float | None = None
    restart_log: tuple[tuple[float, str], ...] = ()
    peaks: Mapping[str, int] = field(default_factory=dict)  # bytes per phase
    memory_total: int | None = None  # bytes, the machine's
    memory_available: int | None = None  # bytes, MemAvailable when the run started
    memory_available_low: int | None = None  # bytes, the lowest MemAvailable seen during it
    store_size: int | None = None  # bytes on disk after the run
    dump: DumpFetch | None = None
    queries: tuple[ServedQuery, ...] = ()
    writes: Mapping[str, WriteSeries] = field(default_factory=dict)
    seconds: float | None = None  # the whole run
    notes: tuple[str, ...] = ()

    @property
    def peak(self) -> int | None:
        return max(self.peaks.values()) if self.peaks else None


@dataclass(frozen=True)
class ServedInfo:
    date: str
    machine: Mapping[str, str]
    settings: Mapping[str, str]
    command: str  # how the section was written


def source_note(before: tuple[str, str], after: tuple[str, str]) -> str:
    """What to say when ``src/`` changed during the run: (commit, digest of src/) at each end."""
    (commit_before, digest_before), (commit_after, digest_after) = before, after
    if digest_before == digest_after:
        return ""
    commits = (
        f"commit {commit_before} at the start, {commit_after} at the end"
        if commit_before != commit_after
        else f"commit {commit_before}, edited in the working tree"
    )
    return (
        f"`src/` changed while this ran ({commits}): the cold start ran the code of the start, "
        "but a process started later (query workers, dump writers, the restart) may have run "
        "newer code. Run it again on a `src/` nobody edits for figures of one version."
    )


# --- formatting -----------------------------------------------------------------------------


def fmt_bytes(value: int | None) -> str:
    """MB below 10 GB (as the scale section gives RSS), GB above."""
    if value is None:
        return "-"
    if value >= 10e9:
        return f"{value / 1e9:,.1f} GB"
    return f"{value / 1e6:,.0f} MB"


def fmt_duration(seconds: float | None) -> str:
    """Seconds, and minutes beside them from two minutes on."""
    if seconds is None:
        return "-"
    text = f"{fmt_seconds(seconds)} s"
    return f"{text} ({seconds / 60:.1f} min)" if seconds >= 120 else text


def relative(seconds: float) -> str:
    """A moment against another: ``2.50 s after`` or ``0.03 s before``."""
    word = "before" if seconds < 0 else "after"
    return f"{fmt_seconds(abs(seconds))} s {word}"


def share(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return ""
    return f"{100 * part / whole:.0f}%"


def _peak_cell(run: ServedRun, phase: str) -> str:
    value = run.peaks.get(phase)
    if value is None:
        return "-"
    fraction = share(value, run.memory_total)
    return f"{fmt_bytes(value)}" + (f" ({fraction} of the machine's memory)" if fraction else "")


def _write_cell(series: WriteSeries | None) -> str:
    if series is None:
        return "-"
    if series.skipped:
        return series.skipped
    accepted = f"{len(series.durations)} of {series.attempted} accepted (2xx)"
    if series.median is None:
        return f"none accepted; {accepted}"
    return f"median {fmt_ms(series.median)} ms, p99 {fmt_ms(series.p99)} ms; {accepted}"


def _dump_cells(dump: DumpFetch | None) -> list[list[str]]:
    label = "first N-Quads dump: `GET /dumps/libassoc.nq` answered 200"
    if dump is None:
        return [[label, "not asked (the server did not answer)"]]
    waited = f", after {dump.waits} answer(s) 503 with Retry-After" if dump.waits else ""
    if dump.answered is None:
        why = dump.failure or f"HTTP {dump.status}"
        rows = [[label, f"no ({why}{waited})"]]
    else:
        rows = [[label, f"{fmt_duration(dump.answered)} after `/sparql` answered{waited}"]]
    if dump.writers:
        begin, end = dump.writers[0]
        more = len(dump.writers) - 1
        text = f"seen from {relative(begin)} to {relative(end)} `/sparql` answered"
        if more:
            text += f" (and {more} more run(s) later, after the writes)"
        rows.append(["its writer process (`libassoc.publication`, seen in /proc)", text])
    if dump.size is not None and dump.answered is not None:
        lines = f"{dump.lines:,} quads, " if dump.lines is not None else ""
        rows.append(
            [
                "N-Quads dump",
                f"{fmt_bytes(dump.size)}, {lines}downloaded in {fmt_seconds(dump.download)} s",
            ]
        )
    return rows


def query_geomean(queries: Sequence[ServedQuery]) -> float | None:
    medians = [p.median for q in queries if (p := q.measurement.at(1)) is not None and p.ok]
    return geometric_mean([m for m in medians if m is not None])


def lifecycle_rows(run: ServedRun) -> list[list[str]]:
    rows: list[list[str]] = []
    if run.counts is not None:
        counts = run.counts
        rows.append(
            [
                "data",
                f"{counts.quads:,} quads in {counts.graphs} named graphs (the shipped data and "
                f"synthetic scale {run.factor:g}); {counts.triples:,} distinct triples in the "
                "default graph, their merge",
            ]
        )
    if run.generation is not None:
        made = run.generation
        rows.append(
            [
                "synthetic data, written by the harness",
                f"{fmt_seconds(made.seconds)} s, {made.files} N-Triples files, "
                f"{fmt_bytes(made.size)}; counted in {fmt_seconds(made.count_seconds)} s; that "
                f"process peaked at {fmt_bytes(made.peak_rss)}",
            ]
        )
    rows.append(["cold start, until `/sparql` answers", fmt_duration(run.cold_start)])
    for phase in PHASES:
        rows.append([f"peak RSS of the process tree, {PHASE_WORDS[phase]}", _peak_cell(run, phase)])
    rows.append(["restart on the same store, until `/sparql` answers", fmt_duration(run.restart)])
    rows += _dump_cells(run.dump)
    for kind in KINDS:
        rows.append([f"one-entity write, {kind}", _write_cell(run.writes.get(kind))])
    if run.queries:
        measured = sum(1 for q in run.queries if (p := q.measurement.at(1)) and p.ok)
        rows.append(
            [
                "query medians, geometric mean",
                f"{fmt_ms(query_geomean(run.queries))} ms over {measured} of "
                f"{len(run.queries)} queries",
            ]
        )
    rows.append(["store on disk after the run", fmt_bytes(run.store_size)])
    memory = fmt_bytes(run.memory_total)
    if run.memory_total is not None:
        memory += f" ({run.memory_total / 1024**3:.1f} GiB)"
    if run.memory_available is not None:
        memory += f"; {fmt_bytes(run.memory_available)} available at the start"
    if run.memory_available_low is not None:
        memory += f", {fmt_bytes(run.memory_available_low)} at the lowest during the run"
    rows.append(["the machine's memory", memory])
    rows.append(["the whole run", fmt_duration(run.seconds)])
    return rows


# Of the "loading file i of n" lines, only the first and the last go into the report.
LOADING = "  loading file "


def log_rows(lines: Sequence[tuple[float, str]]) -> list[list[str]]:
    loading = [i for i, (_, text) in enumerate(lines) if text.startswith(LOADING)]
    keep = set(range(len(lines))) - set(loading[1:-1])
    rows = []
    for i, (seconds, text) in enumerate(lines):
        if i not in keep:
            continue
        if loading and i == loading[-1] and len(loading) > 2:
            rows.append(["", f"({len(loading) - 2} more lines of the same kind)"])
        cell = text.strip()
        rows.append([fmt_seconds(seconds), f"`{cell}`" if cell else ""])
    return rows


def query_rows(queries: Sequence[ServedQuery]) -> list[list[str]]:
    rows = []
    for query in queries:
        m = query.measurement
        if m.failure:
            rows.append([f"`{query.name}`", query.kind, m.failure[:160], "0", "", ""])
            continue
        phase = m.at(1)
        if phase is None:
            rows.append([f"`{query.name}`", query.kind, m.answer or "-", "0", "-", "-"])
            continue
        note = phase.skipped or (
            f"{phase.timeouts} timeout(s), {phase.errors} error(s)"
            if phase.timeouts or phase.errors
            else ""
        )
        answer = m.answer + (f"; {note}" if note else "")
        rows.append(
            [
                f"`{query.name}`",
                query.kind,
                answer,
                str(phase.completed),
                fmt_ms(phase.median),
                fmt_ms(phase.p99),
            ]
        )
    return rows


def render_section(run: ServedRun, info: ServedInfo) -> str:
    start, end = sections.markers(section_name(run.label))
    triples = f": {run.counts.triples:,} distinct triples" if run.counts else ""
    lines = [
        start,
        f"## Served at `{run.label}`: libassoc alone{triples}",
        "",
        f"Written by `{info.command}` on {info.date}; the method is in `bench/README.md` "
        '("Served mode"). Regenerate it rather than editing it. libassoc alone, over the shipped '
        "data and generated data: the scale section compares it with Oxigraph server and "
        "rdflib-endpoint at smaller sizes. Peak RSS is summed over the process tree (the web "
        "process, its query workers, the dump writer), sampled every 0.1 s: an upper bound.",
        "",
    ]
    if run.failure:
        lines += ["**The run stopped short:**", "", "```", run.failure.strip(), "```", ""]
    notes = list(run.notes)
    for kind, series in run.writes.items():
        if series.failures:
            notes.append(
                f"{kind}: {len(series.failures)} of {series.attempted} writes failed: "
                f"{failure_summary(series.failures)}"
            )
    if run.dump is not None and run.dump.failure:
        notes.append(f"dump: {first_line(run.dump.failure)}")
    lines += [f"- {note}" for note in notes]
    lines += [*([""] if notes else []), *table(["measure", "value"], lifecycle_rows(run)), ""]
    if run.cold_log:
        lines += [
            "### The cold start, step by step",
            "",
            "libassoc's own lines as the harness read them from its log (every 0.5 s, so each "
            "time is up to 0.5 s late), in seconds after the command; the readiness probe "
            "polled `/sparql` every 0.5 s.",
            "",
            *table(["s", "line"], log_rows(run.cold_log)),
            "",
        ]
    if run.restart_log:
        lines += [
            "The restart, the same way (the probe polled every 0.1 s):",
            "",
            *table(["s", "line"], log_rows(run.restart_log)),
            "",
        ]
    if run.queries:
        lines += [
            "### Queries, one at a time",
            "",
            "One untimed request gives the answer's size, then the query is sent again and "
            "again (concurrency 1) within the budget below; a query slower than the budget "
            "gets one timed request.",
            "",
            *table(
                ["query", "kind", "answer", "timed requests", "median ms", "p99 ms"],
                query_rows(run.queries),
            ),
            "",
        ]
    settings = table(["", ""], ([k, v] for k, v in (*info.machine.items(), *info.settings.items())))
    lines += ["### Machine and settings", "", *settings, end]
    return "\n".join(lines) + "\n"


def splice(text: str, run: ServedRun, section: str) -> str:
    """``text`` with the section of ``run``'s size replaced by ``section``, or appended."""
    return sections.splice(text, section_name(run.label), section)
