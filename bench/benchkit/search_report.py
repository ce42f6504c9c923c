"""What ``bench/search.py`` found, and its section of ``RESULTS.md``.

The site search at scale: the index (``src/libassoc/search_index.py``) filled in-process, and
``GET /search`` of a real ``libassoc serve`` beside the same matching sent to Oxigraph server as
a SPARQL query. The section sits between ``<!-- search:start -->`` and ``<!-- search:end -->``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from benchkit import sections
from benchkit.report import fmt_ms, table
from benchkit.scale_report import first_line, fmt_seconds
from benchkit.served_report import fmt_bytes
from benchkit.stats import Phase, geometric_mean, percentile, ratio

SECTION = "search"
SEARCH, OXIGRAPH = "/search", "oxigraph"


@dataclass(frozen=True)
class Probe:
    """One query of the fixed set: what it stands for and what is typed."""

    kind: str  # "acronym", "no match"...
    text: str
    first: str = ""  # the name the first result should have ("" when no expectation)
    empty: bool = False  # whether it should find nothing


@dataclass(frozen=True)
class Found:
    """What the index found for one query, in-process."""

    matches: int  # every match, without /search's cap of 50
    examined: int  # candidates ranked (the things holding a word that starts with each term)
    first: str  # the first result's name
    seconds: float  # median of ``search(text, 50)``
    calls: int


@dataclass(frozen=True)
class IndexRun:
    """The index filled in a fresh process over a store holding the data."""

    load_seconds: float  # bulk load of the N-Quads and the merge into an on-disk store
    rows: int  # rows of queries/app/searchable.rq
    query_seconds: float  # that query alone, every row read
    fill_seconds: float  # SearchIndex().fill(store, catalog): the query again, and indexing
    entries: int
    words: int
    rss_before: int  # after the store was loaded and the query run once
    rss_after: int  # with the index held, after a garbage collection
    rss_peak: int  # the highest sample during the fill
    held: int  # bytes of the Python objects the index holds (sys.getsizeof, each object once)
    found: Mapping[str, Found]  # by query text


@dataclass(frozen=True)
class Timing:
    """One query of the fixed set at /search and at Oxigraph, taking turns."""

    probe: Probe
    results: int | None  # /search's results (at most 50)
    first: str  # the name of /search's first result
    search: Phase | None
    rows: int | None  # Oxigraph's rows (LIMIT 50)
    oxigraph: Phase | None
    failure: str = ""


@dataclass(frozen=True)
class SizeRun:
    label: str
    quads: int
    triples: int
    index: IndexRun | None = None
    startup: Mapping[str, float] | None = None  # server -> seconds until it answered
    first_search: float | None = None  # seconds from /sparql answering to a first /search
    checks: tuple[str, ...] = ()
    timings: tuple[Timing, ...] = ()
    notes: tuple[str, ...] = ()
    failure: str = ""


@dataclass(frozen=True)
class SearchInfo:
    date: str
    machine: Mapping[str, str]
    settings: Mapping[str, str]
    sparql: str  # the Oxigraph query, with WORDS standing for the words' filters


# --- figures --------------------------------------------------------------------------------


def p50(phase: Phase | None) -> float | None:
    return phase.median if phase is not None and phase.durations else None


def p95(phase: Phase | None) -> float | None:
    return percentile(phase.durations, 95.0) if phase is not None and phase.durations else None


def oxigraph_ratio(timing: Timing) -> float | None:
    """Oxigraph's median over /search's: above 1, /search is that many times faster."""
    return ratio(p50(timing.oxigraph), p50(timing.search))


def fmt_added(before: int, after: int) -> str:
    """What RSS grew by, signed: ``+312 MB``, or ``-3 MB`` when it shrank (noise at small sizes)."""
    return ("-" if after < before else "+") + fmt_bytes(abs(after - before))


def fmt_x(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 0.1:
        return f"{value:.2g}x"
    return f"{value:.2f}x" if value < 10 else f"{value:,.0f}x"


def oddities(run: SizeRun) -> list[str]:
    """Wrong or surprising answers: an expected first result missing, a no-match that matched."""
    found = []
    for timing in run.timings:
        probe = timing.probe
        if timing.failure:
            found.append(f"`{probe.text}`: {first_line(timing.failure)[:160]}")
            continue
        if probe.empty and timing.results:
            found.append(f"`{probe.text}` ({probe.kind}) found {timing.results} result(s)")
        if probe.first and timing.first != probe.first:
            found.append(
                f"`{probe.text}` ({probe.kind}): first result {timing.first!r}, "
                f"expected {probe.first!r}"
            )
        index = run.index.found.get(probe.text) if run.index else None
        results = timing.results
        if index is not None and results is not None and min(index.matches, 50) != results:
            found.append(
                f"`{probe.text}`: /search gave {results} results, the index in-process "
                f"{index.matches} matches"
            )
    return found


def slowest(run: SizeRun) -> Timing | None:
    timed = [t for t in run.timings if p50(t.search) is not None]
    return max(timed, key=lambda t: p50(t.search) or 0.0, default=None)


# --- the section ----------------------------------------------------------------------------


def summary_lines(run: SizeRun) -> list[str]:
    if run.failure:
        return [f"- **{run.label}**: not measured: {first_line(run.failure)}"]
    line = f"- **{run.label}** ({run.triples:,} triples):"
    index = run.index
    if index is not None:
        line += (
            f" index filled in **{fmt_seconds(index.fill_seconds)} s** in-process (its SPARQL "
            f"query alone {fmt_seconds(index.query_seconds)} s), {index.entries:,} entries, "
            f"{index.words:,} words, **{fmt_added(index.rss_before, index.rss_after)}** RSS "
            f"(peak {fmt_added(index.rss_before, index.rss_peak)} during the fill);"
        )
    if run.first_search is not None:
        line += (
            f" in the server, a first /search answered {fmt_seconds(run.first_search)} s after "
            "/sparql did;"
        )
    medians = ", ".join(
        f"{t.probe.kind} {fmt_ms(p50(t.search))}/{fmt_ms(p95(t.search))}" for t in run.timings
    )
    line += f" /search p50/p95 ms: {medians}."
    ratios = [r for t in run.timings if (r := oxigraph_ratio(t)) is not None]
    if ratios:
        line += (
            f" Oxigraph's CONTAINS query / /search, p50: geometric mean "
            f"**{fmt_x(geometric_mean(ratios))}** (from {fmt_x(min(ratios))} to "
            f"{fmt_x(max(ratios))})."
        )
    lines = [line]
    worst = slowest(run)
    if worst is not None:
        lines.append(
            f"  - slowest /search: `{worst.probe.text}` ({worst.probe.kind}), "
            f"{fmt_ms(p50(worst.search))} ms p50"
            + (
                f", {run.index.found[worst.probe.text].examined:,} candidates ranked"
                if run.index and worst.probe.text in run.index.found
                else ""
            )
        )
    lines += [f"  - **odd**: {item}" for item in oddities(run)]
    return lines


def index_rows(index: IndexRun) -> list[list[str]]:
    return [
        [
            "bulk load of the N-Quads and their merge into an on-disk store",
            f"{index.load_seconds:.1f} s",
        ],
        [
            "`queries/app/searchable.rq` alone, every row read",
            f"{fmt_seconds(index.query_seconds)} s, {index.rows:,} rows",
        ],
        [
            "**`SearchIndex().fill(store, catalog)`** (that query again, and indexing)",
            f"**{fmt_seconds(index.fill_seconds)} s**",
        ],
        ["entries (things with a name or description)", f"{index.entries:,}"],
        ["words (the sorted vocabulary)", f"{index.words:,}"],
        [
            "RSS before the fill (store loaded, query run once, freed memory given back)",
            fmt_bytes(index.rss_before),
        ],
        [
            "**RSS the index adds** (after the fill, the same way)",
            f"**{fmt_added(index.rss_before, index.rss_after)}**",
        ],
        [
            "peak RSS during the fill, above the start",
            fmt_added(index.rss_before, index.rss_peak),
        ],
        ["Python objects the index holds (`sys.getsizeof`, each once)", fmt_bytes(index.held)],
    ]


def timing_rows(run: SizeRun) -> list[list[str]]:
    rows = []
    for timing in run.timings:
        found = run.index.found.get(timing.probe.text) if run.index else None
        search, oxigraph = timing.search, timing.oxigraph
        rows.append(
            [
                timing.probe.kind,
                f"`{timing.probe.text}`",
                "-" if timing.results is None else str(timing.results),
                "-" if found is None else f"{found.matches:,}",
                "-" if found is None else f"{found.examined:,}",
                timing.first or "-",
                "-" if found is None else fmt_ms(found.seconds),
                fmt_ms(p50(search)),
                fmt_ms(p95(search)),
                "-" if search is None else str(search.completed),
                "-" if timing.rows is None else str(timing.rows),
                fmt_ms(p50(oxigraph)),
                fmt_ms(p95(oxigraph)),
                "-" if oxigraph is None else str(oxigraph.completed),
                f"**{fmt_x(oxigraph_ratio(timing))}**",
            ]
        )
    return rows


TIMING_HEADER = [
    "kind",
    "query",
    "/search results",
    "matches in the index",
    "candidates ranked",
    "first result",
    "in-process `search()` p50 ms",
    "/search p50 ms",
    "/search p95 ms",
    "requests",
    "oxigraph rows",
    "oxigraph p50 ms",
    "oxigraph p95 ms",
    "requests",
    "**oxigraph / search**",
]


def size_section(run: SizeRun) -> list[str]:
    lines = [
        f"### `{run.label}`: {run.triples:,} distinct triples",
        "",
        f"{run.quads:,} quads; {run.triples:,} distinct triples in the default graph, their "
        "merge, which the index is filled from.",
        "",
    ]
    if run.startup:
        started = ", ".join(f"{name} {secs:.1f} s" for name, secs in run.startup.items())
        lines.append(f"- start-up until the endpoint answered: {started}")
    if run.first_search is not None:
        lines.append(
            f"- a first `/search?q=ALA` answered {fmt_seconds(run.first_search)} s after "
            "libassoc's `/sparql` did (it waits for the index, filled in the background at "
            "start, after the hash IRIs)"
        )
    lines += [f"- {check}" for check in run.checks]
    lines += [f"- {note}" for note in run.notes]
    if run.failure:
        return [*lines, "", "Not measured:", "", "```", run.failure, "```", ""]
    if run.index is not None:
        lines += ["", "#### The index, in-process", "", *table(["", ""], index_rows(run.index))]
    lines += [
        "",
        "#### `/search` and the same matching at Oxigraph, concurrency 1",
        "",
        *table(TIMING_HEADER, timing_rows(run)),
        "",
    ]
    return lines


def render_section(runs: Sequence[SizeRun], info: SearchInfo) -> str:
    start, end = sections.markers(SECTION)
    labels = " and ".join(run.label for run in runs)
    facts = table(["", ""], ([k, v] for k, v in (*info.machine.items(), *info.settings.items())))
    lines = [
        start,
        f"## Search at {labels}: the index and /search",
        "",
        f"Written by `make bench-search` (`bench/search.py`) on {info.date}; the method is in "
        '`bench/README.md` ("Search"). Regenerate it rather than editing it. The index is '
        "filled in a fresh process over an on-disk store holding the data; then `libassoc "
        "serve` answers `GET /search?q=...` (JSON, at most 50 results, ranked) and Oxigraph "
        "server, over the same data, answers the same words as a SPARQL query, the two taking "
        "turns. **oxigraph / search** is Oxigraph's median latency over /search's: above 1, "
        "/search is that many times faster. The SPARQL query (`WORDS`: one "
        '`CONTAINS(LCASE(STR(?text)), "word")` per word, joined by `&&`):',
        "",
        "```sparql",
        info.sparql,
        "```",
        "",
        "It is not the same search: it matches each word anywhere inside one literal (`ala` "
        "matches *Alabama* and *scalable*), where the index matches words that start with "
        "each term, over all the names and the description of a thing; it does not rank, so "
        "LIMIT 50 lets Oxigraph stop at the first 50 it meets, where /search ranks every "
        "candidate; and Oxigraph does not strip accents (`LCASE` of `ENCYCLOPÆDIA` is "
        "`encyclopædia`, which misses *Encyclopaedia*), where the index folds case, accents and "
        "ligatures.",
        "",
        "### Summary",
        "",
        *(line for run in runs for line in summary_lines(run)),
        "",
        "### Machine and settings",
        "",
        *facts,
        "",
        *(line for run in runs for line in size_section(run)),
        end,
    ]
    return "\n".join(lines) + "\n"


def splice(text: str, section: str) -> str:
    """``text`` with its search section replaced by ``section``, or ``section`` appended."""
    return sections.splice(text, SECTION, section)
