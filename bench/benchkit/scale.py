"""Scale mode: libassoc, Oxigraph server and rdflib-endpoint over the same data at each size.

For each size (``--scale-sizes 100k,1m``), synthetic data is generated beside the shipped data
and the three servers are measured over it: cold start, each query at concurrency 1 and 8,
one-entity writes, an export, a restart, and the peak RSS of each server's process tree over
its whole life. The section it writes into ``RESULTS.md`` gives every cost as a ratio to
Oxigraph's; ``bench/README.md`` describes the method.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from benchkit import datasets, machine, synthetic
from benchkit.main import (
    BENCH,
    LEVELS,
    LOGS,
    OXIGRAPH_BIN,
    log,
    oxigraph_loader,
    oxigraph_serve_argv,
    queries,
)
from benchkit.measure import Variant, measure
from benchkit.outcome import Measurement
from benchkit.rss import PeakSampler
from benchkit.scale_outcome import (
    BASELINE,
    EVALUATED,
    FRESH,
    LIBASSOC,
    OXIGRAPH,
    ScaleInfo,
    ScaleQuery,
    ServerRun,
    SizeRun,
)
from benchkit.scale_report import plot, render_section, splice
from benchkit.servers import (
    LIBASSOC_UNSHARED,
    LOOPBACK,
    Server,
    ServerFailedError,
    ServerSpec,
    free_port,
)
from benchkit.workload import Budget, RequestFailure, client
from benchkit.writes import KINDS, WriteSeries, requests, run_writes
from libassoc.catalog import NamedQuery
from libassoc.settings import Paths

SCALE_LOGS = LOGS / "scale"
TOKEN_VARIABLE = "LIBASSOC_WRITE_TOKEN"  # noqa: S105 (a name, not a secret)
SYNTHETIC_UNIT = 100_000  # Sizes().scaled(1.0) gives about this many synthetic triples
SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000}
# libassoc writes its dumps under /dumps/ with this name (src/libassoc/dumps.py, DUMP_STEM).
LIBASSOC_DUMP = "/dumps/libassoc.nq"
NQUADS = "application/n-quads"
# A query every server answers at once when its data is in: the readiness probe.
PROBE = "?query=ASK%20%7B%20%7D"


def parse_sizes(text: str) -> list[tuple[str, float]]:
    """``"100k,1m"`` as (label, synthetic scale factor): 100k is ``Sizes().scaled(1.0)``."""
    found = []
    for item in (part.strip().lower() for part in text.split(",")):
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", item)
        if not match:
            raise ValueError(f"not a size: {item!r} (e.g. 10k, 100k, 1m)")
        triples = float(match.group(1)) * SUFFIXES[match.group(2)]
        if triples < 1_000:
            raise ValueError(f"{item!r}: the smallest size is 1k")
        found.append((item.replace("m", "M"), triples / SYNTHETIC_UNIT))
    return found


@dataclass(frozen=True)
class Options:
    """Everything the scale mode needs from the command line."""

    sizes: tuple[tuple[str, float], ...]
    c1: Budget
    c8: Budget
    startup_timeout: float
    write_count: int
    write_budget: float
    baseline_max_triples: int
    serve_args: tuple[str, ...]
    output: Path
    plot: Path | None
    workdir: Path | None
    queries: str | None
    oxigraph_default_graph: str = "merge"

    @property
    def timeout(self) -> float:
        return self.c1.timeout


T = TypeVar("T")


def or_default(value: T | None, default: T) -> T:
    """An option's value, or the mode's own default when it was not given."""
    return default if value is None else value


def options(args: argparse.Namespace) -> Options:
    timeout = or_default(args.timeout, 60.0)
    requests_, seconds = or_default(args.phase_requests, 100), or_default(args.phase_seconds, 1.0)
    return Options(
        sizes=tuple(parse_sizes(args.scale_sizes)),
        c1=Budget(requests_, seconds, timeout),
        c8=Budget(2 * requests_, seconds, timeout),
        startup_timeout=or_default(args.startup_timeout, 900.0),
        write_count=or_default(args.write_count, 30),
        write_budget=or_default(args.write_budget, 120.0),
        baseline_max_triples=args.baseline_max_triples,
        serve_args=tuple(args.serve_arg),
        output=args.output,
        plot=None if args.no_plot else (args.plot or args.output.with_name("scale.png")),
        workdir=args.workdir,
        queries=args.queries,
        oxigraph_default_graph=args.oxigraph_default_graph,
    )


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleData:
    label: str
    sources: tuple[Path, ...]
    nquads: Path  # the named graphs: what rdflib-endpoint and Oxigraph load
    merged: Path  # their merge, N-Triples: Oxigraph's default graph, as libassoc keeps one
    counts: datasets.Counts


def prepare(label: str, factor: float, folder: Path) -> ScaleData:
    """The synthetic files (one N-Triples file per graph) and N-Quads of everything served."""
    generated = folder / "synthetic"
    synthetic.write(generated, synthetic.Sizes().scaled(factor))
    sources = (*Paths().sources(), generated)
    nquads, merged = folder / "all.nq", folder / "merged.nt"
    return ScaleData(label, sources, nquads, merged, datasets.write_nquads(sources, nquads, merged))


# --- one server's life ----------------------------------------------------------------------


@dataclass
class Life:
    """One server at one size: how to start it, and what has been measured so far."""

    name: str
    spec: ServerSpec
    base: str  # http://127.0.0.1:PORT
    loader: tuple[str, ...] = ()  # a command run once before the first start (oxigraph load)
    loader_log: Path | None = None
    loader_process: subprocess.Popen[bytes] | None = None
    server: Server = field(init=False)
    run: ServerRun = field(init=False)

    def __post_init__(self) -> None:
        self.server = Server(self.spec)
        self.run = ServerRun(self.name)

    def note(self, **changes: Any) -> None:
        self.run = replace(self.run, **changes)

    def root_pid(self) -> int | None:
        """The process whose tree is this server now: the loader while it runs, then the server."""
        loader = self.loader_process
        if loader is not None and loader.poll() is None:
            return loader.pid
        return self.server.pid


# Far above any answer of the benchmark at 10M triples: the servers are compared uncapped.
UNCAPPED_ROWS = 100_000_000


def libassoc_argv(
    port: int, store: Path, sources: Sequence[Path], timeout: float, serve_args: Sequence[str]
) -> tuple[str, ...]:
    """``libassoc serve`` over ``sources`` with writes allowed, its limits at the client's."""
    argv = [sys.executable, "-m", "libassoc", "serve", "--host", LOOPBACK, "--port", str(port)]
    argv += ["--store", str(store)]
    for source in sources:
        argv += ["--data", str(source)]
    if "--query-timeout" not in serve_args:
        # libassoc's own limit (30 s by default) would answer 503 before the client's cap that
        # every other server gets; at the cap both give up together.
        argv += ["--query-timeout", f"{timeout:g}"]
    if "--max-rows" not in serve_args:
        # Oxigraph server has no row cap; at 1M one competency query has 120,009 rows.
        argv += ["--max-rows", str(UNCAPPED_ROWS)]
    return (*argv, "--allow-updates", *LIBASSOC_UNSHARED, *serve_args)


