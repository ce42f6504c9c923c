"""Served mode: libassoc alone at one large size (``--served 10m``), from cold start to restart.

The scale mode runs every query on three servers at each size; at 10M triples that would take
far too long on this machine. This mode generates the data (``Sizes().scaled(100.0)`` for 10M)
beside the shipped data and measures libassoc alone with the scale mode's pieces: its cold
start until ``/sparql`` answers, the first N-Quads dump, a handful of competency queries, the
one-entity writes of ``writes.py``, a restart on the same store, and the peak RSS of the
process tree in each of these parts. It writes its own section of ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import resource
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from benchkit import datasets, machine, synthetic
from benchkit.main import LOGS, log, queries
from benchkit.measure import measure
from benchkit.rss import PROC, PeakSampler, Ticker, started_at, tree
from benchkit.scale import (
    LIBASSOC_DUMP,
    NQUADS,
    TOKEN_VARIABLE,
    UNCAPPED_ROWS,
    Life,
    cold_start,
    download,
    libassoc_server,
    or_default,
    parse_sizes,
)
from benchkit.scale_report import first_line
from benchkit.served_report import (
    COLD,
    PHASES,
    RESTART,
    SERVING,
    DumpFetch,
    Generation,
    ServedInfo,
    ServedQuery,
    ServedRun,
    render_section,
    section_name,
    splice,
)
from benchkit.servers import ServerFailedError
from benchkit.stamp import Stamp, write_section
from benchkit.stamp import workdir as stamp_workdir
from benchkit.workload import Budget, RequestFailure
from benchkit.writes import KINDS, WriteSeries, requests, run_writes
from libassoc.catalog import NamedQuery
from libassoc.settings import Paths

SERVED_LOGS = LOGS / "served"
# The competency queries measured: cq-01 to cq-08, cq-10 and cq-11.
QUERIES = r"^cq-(0[1-8]|1[01])-"
# libassoc's dump writer, as it appears in its command line.
DUMP_WRITER = b"libassoc.publication"


@dataclass(frozen=True)
class Options:
    label: str
    factor: float
    budget: Budget  # per query, at concurrency 1
    startup_timeout: float
    write_count: int
    write_budget: float
    dump_patience: float  # how long to keep asking for the first dump
    serve_args: tuple[str, ...]
    output: Path
    workdir: Path | None
    queries: str

    @property
    def timeout(self) -> float:
        return self.budget.timeout


def options(args: argparse.Namespace) -> Options:
    sizes = parse_sizes(args.served)
    if len(sizes) != 1:
        raise ValueError(f"one size, not {len(sizes)}")
    label, factor = sizes[0]
    timeout = or_default(args.timeout, 120.0)
    return Options(
        label=label,
        factor=factor,
        budget=Budget(
            or_default(args.phase_requests, 20), or_default(args.phase_seconds, 5.0), timeout
        ),
        startup_timeout=or_default(args.startup_timeout, 2400.0),
        write_count=or_default(args.write_count, 20),
        write_budget=or_default(args.write_budget, 600.0),
        dump_patience=args.dump_patience,
        serve_args=tuple(args.serve_arg),
        output=args.output,
        workdir=args.workdir,
        queries=or_default(args.queries, QUERIES),
    )


# --- the data, written and counted in a process of its own ----------------------------------


def _generate(folder: Path, factor: float) -> tuple[Generation, datasets.Counts]:
    """Write the synthetic N-Triples and count everything served (in a child process).

    The generator holds every triple of a graph in memory until it writes the graph; in a
    process of its own, that memory goes back to the machine before the server starts.
    """
    started = time.monotonic()
    synthetic.write(folder, synthetic.Sizes().scaled(factor))
    seconds = time.monotonic() - started
    files = sorted(folder.glob("*.nt"))
    started = time.monotonic()
    counts = datasets.count((*Paths().sources(), folder))
    counted = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    size = sum(f.stat().st_size for f in files)
    return Generation(seconds, counted, len(files), size, peak), counts


def generate(folder: Path, factor: float) -> tuple[Generation, datasets.Counts]:
    context = multiprocessing.get_context("fork")  # the harness has no other thread yet
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_generate, folder, factor).result()


def folder_size(folder: Path) -> int | None:
    if not folder.exists():
        return None
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


# --- watching the server --------------------------------------------------------------------


class LogFollower(Ticker):
    """Reads the lines a server appends to its log, each with the seconds since ``__enter__``.

    The lines are echoed to the harness's own output: a cold start of a quarter of an hour
    should not look like a hang.
    """

    def __init__(self, path: Path, interval: float = 0.5) -> None:
        super().__init__(interval)
        self.path = path
        self.lines: list[tuple[float, str]] = []
        self._offset = path.stat().st_size if path.exists() else 0
        self._pending = b""
        self._started = 0.0

    def read(self) -> None:
        try:
            with self.path.open("rb") as log_file:
                if log_file.seek(0, os.SEEK_END) < self._offset:  # written anew since
                    self._offset, self._pending = 0, b""
                log_file.seek(self._offset)
                data = log_file.read()
        except OSError:
            return
        if len(data) == 0:
            return
        self._offset += len(data)
        *complete, self._pending = (self._pending + data).split(b"\n")
        now = time.monotonic() - self._started
        for raw in complete:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append((now, line))
            log(f"  libassoc| {line}")

    tick = read

    def __enter__(self) -> Self:
        self._started = time.monotonic()
        return super().__enter__()


class Watch(Ticker):
    """Every 0.5 s: which dump writers run under the server, and the machine's MemAvailable."""

    def __init__(self, root: Callable[[], int | None], interval: float = 0.5) -> None:
        super().__init__(interval)
        self.root = root
        self.writers: dict[tuple[int, int], tuple[float, float]] = {}  # monotonic first, last
        self.lowest_available: int | None = None

    def sample(self) -> None:
        available = machine.meminfo("MemAvailable")
        if available is not None:
            low = self.lowest_available
            self.lowest_available = available if low is None else min(low, available)
        pid = self.root()
        if pid is None:
            return
        now = time.monotonic()
        for child in tree(pid)[1:]:
            try:
                command = (PROC / str(child) / "cmdline").read_bytes()
            except OSError:
                continue
            if DUMP_WRITER not in command:
                continue
            key = (child, started_at(child) or 0)
            first, _ = self.writers.get(key, (now, now))
            self.writers[key] = (first, now)

    def runs(self, since: float) -> tuple[tuple[float, float], ...]:
        """Each writer's (first seen, last seen), in seconds after ``since``, in order."""
        return tuple(sorted((a - since, b - since) for a, b in self.writers.values()))

    tick = sample


