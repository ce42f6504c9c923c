"""The ``load`` section of ``RESULTS.md``: what ``bench/load.py`` measured, and the verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from benchkit import sections
from benchkit.loadgen import Seen, Tally
from benchkit.stats import ratio

CHEAP = "cheap query"
TARGET_RATIO = 5.0  # the cheap queries' p99 under load, at most this times their median alone


@dataclass
class Run:
    """What one run gave: the cheap queries alone, then every kind together."""

    cheap_names: Sequence[str]
    alone: Tally
    seen_alone: Seen
    load: Mapping[str, Tally]
    loops: Mapping[str, tuple[int, ...]]
    seen_load: Seen
    elapsed: float  # from the start of the load until its last answer
    issued: int
    server: Mapping[str, float]  # the server's counters after the run
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.alone.errors + sum(t.errors for t in self.load.values())


def verdict(run: Run) -> tuple[bool, str]:
    """Whether the run met the target, and a sentence that says why."""
    cheap = run.load.get(CHEAP, Tally())
    factor = ratio(cheap.p99, run.alone.median)
    within = factor is not None and factor <= TARGET_RATIO
    # A 429 or 503 is intended, but a cheap query refused is a cheap query not answered.
    refused = sum(n for outcome, n in cheap.outcomes.items() if outcome in ("429", "503"))
    said = (
        f"{run.errors or 'no'} unintended errors; the cheap queries' p99 under load is "
        f"{_ms(cheap.p99)} ms, {_x(factor)} their median alone ({_ms(run.alone.median)} ms): "
        f"{'within' if within else 'not within'} {TARGET_RATIO:g}x"
    )
    if refused:
        said += f"; {refused:,} cheap queries were refused (429 or 503)"
    return not run.errors and within, said


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1000
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def _x(factor: float | None) -> str:
    return "-" if factor is None else f"{factor:.1f}x"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.0%}"


def _outcomes(tally: Tally) -> str:
    return ", ".join(f"{o}: {n:,}" for o, n in sorted(tally.outcomes.items())) or "-"


def row(name: str, tally: Tally, loops: Sequence[int], seen: Seen | None = None) -> str:
    cells = [name, f"{len(loops)} ({'+'.join(map(str, loops))})", f"{tally.count:,}"]
    cells += [_outcomes(tally), f"{tally.errors:,}"]
    cells += [_ms(tally.median), _ms(tally.p99), _ms(tally.slowest)]
    cells += [_ms(seen.median), _ms(seen.p99)] if seen and seen.durations else ["-", "-"]
    cells.append(f"{tally.received / 1e6:,.1f}")
    return "| " + " | ".join(cells) + " |"


def section_name(size: str | None) -> str:
    """``load`` over the shipped data, ``load-100k`` with 100k synthetic triples beside it."""
    return f"load-{size.lower()}" if size else "load"


def render(
    run: Run, when: datetime, sent: Sequence[str], settings: Mapping[str, str], size: str | None
) -> str:
    """The section, between its markers; ``sent`` says what each kind sent, one line each."""
    start, end = sections.markers(section_name(size))
    data = f" at {size}" if size else ""
    ok, said = verdict(run)
    rate = run.issued / run.elapsed if run.elapsed else 0.0
    loops = sum(sum(n) for n in run.loops.values())
    lines = [
        start,
        f"## Load{data}: cheap queries, pages, dumps and expensive queries together",
        "",
        f"Written by `bench/load.py` (`make bench-load`) on {when:%Y-%m-%d %H:%M UTC}; the "
        "method is in its docstring. Regenerate it rather than editing it.",
        "",
        f"**{'Met' if ok else 'Not met'}**: {said}.",
        "",
        f"Alone: the cheap queries ({', '.join(f'`{n}`' for n in run.cheap_names)}) one after "
        f"another from one client. Together: {loops} request loops ({run.issued:,} requests "
        f"started, {rate:,.0f} a second, {run.elapsed:.1f} s until the last answer). Errors are "
        "answers other than 2xx/304 and the intended 429 and 503, transport errors and client "
        "timeouts. Client times run until the whole body arrived, over successful answers (the "
        "slowest over all); server times are the server's own for the same queries (its access "
        "log, from the request reaching the app to the last byte handed on).",
        "",
        "| phase: kind | clients (loops each) | requests | outcomes | errors | median ms "
        "| p99 ms | slowest ms | server median ms | server p99 ms | MB received |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        row(f"alone: {CHEAP}", run.alone, (1,), run.seen_alone),
    ]
    for name, tally in run.load.items():
        lines.append(row(f"together: {name}", tally, run.loops[name], _only(name, run.seen_load)))
    lines += ["", *sent, "", "### Machine and settings", "", "|  |  |", "|---|---|"]
    pressure = {
        "CPU pressure, alone (share of the time some task waited for a CPU)": run.seen_alone,
        "CPU pressure, together": run.seen_load,
    }
    lines += [f"| {k} | {v} |" for k, v in settings.items()]
    lines += [f"| {k} | {_percent(seen.pressure)} |" for k, seen in pressure.items()]
    lines += [f"| note | {n} |" for n in run.notes]
    return "\n".join([*lines, end]) + "\n"


def _only(name: str, seen: Seen) -> Seen | None:
    # The server's log tells queries apart by status only: under load every 200 from /sparql
    # is a cheap query's, since the expensive ones end at the time limit.
    return seen if name == CHEAP else None
