"""What ``bench/remote.py`` found, and its section of ``RESULTS.md``.

The overhead of libassoc as a front end: the same queries sent to Oxigraph server's own
``/query`` and to libassoc serving that same Oxigraph server (``--remote-query``), taking turns,
with the embedded libassoc (and rdflib-endpoint, where it is cheap to run) beside them for
reference. Every latency is divided by Oxigraph's for the same query: the ratio "libassoc in
front / Oxigraph alone" is the overhead factor. The section sits between ``<!-- remote:start -->``
and ``<!-- remote:end -->``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchkit import sections
from benchkit.report import fmt_ms, table
from benchkit.scale_outcome import ScaleQuery
from benchkit.scale_report import (
    NO_COST,
    Cost,
    answers_cell,
    cost_ratio,
    first_line,
    fmt_cost_ms,
    fmt_cost_ratio,
    query_cost,
)
from benchkit.stats import geometric_mean

SECTION = "remote"
OXIGRAPH, FRONT, EMBEDDED, BASELINE = (
    "oxigraph",
    "libassoc in front",
    "libassoc embedded",
    "rdflib-endpoint",
)
SERVERS = (OXIGRAPH, FRONT, EMBEDDED, BASELINE)
# The answers that must agree: libassoc forwards to Oxigraph, and embeds pyoxigraph.
SAME_ENGINE = (OXIGRAPH, FRONT, EMBEDDED)


@dataclass(frozen=True)
class SizeRun:
    """Every query over one dataset on every server that ran, and how the data got there."""

    label: str  # "shipped", "100k"
    quads: int  # in named graphs, as the loader reads them
    triples: int  # distinct: the default graph, their merge
    graphs: int
    fill: str = ""  # how Oxigraph server was filled, and how long it took
    checks: tuple[str, ...] = ()  # what was counted in the stores before timing, one line each
    startup: Mapping[str, float] | None = None  # server -> seconds until it answered
    queries: tuple[ScaleQuery, ...] = ()
    notes: tuple[str, ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class RemoteInfo:
    date: str
    machine: Mapping[str, str]
    settings: Mapping[str, str]
    timeout: float  # the client's cap on one request


# --- figures --------------------------------------------------------------------------------


def overhead(query: ScaleQuery, server: str, concurrency: int, cap: float) -> Cost:
    """``server``'s median latency over Oxigraph's for ``query`` (above 1: slower)."""
    floor = query_cost(query.of(OXIGRAPH), concurrency, cap)
    if query.of(server) is None:
        return NO_COST
    return cost_ratio(query_cost(query.of(server), concurrency, cap), floor)


def added(query: ScaleQuery, cap: float) -> float | None:
    """Seconds libassoc in front adds to Oxigraph's median, at concurrency 1."""
    floor = query_cost(query.of(OXIGRAPH), 1, cap)
    front = query_cost(query.of(FRONT), 1, cap)
    if not floor.exact or not front.exact or floor.value is None or front.value is None:
        return None
    return front.value - floor.value


def geomean(run: SizeRun, server: str, concurrency: int, cap: float) -> Cost:
    """The geometric mean of ``server``'s overhead over the queries with an exact ratio."""
    exact = [c.value for q in run.queries if (c := overhead(q, server, concurrency, cap)).exact]
    return Cost(geometric_mean([v for v in exact if v is not None]))


def exact_overheads(run: SizeRun, cap: float) -> list[tuple[float, str]]:
    """(overhead at concurrency 1, query) of libassoc in front, where it is an exact figure."""
    found = []
    for query in run.queries:
        cost = overhead(query, FRONT, 1, cap)
        if cost.exact and cost.value is not None:
            found.append((cost.value, query.name))
    return found


def disagreements(run: SizeRun) -> list[ScaleQuery]:
    """Queries where Oxigraph, libassoc in front of it and the embedded libassoc differ."""
    found = []
    for query in run.queries:
        answers = {m.answer for s in SAME_ENGINE if (m := query.of(s)) is not None and m.answer}
        if len(answers) > 1:
            found.append(query)
    return found


def failures(run: SizeRun) -> list[str]:
    """Every query without timings on some server, or with timeouts or errors while timed."""
    found = []
    for query in run.queries:
        for m in query.measurements:
            if m.failure:
                found.append(f"`{query.name}` on {m.server}: {first_line(m.failure)[:160]}")
            bad = [p for p in m.phases if p.timeouts or p.errors]
            found += [
                f"`{query.name}` on {m.server} at concurrency {p.concurrency}: "
                f"{p.timeouts} timeout(s), {p.errors} error(s)"
                for p in bad
            ]
    return found


# --- the section ----------------------------------------------------------------------------