# --- the steps ------------------------------------------------------------------------------


def libassoc_life(sources: Sequence[Path], folder: Path, opts: Options, token: str) -> Life:
    log = SERVED_LOGS / f"libassoc-{opts.label}.log"
    limits = (opts.timeout, opts.serve_args, opts.startup_timeout)
    # Each poll starts a client: every 0.1 s for a quarter of an hour takes CPU from the server
    # on two cores. The restart, a few seconds, is polled every 0.1 s again.
    return libassoc_server(sources, folder, log, limits, token, poll_interval=0.5)


def fetch_dump(life: Life, opts: Options, ready: float, watch: Watch) -> DumpFetch:
    """Ask for ``/dumps/libassoc.nq`` until it answers 200, waiting after each 503 as told."""
    asked = time.monotonic() - ready
    timeout = max(opts.timeout, 600.0)  # one request: the server's own wait, or the whole body
    try:
        got = asyncio.run(
            download(
                life.base + LIBASSOC_DUMP,
                NQUADS,
                timeout,
                retries=1_000_000,
                patience=opts.dump_patience,
            )
        )
    except (TimeoutError, OSError, RequestFailure) as error:
        return DumpFetch(failure=f"request failed: {error!r}", writers=watch.runs(ready))
    if got.status != 200:
        return DumpFetch(got.status, waits=got.waits, writers=watch.runs(ready))
    return DumpFetch(
        status=got.status,
        answered=asked + got.answered,
        download=got.seconds - got.answered,
        size=got.size,
        lines=got.lines,
        waits=got.waits,
        writers=watch.runs(ready),
    )