def libassoc_server(
    sources: Sequence[Path],
    folder: Path,
    log: Path,
    limits: tuple[float, Sequence[str], float],
    token: str,
    poll_interval: float = 0.1,
) -> Life:
    """libassoc over ``sources``, its store in ``folder``, its output in ``log``.

    ``limits``: the client's cap per request, extra ``serve`` options, the start-up timeout.
    """
    timeout, serve_args, startup_timeout = limits
    port = free_port()
    argv = libassoc_argv(port, folder / "libassoc-store", sources, timeout, serve_args)
    base = f"http://{LOOPBACK}:{port}"
    spec = ServerSpec(
        LIBASSOC,
        argv,
        f"{base}/sparql",
        log,
        startup_timeout,
        env={TOKEN_VARIABLE: token},
        probe=f"{base}/sparql{PROBE}",
        poll_interval=poll_interval,
    )
    return Life(LIBASSOC, spec, base)


def libassoc_life(data: ScaleData, folder: Path, opts: Options, token: str) -> Life:
    log = SCALE_LOGS / f"libassoc-{data.label}.log"
    limits = (opts.timeout, opts.serve_args, opts.startup_timeout)
    return libassoc_server(data.sources, folder, log, limits, token)


def oxigraph_life(data: ScaleData, folder: Path, opts: Options) -> Life:
    port = free_port()
    location = folder / "oxigraph-store"
    base = f"http://{LOOPBACK}:{port}"
    union = opts.oxigraph_default_graph == "union"
    spec = ServerSpec(
        OXIGRAPH,
        oxigraph_serve_argv(location, port, union),
        f"{base}/query",
        SCALE_LOGS / f"oxigraph-{data.label}.log",
        opts.startup_timeout,
        probe=f"{base}/query{PROBE}",
        poll_interval=0.1,
    )
    loader = oxigraph_loader((data.nquads,) if union else (data.nquads, data.merged), location)
    loader_log = SCALE_LOGS / f"oxigraph-load-{data.label}.log"
    return Life(OXIGRAPH, spec, base, loader=loader, loader_log=loader_log)


