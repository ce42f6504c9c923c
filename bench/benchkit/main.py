"""Benchmark libassoc's SPARQL endpoint against rdflib-endpoint 0.6.3 and write RESULTS.md.

Both servers run on 127.0.0.1 over the same data. Every competency query (``queries/*.rq``) and
every heavier query (``bench/queries/*.rq``) is sent to both: once to compare the answers'
sizes, then at concurrency 1 (latency and throughput) and 8 (throughput), each within a request
and a time budget. ``--quick`` runs a smaller budget on the shipped data only.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from benchkit import datasets, machine, sections, synthetic
from benchkit.measure import measure
from benchkit.outcome import DatasetRun, QueryResult
from benchkit.report import BASELINE, RunInfo, render
from benchkit.servers import (
    LIBASSOC_UNSHARED,
    LOOPBACK,
    Server,
    ServerFailedError,
    ServerSpec,
    free_port,
    start_all,
)
from benchkit.workload import Budget
from libassoc.catalog import NamedQuery, QueryCatalog
from libassoc.settings import Paths

BENCH = Path(__file__).resolve().parents[1]
LOGS = Paths().root / "var" / "bench"  # the servers' logs of the last run
OXIGRAPH_BIN = Path(sys.executable).with_name("oxigraph")  # the oxigraph package's command
LEVELS = (1, 8)
# About 10,000 synthetic triples: rdflib-endpoint answers every query within the client's cap,
# and the figures stay comparable from run to run. The scale mode measures 100k and 1M.
SCALE = 0.1


@dataclass(frozen=True)
class Plan:
    """How much to spend: per phase, per request, and which data."""

    c1: Budget
    c8: Budget
    synthetic: synthetic.Sizes | None
    startup_timeout: float


def plan_for(args: argparse.Namespace) -> Plan:
    if args.quick:
        c1, c8 = Budget(20, 0.5, args.timeout), Budget(40, 0.5, args.timeout)
    else:
        c1, c8 = Budget(300, 1.5, args.timeout), Budget(600, 1.5, args.timeout)
    sizes = None if args.quick or args.no_synthetic else synthetic.Sizes().scaled(args.scale)
    return Plan(c1, c8, sizes, args.startup_timeout)


# --- the queries ----------------------------------------------------------------------------


def queries(pattern: str | None) -> list[tuple[str, NamedQuery]]:
    """(group, query) for every competency query, then every heavier query of the bench."""
    found = [("competency", q) for q in QueryCatalog.from_dir(Paths().queries).competency()]
    found += [("heavy", q) for q in QueryCatalog.from_dir(BENCH / "queries")]
    if pattern:
        found = [(g, q) for g, q in found if re.search(pattern, q.name)]
    return found


# --- the servers ----------------------------------------------------------------------------


def libassoc_spec(
    data: datasets.Dataset, workdir: Path, extra: Sequence[str], plan: Plan
) -> ServerSpec:
    port = free_port()
    argv = [sys.executable, "-m", "libassoc", "serve", "--host", LOOPBACK, "--port", str(port)]
    argv += ["--store", str(workdir / f"store-{data.name}")]
    for source in data.sources:
        argv += ["--data", str(source)]
    return ServerSpec(
        "libassoc",
        (*argv, *LIBASSOC_UNSHARED, *extra),
        f"http://{LOOPBACK}:{port}/sparql",
        LOGS / f"libassoc-{data.name}.log",
        plan.startup_timeout,
    )


def oxigraph_loader(files: Sequence[Path], location: Path) -> tuple[str, ...]:
    """``oxigraph load`` of N-Quads (named graphs) and N-Triples (the default graph)."""
    return (str(OXIGRAPH_BIN), "load", "--location", str(location), "--file", *map(str, files))


def oxigraph_serve_argv(location: Path, port: int, union: bool = False) -> tuple[str, ...]:
    """Oxigraph's server; with ``union``, its default graph is the union of the named graphs.

    libassoc keeps the merge of the named graphs as its default graph, each triple once; loaded
    with the same merge in its default graph, Oxigraph answers the same. The union instead
    matches a triple once for every graph that states it, so answers can hold many duplicates.
    """
    bind = f"{LOOPBACK}:{port}"
    argv = (str(OXIGRAPH_BIN), "serve", "--location", str(location), "--bind", bind)
    return (*argv, "--union-default-graph") if union else argv


def oxigraph_spec(data: datasets.Dataset, workdir: Path, plan: Plan) -> ServerSpec:
    """Oxigraph's own server over the same quads and merge (a stand-in and a reference)."""
    location = workdir / f"oxigraph-{data.name}"
    log_path = LOGS / f"oxigraph-load-{data.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        loader = oxigraph_loader((data.nquads, data.merged), location)
        subprocess.run(loader, stdout=out, stderr=subprocess.STDOUT, check=True)
    port = free_port()
    return ServerSpec(
        "oxigraph",
        oxigraph_serve_argv(location, port),
        f"http://{LOOPBACK}:{port}/query",
        LOGS / f"oxigraph-{data.name}.log",
        plan.startup_timeout,
    )