async def bench_queries(
    life: Life, selected: list[tuple[str, NamedQuery]], budget: Budget
) -> list[ServedQuery]:
    found = []
    for _, query in selected:
        (measurement,) = await measure([life.server], query.text, query.kind, [(1, budget)])
        found.append(ServedQuery(query.name, query.kind, measurement))
        phase = measurement.at(1)
        median = phase.median if phase is not None else None
        timing = f" ({median * 1000:.1f} ms median)" if median is not None else ""
        log(f"  {query.name}: {measurement.answer or measurement.failure}{timing}")
    return found


def write_all(life: Life, opts: Options, token: str) -> dict[str, WriteSeries]:
    headers = {"Authorization": f"Bearer {token}"}
    found = {}
    for kind in KINDS:
        writes = requests(kind, f"{life.base}/store", f"{life.base}/update", opts.write_count)
        series = asyncio.run(run_writes(writes, headers, opts.write_budget, opts.timeout))
        found[kind] = series
        median = f", median {series.median * 1000:.1f} ms" if series.median is not None else ""
        failed = f"; first failure: {series.failures[0][:200]}" if series.failures else ""
        log(f"  {kind}: {len(series.durations)} of {series.attempted} accepted{median}{failed}")
    return found


def restart_once(life: Life) -> tuple[float | None, str, tuple[tuple[float, str], ...]]:
    """Start again on the same store and stop once it answers.

    The seconds until it answered (None if it did not), why not, and its log's lines till then.
    """
    failure = ""
    seconds: float | None = None
    with LogFollower(life.spec.log) as follower:
        try:
            life.server.start()
            life.server.wait_ready()
            seconds = life.server.startup_seconds
        except ServerFailedError as error:
            failure = str(error)
        follower.read()
        lines = tuple(follower.lines)
        life.server.stop()
    return seconds, failure, lines


@dataclass
class Phase:
    """Which part of the server's life its RSS samples count for now."""

    name: str = COLD


def serve_and_restart(
    run: ServedRun,
    life: Life,
    opts: Options,
    token: str,
    selected: list[tuple[str, NamedQuery]],
    watch: Watch,
    phase: Phase,
) -> ServedRun:
    """From the moment the server answered: the dump, queries, writes, then a restart."""
    ready = time.monotonic()
    phase.name = SERVING
    run = replace(run, cold_start=life.run.cold_start)
    log(f"{run.label}: answered after {life.run.cold_start:.1f} s; asking for the dump")
    dump = fetch_dump(life, opts, ready, watch)
    answered = f" after {dump.answered:.1f} s, {dump.lines:,} quads" if dump.answered else ""
    log(f"{run.label}: dump {dump.status or dump.failure}{answered}")
    log(f"{run.label}: {len(selected)} queries")
    found = asyncio.run(bench_queries(life, selected, opts.budget))
    log(f"{run.label}: writes")
    run = replace(run, queries=tuple(found), writes=write_all(life, opts, token))
    if life.server.restarts:
        note = (
            f"restarted {life.server.restarts}x by the harness: a query timed out and the "
            "server no longer answered"
        )
        run = replace(run, notes=(*run.notes, note))
    life.server.stop()
    # The writers seen until now: the first dump's, and any that followed the writes.
    run = replace(run, dump=replace(dump, writers=watch.runs(ready)))
    phase.name = RESTART
    log(f"{run.label}: restart on the same store")
    life.spec = replace(life.spec, poll_interval=0.1)
    life.server.spec = life.spec
    seconds, failure, lines = restart_once(life)
    run = replace(run, restart=seconds, restart_log=lines)
    if failure:
        run = replace(run, notes=(*run.notes, f"the restart failed: {first_line(failure)}"))
        log(f"{run.label}: the restart failed: {failure}")
    else:
        log(f"{run.label}: answered again after {seconds:.2f} s")
    return run