def summary_lines(run: SizeRun, cap: float) -> list[str]:
    if run.failure:
        return [f"- **{run.label}**: not measured: {first_line(run.failure)}"]
    known = exact_overheads(run, cap)
    highest = max(known, default=None)
    lowest = min(known, default=None)
    extra = sorted(v for q in run.queries if (v := added(q, cap)) is not None)
    median_added = extra[len(extra) // 2] if extra else None
    embedded = geomean(run, EMBEDDED, 1, cap)
    line = (
        f"- **{run.label}** ({run.triples:,} triples): libassoc in front of Oxigraph / "
        f"Oxigraph alone, median latency at concurrency 1: geometric mean "
        f"**{fmt_cost_ratio(geomean(run, FRONT, 1, cap))}** over {len(known)} queries"
    )
    if highest is not None and lowest is not None:
        line += (
            f", highest {fmt_cost_ratio(Cost(highest[0]))} (`{highest[1]}`), lowest "
            f"{fmt_cost_ratio(Cost(lowest[0]))} (`{lowest[1]}`)"
        )
    line += (
        f"; median time added {fmt_ms(median_added)} ms; at concurrency 8 geometric mean "
        f"{fmt_cost_ratio(geomean(run, FRONT, 8, cap))}. The embedded libassoc / Oxigraph: "
        f"{fmt_cost_ratio(embedded)} at concurrency 1."
    )
    lines = [line]
    for query in disagreements(run):
        answers = ", ".join(f"{m.server} {m.answer}" for m in query.measurements if m.answer)
        lines.append(f"  - **answers differ** for `{query.name}`: {answers}")
    problems = failures(run)
    if problems:
        lines.append(f"  - without timings, or timeouts and errors: {'; '.join(problems)}")
    return lines


def query_rows(run: SizeRun, cap: float) -> list[list[str]]:
    rows = []
    for query in run.queries:
        cells = [f"`{query.name}`", query.kind, _answers(query)]
        cells += [_ms(query, OXIGRAPH, cap), _ms(query, FRONT, cap)]
        cells.append(fmt_cost_ratio(overhead(query, FRONT, 1, cap)))
        extra = added(query, cap)
        cells.append("-" if extra is None else f"{extra * 1000:+.2f}")
        cells.append(fmt_cost_ratio(overhead(query, FRONT, 8, cap)))
        for server in (EMBEDDED, BASELINE):
            cells += [_ms(query, server, cap), fmt_cost_ratio(overhead(query, server, 1, cap))]
        rows.append(cells)
    means = ["**geometric mean**", "", "", "", ""]
    means += [f"**{fmt_cost_ratio(geomean(run, FRONT, 1, cap))}**", ""]
    means += [fmt_cost_ratio(geomean(run, FRONT, 8, cap))]
    means += ["", fmt_cost_ratio(geomean(run, EMBEDDED, 1, cap))]
    means += ["", fmt_cost_ratio(geomean(run, BASELINE, 1, cap))]
    return [*rows, means]


def _ms(query: ScaleQuery, server: str, cap: float) -> str:
    measurement = query.of(server)
    if measurement is None:
        return "not run"
    if measurement.failure:
        return first_line(measurement.failure)[:60]
    return fmt_cost_ms(query_cost(measurement, 1, cap))


def _answers(query: ScaleQuery) -> str:
    # A `# difference:` header explains rdflib-endpoint's answers, never a difference between
    # the servers that all evaluate with Oxigraph's engine.
    same = {m.answer for s in SAME_ENGINE if (m := query.of(s)) is not None and m.answer}
    note = query.note if len(same) <= 1 else ""
    return answers_cell(ScaleQuery(query.name, query.kind, query.group, query.measurements, note))


def size_section(run: SizeRun, cap: float) -> list[str]:
    lines = [
        f"### `{run.label}`: {run.triples:,} distinct triples",
        "",
        f"{run.quads:,} quads in {run.graphs} named graphs; {run.triples:,} distinct triples "
        "in the default graph, their merge.",
        "",
    ]
    if run.fill:
        lines.append(f"- Oxigraph server filled by {run.fill}")
    lines += [f"- {check}" for check in run.checks]
    if run.startup:
        started = ", ".join(f"{name} {secs:.1f} s" for name, secs in run.startup.items())
        lines.append(f"- start-up until the endpoint answered: {started}")
    lines += [f"- {note}" for note in run.notes]
    if run.failure:
        return [*lines, "", "Not measured:", "", "```", run.failure, "```", ""]
    header = [
        "query",
        "kind",
        "answers",
        "oxigraph p50 ms",
        "in front p50 ms",
        "**in front / oxigraph**",
        "ms added",
        "in front / oxigraph, c8",
        "embedded p50 ms",
        "embedded / oxigraph",
        "rdflib p50 ms",
        "rdflib / oxigraph",
    ]
    return [*lines, "", *table(header, query_rows(run, cap)), ""]


def render_section(runs: Sequence[SizeRun], info: RemoteInfo) -> str:
    start, end = sections.markers(SECTION)
    facts = table(["", ""], ([k, v] for k, v in (*info.machine.items(), *info.settings.items())))
    lines = [
        start,
        "## In front of Oxigraph server: the overhead of libassoc as a front end",
        "",
        f"Written by `make bench-remote` (`bench/remote.py`) on {info.date}; the method is in "
        '`bench/README.md` ("In front of Oxigraph server"). Regenerate it rather than editing '
        "it. Each query goes to Oxigraph server's own `/query` and to `libassoc serve "
        "--remote-query` in front of that same server, in turns; the overhead is libassoc in "
        "front's median latency divided by Oxigraph's (above 1: libassoc adds that factor). The "
        "embedded libassoc and rdflib-endpoint are divided by Oxigraph's too, for reference. "
        "c1 and c8: concurrency 1 and 8; every figure without c8 is at concurrency 1. `> ` marks "
        f"a lower bound (a request reached the client's {info.timeout:g} s cap).",
        "",
        "### Summary",
        "",
        *(line for run in runs for line in summary_lines(run, info.timeout)),
        "",
        "### Machine and settings",
        "",
        *facts,
        "",
        *(line for run in runs for line in size_section(run, info.timeout)),
        end,
    ]
    return "\n".join(lines) + "\n"


def splice(text: str, section: str) -> str:
    """``text`` with its remote section replaced by ``section``, or ``section`` appended."""
    return sections.splice(text, SECTION, section)