def baseline_spec(data: datasets.Dataset, workdir: Path, plan: Plan) -> ServerSpec:
    port = free_port()
    argv = (sys.executable, str(BENCH / "baseline.py"), "--data", str(data.nquads))
    return ServerSpec(
        BASELINE,
        (*argv, "--port", str(port)),
        f"http://{LOOPBACK}:{port}/sparql",
        LOGS / f"baseline-{data.name}.log",
        plan.startup_timeout,
    )


def candidate_spec(
    args: argparse.Namespace, data: datasets.Dataset, workdir: Path, plan: Plan
) -> ServerSpec:
    if args.candidate == "oxigraph":
        return oxigraph_spec(data, workdir, plan)
    extra = args.serve_arg if data.name == "shipped" else args.serve_arg + args.synthetic_serve_arg
    return libassoc_spec(data, workdir, extra, plan)


# --- running --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def bench_queries(
    servers: Sequence[Server], plan: Plan, selected: list[tuple[str, NamedQuery]]
) -> list[QueryResult]:
    """Each query on the candidate, then on the baseline, before the next query."""
    steps = list(zip(LEVELS, (plan.c1, plan.c8), strict=True))
    results = []
    for group, query in selected:
        candidate, baseline = await measure(servers, query.text, query.kind, steps)
        note = query.headers.get("difference", "")
        result = QueryResult(query.name, query.kind, group, candidate, baseline, note)
        log(f"  {query.name}: {result.candidate.answer or result.candidate.failure}")
        results.append(result)
    return results


def bench_dataset(
    args: argparse.Namespace,
    data: datasets.Dataset,
    workdir: Path,
    plan: Plan,
    selected: list[tuple[str, NamedQuery]],
) -> DatasetRun:
    """Start both servers over ``data``, run every query, stop them."""
    specs = [candidate_spec(args, data, workdir, plan), baseline_spec(data, workdir, plan)]
    base = DatasetRun(data.name, data.description, data.quads, data.triples, data.graphs)
    log(f"{data.name}: {data.triples:,} triples; starting {', '.join(s.name for s in specs)}")
    try:
        servers = start_all(specs)
    except ServerFailedError as error:
        log(f"{data.name}: {error}")
        return replace(base, failure=str(error))
    try:
        startup = {s.spec.name: s.startup_seconds for s in servers}
        log(f"{data.name}: ready ({startup})")
        results = asyncio.run(bench_queries(servers, plan, selected))
        restarts = {s.spec.name: s.restarts for s in servers}
        return replace(base, startup=startup, restarts=restarts, results=tuple(results))
    finally:
        for server in servers:
            server.stop()