def serve_size(opts: Options, folder: Path, selected: list[tuple[str, NamedQuery]]) -> ServedRun:
    started = time.monotonic()
    run = ServedRun(
        opts.label,
        opts.factor,
        memory_total=machine.total_memory(),
        memory_available=machine.meminfo("MemAvailable"),
    )
    log(f"{opts.label}: generating the data (synthetic scale {opts.factor:g}) in {folder}")
    generated = folder / "synthetic"
    try:
        made, counts = generate(generated, opts.factor)
    except Exception as error:  # the child killed (out of memory, say) or any other failure
        failure = f"generating the data failed: {error!r}"
        return replace(run, failure=failure, seconds=time.monotonic() - started)
    run = replace(run, generation=made, counts=counts)
    log(
        f"{opts.label}: {counts.quads:,} quads, {counts.triples:,} distinct triples "
        f"(written in {made.seconds:.0f} s, counted in {made.count_seconds:.0f} s)"
    )
    token = secrets.token_urlsafe(24)
    life = libassoc_life((*Paths().sources(), generated), folder, opts, token)
    phase = Phase()

    def in_phase(name: str) -> Callable[[], int | None]:
        return lambda: life.server.pid if phase.name == name else None

    with ExitStack() as stack:
        sampler = stack.enter_context(PeakSampler(0.1))
        for name in PHASES:
            sampler.watch(name, in_phase(name))
        stack.callback(life.server.stop)
        watch = stack.enter_context(Watch(lambda: life.server.pid))
        log(f"{opts.label}: cold start of libassoc (its log: {life.spec.log})")
        life.spec.log.parent.mkdir(parents=True, exist_ok=True)
        life.spec.log.write_bytes(b"")  # the server writes it anew: follow it from the start
        with LogFollower(life.spec.log) as follower:
            ok = cold_start(life)
        run = replace(run, cold_log=tuple(follower.lines))
        if ok:
            run = serve_and_restart(run, life, opts, token, selected, watch, phase)
        else:
            run = replace(run, failure=life.run.failure)
            log(f"{opts.label}: libassoc failed: {life.run.failure}")
        phase.name = ""
        stack.close()  # stops the server, the watch and the sampler
        peaks = {name: value for name in PHASES if (value := sampler.peak(name)) is not None}
        run = replace(run, peaks=peaks, memory_available_low=watch.lowest_available)
    run = replace(run, store_size=folder_size(folder / "libassoc-store"))
    return replace(run, seconds=time.monotonic() - started)


# --- the whole run --------------------------------------------------------------------------


def settings(opts: Options) -> dict[str, str]:
    serve = "libassoc serve --store DIR --data ontology --data data --data SYNTHETIC"
    if "--query-timeout" not in opts.serve_args:
        serve += f" --query-timeout {opts.timeout:g}"
    if "--max-rows" not in opts.serve_args:
        serve += f" --max-rows {UNCAPPED_ROWS}"
    serve += " --allow-updates " + " ".join(opts.serve_args)
    b = opts.budget
    return {
        "size": f"{opts.label}: `Sizes().scaled({opts.factor:g})` beside the shipped data",
        "libassoc": f"`{serve.strip()}`, token in `{TOKEN_VARIABLE}`",
        "start-up cap": f"{opts.startup_timeout:g} s",
        "queries": f"`{opts.queries}`, concurrency 1, up to {b.max_requests} requests or "
        f"{b.seconds:g} s each, whichever first; {b.timeout:g} s cap per request",
        "writes": f"{opts.write_count} of each kind, one after another, or {opts.write_budget:g} s",
        "first dump": f"asked for as soon as `/sparql` answers, again after each 503 as its "
        f"Retry-After says, for up to {opts.dump_patience:g} s",
        "RSS": "summed over the server's process tree, sampled every 0.1 s",
    }


def main(args: argparse.Namespace) -> int:
    try:
        opts = options(args)
    except ValueError as error:
        print(f"error: --served: {error}", file=sys.stderr)
        return 2
    selected = queries(opts.queries)
    stamp = Stamp.begin(Paths().root)
    info = ServedInfo(
        date=stamp.date,
        machine=stamp.facts,
        settings=settings(opts),
        command=f"bench/run.py --served {opts.label.lower()}",
    )
    with ExitStack() as stack:
        workdir = stamp_workdir(stack, opts.workdir, "libassoc-served-")
        run = serve_size(opts, workdir / opts.label, selected)
    note = stamp.note()
    if note:
        log(note)
        run = replace(run, notes=(*run.notes, note))
    section = render_section(run, info)
    write_section(opts.output, section, lambda existing, new: splice(existing, run, new))
    name = section_name(run.label)
    log(f"wrote the {name} section of {opts.output} in {run.seconds or 0:.0f} s")
    return 0 if not run.failure else 1