def baseline_life(data: ScaleData, opts: Options) -> Life:
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    argv = (sys.executable, str(BENCH / "baseline.py"), "--data", str(data.nquads))
    spec = ServerSpec(
        BASELINE,
        (*argv, "--port", str(port)),
        f"{base}/sparql",
        SCALE_LOGS / f"baseline-{data.label}.log",
        opts.startup_timeout,
        probe=f"{base}/sparql{PROBE}",
        poll_interval=0.1,
    )
    return Life(BASELINE, spec, base)


def cold_start(life: Life) -> bool:
    """Run the loader if there is one, then start the server; time both until it answers."""
    parts: list[tuple[str, float]] = []
    if life.loader:
        log_path = life.loader_log or SCALE_LOGS / f"{life.name}-load.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with log_path.open("wb") as out:
            life.loader_process = subprocess.Popen(
                life.loader, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
            code = life.loader_process.wait()
        parts.append(("load", time.monotonic() - started))
        if code != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            life.note(failure=f"{' '.join(life.loader[:2])} exited with {code}\n{tail}")
            return False
    try:
        life.server.start()
        life.server.wait_ready()
    except ServerFailedError as error:
        life.note(failure=str(error), cold_parts=tuple(parts))
        return False
    parts.append(("serve", life.server.startup_seconds))
    life.note(cold_start=sum(p[1] for p in parts), cold_parts=tuple(parts))
    return True


def restart(life: Life) -> None:
    """Start again on the same store, alone, and time it until it answers; then stop."""
    try:
        life.server.start()
        life.server.wait_ready()
        life.note(restart=life.server.startup_seconds)
    except ServerFailedError as error:
        life.note(notes=(*life.run.notes, f"restart failed: {error}".splitlines()[0]))
    finally:
        life.server.stop()


# --- measuring ------------------------------------------------------------------------------


async def bench_queries(
    running: Sequence[Life], selected: list[tuple[str, NamedQuery]], opts: Options
) -> list[ScaleQuery]:
    """Every query on every running server, taking turns as in the seed-size run."""
    servers: list[Server | Variant] = []
    for life in running:
        servers.append(life.server)
        if life.name == LIBASSOC:
            servers.append(Variant(EVALUATED, life.server, FRESH))
    steps = list(zip(LEVELS, (opts.c1, opts.c8), strict=True))
    found = []
    for group, query in selected:
        measurements: list[Measurement] = await measure(servers, query.text, query.kind, steps)
        note = query.headers.get("difference", "")
        found.append(ScaleQuery(query.name, query.kind, group, tuple(measurements), note))
        summary = ", ".join(f"{m.server} {m.answer or m.failure} {_ms(m)}" for m in measurements)
        log(f"  {query.name}: {summary}")
    return found


def _ms(measurement: Measurement) -> str:
    phase = measurement.at(1)
    median = phase.median if phase is not None else None
    return "" if median is None else f"({median * 1000:.1f} ms)"


def write_series(life: Life, opts: Options, token: str) -> dict[str, WriteSeries]:
    headers = {"Authorization": f"Bearer {token}"} if life.name == LIBASSOC else {}
    found = {}
    for kind in KINDS:
        writes = requests(kind, f"{life.base}/store", f"{life.base}/update", opts.write_count)
        series = asyncio.run(run_writes(writes, headers, opts.write_budget, opts.timeout))
        found[kind] = series
        median = series.median
        log(
            f"  {life.name} {kind}: {len(series.durations)} of {series.attempted} accepted"
            + (f", median {median * 1000:.1f} ms" if median is not None else "")
            + (f"; first failure: {series.failures[0][:200]}" if series.failures else "")
        )
    return found


@dataclass(frozen=True)
class Download:
    seconds: float  # from the first request until the whole body of a 200 arrived
    status: int  # the last answer's
    lines: int
    waits: int  # 503 answers (dumps not written yet) before it
    answered: float = 0.0  # from the first request until the last answer's headers arrived
    size: int = 0  # bytes in the last answer's body


async def download(
    url: str, accept: str, timeout: float, retries: int = 5, patience: float = math.inf
) -> Download:
    """Fetch ``url`` whole, counting its lines; after a 503, wait as told and ask again.

    At most ``retries`` times, and not once ``patience`` seconds have passed since the first
    request.
    """
    started = time.perf_counter()
    waits = 0
    async with client(1, timeout) as http:
        while True:
            lines = size = 0
            async with http.get(url, headers={"Accept": accept}) as response:
                answered = time.perf_counter() - started
                async for chunk in response.content.iter_chunked(1 << 20):
                    lines += chunk.count(b"\n")
                    size += len(chunk)
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
            elapsed = time.perf_counter() - started
            if status != 503 or waits >= retries or elapsed >= patience:
                return Download(elapsed, status, lines, waits, answered, size)
            waits += 1
            pause = float(retry_after) if retry_after.isdigit() else 5.0
            await asyncio.sleep(min(pause, 60.0))


def export_http(life: Life, opts: Options) -> None:
    if life.name == LIBASSOC:
        url, how = life.base + LIBASSOC_DUMP, f"GET {LIBASSOC_DUMP}"
    elif life.name == OXIGRAPH:
        url, how = life.base + "/store", "GET /store, Accept: application/n-quads"
    else:
        life.note(export_how="not offered")
        return
    try:
        got = asyncio.run(download(url, NQUADS, opts.timeout))
    except (TimeoutError, OSError, RequestFailure) as error:
        life.note(export_how=f"failed: {error!r}")
        return
    if got.waits:
        how += f", after {got.waits} answer(s) 503 (dumps not written yet)"
    if got.status != 200:
        life.note(export_how=f"HTTP {got.status} ({how})")
        return
    life.note(export=got.seconds, export_lines=got.lines, export_how=how)
    log(f"  {life.name} export ({how}): {got.seconds:.2f} s, {got.lines:,} quads")


def export_offline(life: Life, folder: Path) -> None:
    """``oxigraph dump`` of the stopped server's store (libassoc has no such command)."""
    if life.name != OXIGRAPH:
        return
    location = life.loader[life.loader.index("--location") + 1]
    target = folder / "oxigraph-dump.nq"
    argv = [str(OXIGRAPH_BIN), "dump", "--location", location, "--file", str(target)]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode == 0:
        life.note(export_offline=seconds)
        log(f"  oxigraph dump: {seconds:.2f} s")
    else:
        tail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        life.note(notes=(*life.run.notes, f"oxigraph dump failed: {tail}"))
    target.unlink(missing_ok=True)


def bench_size(
    label: str, factor: float, folder: Path, opts: Options, selected: list[tuple[str, NamedQuery]]
) -> SizeRun:
    log(f"{label}: generating the data (synthetic scale {factor:g})")
    data = prepare(label, factor, folder)
    counts = data.counts
    base = SizeRun(label, counts.quads, counts.triples, counts.graphs)
    log(f"{label}: {counts.quads:,} quads, {counts.triples:,} distinct triples")
    token = secrets.token_urlsafe(24)
    lives = [oxigraph_life(data, folder, opts), libassoc_life(data, folder, opts, token)]
    baseline = baseline_life(data, opts)
    if counts.triples <= opts.baseline_max_triples:
        lives.append(baseline)
    else:
        baseline.note(
            skipped=f"above {opts.baseline_max_triples:,} distinct triples "
            "(--baseline-max-triples), the rule of this mode: its load time and its slowest "
            "queries grow with the data (see its numbers at smaller sizes), and at 1M it "
            f"needs minutes to load and some queries run past the {opts.timeout:g} s cap"
        )
    with ExitStack() as stack:
        sampler = stack.enter_context(PeakSampler(0.1))
        for life in lives:
            sampler.watch(life.name, life.root_pid)
            stack.callback(life.server.stop)
        # Cold starts one at a time, so that none competes with another for the two cores.
        for life in lives:
            log(f"{label}: cold start of {life.name}")
            if cold_start(life):
                log(f"{label}: {life.name} answered after {life.run.cold_start:.1f} s")
            else:
                log(f"{label}: {life.name} failed: {first(life.run.failure)}")
        running = [life for life in lives if life.run.cold_start is not None]
        log(f"{label}: {len(selected)} queries on {', '.join(lf.name for lf in running)}")
        found = asyncio.run(bench_queries(running, selected, opts)) if running else []
        for life in running:
            if life.name == BASELINE:
                skipped = WriteSeries(skipped="not measured: served read-only")
                life.note(writes={kind: skipped for kind in KINDS})
                continue
            life.note(writes=write_series(life, opts, token))
        for life in running:
            export_http(life, opts)
        for life in lives:
            life.note(restarts_after_timeout=life.server.restarts)
            life.server.stop()
        for life in running:
            export_offline(life, folder)
        for life in running:
            log(f"{label}: restart of {life.name}")
            restart(life)
            log(f"{label}: {life.name} restart {life.run.restart}")
        stack.close()  # stops the sampler after a last sample
        for life in lives:
            life.note(peak_rss=sampler.peak(life.name))
    ordered = {life.name: life.run for life in lives}
    ordered.setdefault(BASELINE, baseline.run)
    servers = tuple(ordered[name] for name in (LIBASSOC, OXIGRAPH, BASELINE))
    return replace(base, servers=servers, queries=tuple(found))


def first(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --- the whole run --------------------------------------------------------------------------


def settings(opts: Options) -> dict[str, str]:
    def budget(b: Budget) -> str:
        return f"up to {b.max_requests} requests or {b.seconds:g} s, whichever comes first"

    serve = "libassoc serve --store DIR --data ontology --data data --data SYNTHETIC"
    if "--query-timeout" not in opts.serve_args:
        serve += f" --query-timeout {opts.timeout:g}"
    if "--max-rows" not in opts.serve_args:
        serve += f" --max-rows {UNCAPPED_ROWS}"
    return {
        "sizes": ", ".join(f"{label} (synthetic scale {f:g})" for label, f in opts.sizes),
        "queries, concurrency 1": budget(opts.c1),
        "queries, concurrency 8": budget(opts.c8),
        "client cap per request": f"{opts.timeout:g} s",
        "writes": f"{opts.write_count} of each kind, or {opts.write_budget:g} s, whichever first",
        "libassoc": f"`{serve} --allow-updates {' '.join(opts.serve_args)}`".replace(" `", "`"),
        "Oxigraph": oxigraph_setting(opts),
        "rdflib-endpoint": f"`bench/baseline.py --data ALL.nq`, up to "
        f"{opts.baseline_max_triples:,} distinct triples",
        "RSS": "summed over the server's process tree, sampled every 0.1 s",
    }


def oxigraph_setting(opts: Options) -> str:
    if opts.oxigraph_default_graph == "union":
        return (
            "`oxigraph load --location DIR --file ALL.nq`, then `oxigraph serve --location DIR "
            "--union-default-graph` (the default graph is the union: duplicates included)"
        )
    return (
        "`oxigraph load --location DIR --file ALL.nq MERGED.nt`, then `oxigraph serve "
        "--location DIR` (the default graph holds the merge, each triple once, as in libassoc)"
    )


def main(args: argparse.Namespace) -> int:
    try:
        opts = options(args)
    except ValueError as error:
        print(f"error: --scale-sizes: {error}", file=sys.stderr)
        return 2
    selected = queries(opts.queries)
    facts = machine.facts(Paths().root)
    facts.update({"oxigraph (server)": machine.version("oxigraph")})
    info_base = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": facts,
        "settings": settings(opts),
    }
    started = time.monotonic()
    runs = []
    with ExitStack() as stack:
        if opts.workdir is not None:
            workdir = opts.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="libassoc-scale-"))
            )
        for label, factor in opts.sizes:
            folder = workdir / label
            runs.append(bench_size(label, factor, folder, opts, selected))
    info = ScaleInfo(timeout=opts.timeout, **info_base)  # type: ignore[arg-type]
    plot_name = None
    if opts.plot is not None:
        plot(runs, opts.plot, opts.timeout)
        plot_name = _relative(opts.plot, opts.output.parent)
        log(f"wrote {opts.plot}")
    section = render_section(runs, info, plot_name)
    existing = opts.output.read_text(encoding="utf-8") if opts.output.exists() else ""
    opts.output.write_text(splice(existing, section), encoding="utf-8")
    log(f"wrote the scale section of {opts.output} in {time.monotonic() - started:.0f} s")
    return 0 if all(not run.failure for run in runs) else 1


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path.resolve())