def settings(plan: Plan, args: argparse.Namespace) -> dict[str, str]:
    def budget(b: Budget) -> str:
        return f"up to {b.max_requests} requests or {b.seconds:g} s, whichever comes first"

    return {
        "mode": "quick" if args.quick else "full",
        "synthetic scale": "none" if plan.synthetic is None else f"{args.scale:g}",
        "concurrency 1": budget(plan.c1),
        "concurrency 8": budget(plan.c8),
        "client timeout per request": f"{args.timeout:g} s",
        "requests": "HTTP GET /sparql?query=..., JSON results or N-Triples (aiohttp, keep-alive)",
        "candidate command": "libassoc serve"
        if args.candidate == "libassoc"
        else "oxigraph serve (stand-in)",
        "candidate options": " ".join(args.serve_arg) or "none",
        "synthetic-data options": " ".join(args.serve_arg + args.synthetic_serve_arg) or "none",
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budgets, shipped data only")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic dataset")
    parser.add_argument(
        "--scale", type=float, default=SCALE, help="synthetic size, 1.0 being ~100k triples"
    )
    parser.add_argument(
        "--timeout", type=float, help="cap per request (s; default 20, 60 in scale mode)"
    )
    parser.add_argument(
        "--startup-timeout", type=float, help="cap per start (s; default 420, 900 in scale mode)"
    )
    parser.add_argument("--queries", metavar="REGEX", help="only queries whose name matches")
    parser.add_argument(
        "--candidate",
        choices=["libassoc", "oxigraph"],
        default="libassoc",
        help="the server measured against the baseline (oxigraph: a stand-in for development)",
    )
    parser.add_argument(
        "--serve-arg", action="append", default=[], metavar="ARG", help="a libassoc serve option"
    )
    parser.add_argument(
        "--synthetic-serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra libassoc serve option for the synthetic dataset only",
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=BENCH / "RESULTS.md", help="the report to write"
    )
    scale = parser.add_argument_group(
        "scale mode",
        "libassoc, Oxigraph server and rdflib-endpoint over generated data of each size; "
        "writes only its own section of the report (see bench/README.md)",
    )
    scale.add_argument(
        "--scale-sizes",
        metavar="SIZES",
        help="comma-separated sizes in synthetic triples, e.g. 100k,1m (10k for a quick check)",
    )
    scale.add_argument(
        "--phase-seconds",
        type=float,
        help="time budget per query and concurrency (default 1; 5 in served mode)",
    )
    scale.add_argument(
        "--phase-requests",
        type=int,
        help="request budget per query at concurrency 1, twice that at 8 (default 100; 20 in "
        "served mode, which runs concurrency 1 only)",
    )
    scale.add_argument(
        "--write-count", type=int, help="writes of each kind (default 30; 20 in served mode)"
    )
    scale.add_argument(
        "--write-budget",
        type=float,
        help="most seconds spent on each kind of write (default 120; 600 in served mode)",
    )
    scale.add_argument(
        "--baseline-max-triples",
        type=int,
        default=150_000,
        help="run rdflib-endpoint only up to this many distinct triples",
    )
    scale.add_argument(
        "--plot",
        type=Path,
        default=None,
        help="the PNG of cost against size (default: scale.png beside the report)",
    )
    scale.add_argument("--no-plot", action="store_true", help="draw no plot")
    scale.add_argument(
        "--oxigraph-default-graph",
        choices=["merge", "union"],
        default="merge",
        help="Oxigraph's default graph: the merge loaded into it, as libassoc keeps one "
        "(default), or --union-default-graph (a triple in two graphs matches twice)",
    )
    scale.add_argument(
        "--workdir", type=Path, help="where to generate data and stores (default: a temporary one)"
    )
    served = parser.add_argument_group(
        "served mode",
        "libassoc alone over generated data of one size (the scale mode's options above apply); "
        "writes only its own section of the report (see bench/README.md)",
    )
    served.add_argument(
        "--served",
        metavar="SIZE",
        help="one size in synthetic triples, e.g. 10m (10k for a quick check)",
    )
    served.add_argument(
        "--dump-patience",
        type=float,
        default=3600.0,
        help="most seconds to keep asking for the first N-Quads dump while it answers 503",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.served:
        from benchkit import served  # it builds on the scale mode

        return served.main(args)
    if args.scale_sizes:
        from benchkit import scale  # it builds on this module

        return scale.main(args)
    args.timeout = 20.0 if args.timeout is None else args.timeout
    args.startup_timeout = 420.0 if args.startup_timeout is None else args.startup_timeout
    plan = plan_for(args)
    selected = queries(args.queries)
    info = RunInfo(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine.facts(Paths().root),
        settings=settings(plan, args),
        timeout=args.timeout,
        candidate="libassoc" if args.candidate == "libassoc" else "oxigraph (stand-in)",
    )
    started = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory(prefix="libassoc-bench-") as tmp:
        workdir = Path(tmp)
        wanted = [datasets.shipped(workdir)]
        if plan.synthetic is not None:
            wanted.append(datasets.generated(workdir, plan.synthetic))
        for data in wanted:
            runs.append(bench_dataset(args, data, workdir, plan, selected))
    # The sections of the scale and served modes, if there are any, are kept as they are.
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    args.output.write_text(sections.keep(previous, render(runs, info)), encoding="utf-8")
    log(f"wrote {args.output} in {time.monotonic() - started:.0f} s")
    return 0 if all(not run.failure for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
