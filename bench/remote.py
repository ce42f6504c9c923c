"""In front of Oxigraph server: the overhead of libassoc as a front end, query by query.

``python bench/remote.py`` (``make bench-remote``) measures, for the shipped data and for 100k
synthetic triples beside it (``--sizes``), on 127.0.0.1:

1. **Oxigraph server alone**, the floor: ``oxigraph serve`` without ``--union-default-graph``,
   filled by ``libassoc push --merge-default-graph`` (each named graph, and their merge into
   the default graph; ``--fill load`` uses ``oxigraph load`` of the same N-Quads and merge
   instead), queried at its own ``/query``;
2. **libassoc in front** of that same server: ``libassoc serve --remote-query ... --remote-update
   ... --remote-store ... --remote-default-graph kept``;
3. **the embedded libassoc**, ``libassoc serve --store DIR --data ...``, for reference;
4. **rdflib-endpoint** (``bench/baseline.py``), up to ``--baseline-max-triples`` (the shipped
   data only, by default: at 100k its slowest queries would take most of the run).

Before timing, the default graph is counted at Oxigraph and through libassoc in front (it must
equal the distinct triples of the merge), and each libassoc's first N-Quads dump is waited for
(its writer reads the whole store: the front's reads Oxigraph), so that no dump is written
while the queries are timed. Then every benchmark query (the competency queries and
``bench/queries/``), the servers taking turns in rounds (``benchkit/measure.py``): one untimed
request for the answer's size, then concurrency 1 and 8 within a budget each. The ``remote``
section of ``bench/RESULTS.md`` gives each query's median latency on each server divided by
Oxigraph's, and the geometric mean of "libassoc in front / Oxigraph alone" over the queries.
Both libassoc servers get per-client shares lifted (the harness is one client standing for
many), ``--query-timeout`` equal to the client's cap and no row cap, as in the scale mode.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from benchkit import datasets, remote_report, synthetic
from benchkit.main import (
    BENCH,
    LEVELS,
    LOGS,
    Plan,
    baseline_spec,
    log,
    oxigraph_loader,
    oxigraph_serve_argv,
    queries,
)
from benchkit.measure import measure
from benchkit.outcome import Measurement
from benchkit.remote_report import BASELINE, EMBEDDED, FRONT, OXIGRAPH, RemoteInfo, SizeRun
from benchkit.scale import (
    LIBASSOC_DUMP,
    NQUADS,
    PROBE,
    TOKEN_VARIABLE,
    UNCAPPED_ROWS,
    Life,
    cold_start,
    download,
    libassoc_server,
    parse_sizes,
)
from benchkit.scale_outcome import ScaleQuery
from benchkit.servers import LIBASSOC_UNSHARED, LOOPBACK, Server, ServerSpec, free_port
from benchkit.stamp import Stamp, write_section
from benchkit.stamp import workdir as stamp_workdir
from benchkit.workload import Budget, RequestFailure

from libassoc.catalog import NamedQuery
from libassoc.settings import Paths
from libassoc.web.config import ServerConfig

REMOTE_LOGS = LOGS / "remote"
SHIPPED = "shipped"
JSON_RESULTS = "application/sparql-results+json"
COUNT_DEFAULT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
COUNT_NAMED = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@dataclass(frozen=True)
class Options:
    sizes: tuple[tuple[str, float], ...]  # (label, synthetic scale factor); shipped: 0
    c1: Budget
    c8: Budget
    startup_timeout: float
    fill: str  # "push" (libassoc push) or "load" (oxigraph load)
    baseline_max_triples: int
    queries: str | None
    output: Path
    workdir: Path | None

    @property
    def timeout(self) -> float:
        return self.c1.timeout


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--sizes", default=f"{SHIPPED},100k", help="shipped and/or synthetic sizes (100k, 1m)")
    add("--quick", action="store_true", help="a check of the harness: shipped, small budgets")
    add("--timeout", type=float, default=60.0, help="the client's cap per request (60 s)")
    add("--phase-requests", type=int, default=100, help="per query at concurrency 1, 2x at 8")
    add("--phase-seconds", type=float, default=1.0, help="per query and concurrency (1 s)")
    add("--startup-timeout", type=float, default=300.0, help="cap per server start (300 s)")
    add(
        "--fill",
        choices=["push", "load"],
        default="push",
        help="fill Oxigraph by libassoc push --merge-default-graph (default) or oxigraph load",
    )
    add(
        "--baseline-max-triples",
        type=int,
        default=10_000,
        help="run rdflib-endpoint only up to this many distinct triples (10,000: shipped only)",
    )
    add("--queries", metavar="REGEX", help="only queries whose name matches")
    add("--workdir", type=Path, help="where data and stores go (default: a temporary folder)")
    add("-o", "--output", type=Path, default=BENCH / "RESULTS.md", help="the report to write")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.phase_requests, args.phase_seconds = SHIPPED, 20, 0.3
    try:
        sizes = tuple(
            (SHIPPED, 0.0) if item.strip() == SHIPPED else parse_sizes(item)[0]
            for item in args.sizes.split(",")
        )
    except ValueError as error:
        parser.error(f"--sizes: {error}")
    requests_, seconds = args.phase_requests, args.phase_seconds
    return Options(
        sizes=sizes,
        c1=Budget(requests_, seconds, args.timeout),
        c8=Budget(2 * requests_, seconds, args.timeout),
        startup_timeout=args.startup_timeout,
        fill=args.fill,
        baseline_max_triples=args.baseline_max_triples,
        queries=args.queries,
        output=args.output,
        workdir=args.workdir,
    )


# --- data and servers -----------------------------------------------------------------------


def dataset(label: str, factor: float, folder: Path) -> datasets.Dataset:
    """The sources, their N-Quads and their merge: the shipped data, or synthetic data too."""
    if label == SHIPPED:
        return datasets.shipped(folder)
    data = datasets.generated(folder, synthetic.Sizes().scaled(factor))
    return replace(data, name=label)


def oxigraph_life(data: datasets.Dataset, folder: Path, opts: Options) -> Life:
    """Oxigraph server, without --union-default-graph; with ``--fill load``, loaded first."""
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    location = folder / "oxigraph-store"
    spec = ServerSpec(
        OXIGRAPH,
        oxigraph_serve_argv(location, port),
        f"{base}/query",
        REMOTE_LOGS / f"oxigraph-{data.name}.log",
        opts.startup_timeout,
        probe=f"{base}/query{PROBE}",
        poll_interval=0.1,
    )
    loader = oxigraph_loader((data.nquads, data.merged), location) if opts.fill == "load" else ()
    return Life(OXIGRAPH, spec, base, loader, REMOTE_LOGS / f"oxigraph-load-{data.name}.log")


def libassoc_life(
    name: str, sources: Sequence[Path], extra: Sequence[str], folder: Path, opts: Options
) -> Life:
    """``libassoc serve`` as the scale mode starts it (its limits at the client's), renamed."""
    log_path = REMOTE_LOGS / f"{name.replace(' ', '-')}-{folder.parent.name}.log"
    limits = (opts.timeout, tuple(extra), opts.startup_timeout)
    life = libassoc_server(sources, folder, log_path, limits, secrets.token_urlsafe(24))
    return Life(name, replace(life.spec, name=name), life.base)


def front_arguments(oxigraph: Life) -> tuple[str, ...]:
    base = oxigraph.base
    return (
        *("--remote-query", f"{base}/query", "--remote-update", f"{base}/update"),
        *("--remote-store", f"{base}/store", "--remote-default-graph", "kept"),
    )


def baseline_life(data: datasets.Dataset, folder: Path, opts: Options) -> Life:
    spec = baseline_spec(data, folder, Plan(opts.c1, opts.c8, None, opts.startup_timeout))
    spec = replace(
        spec,
        log=REMOTE_LOGS / f"baseline-{data.name}.log",
        probe=f"{spec.endpoint}{PROBE}",
        poll_interval=0.1,
    )
    return Life(BASELINE, spec, spec.endpoint.removesuffix("/sparql"))


def push(data: datasets.Dataset, oxigraph: Life) -> str:
    """``libassoc push --merge-default-graph`` into Oxigraph; what was done, and how long."""
    argv = [sys.executable, "-m", "libassoc", "push", "--store-url", f"{oxigraph.base}/store"]
    argv.append("--merge-default-graph")
    for source in data.sources:
        argv += ["--data", str(source)]
    log_path = REMOTE_LOGS / f"push-{data.name}.log"
    started = time.monotonic()
    with log_path.open("wb") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise RuntimeError(f"libassoc push exited with {done.returncode}\n{tail}")
    return (
        f"`libassoc push --store-url OXIGRAPH/store --merge-default-graph --data ...` in "
        f"{seconds:.1f} s (loading and validating the sources, then one PUT per graph and "
        "one of the merge into the default graph)"
    )


def count(endpoint: str, query: str, timeout: float) -> int:
    """The ``?n`` of a one-row COUNT query."""
    with httpx.Client(timeout=timeout, trust_env=False) as http:
        answer = http.get(endpoint, params={"query": query}, headers={"Accept": JSON_RESULTS})
        answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def counted(data: datasets.Dataset, oxigraph: Life, front: Life, cap: float) -> list[str]:
    """The default graph and the named graphs, counted at Oxigraph and through the front."""
    at_oxigraph = count(oxigraph.spec.endpoint, COUNT_DEFAULT, cap)
    in_front = count(front.spec.endpoint, COUNT_DEFAULT, cap)
    quads = count(oxigraph.spec.endpoint, COUNT_NAMED, cap)
    same = at_oxigraph == in_front == data.triples
    verdict = "they match" if same else "**they do not match**"
    return [
        f"default graph, `{COUNT_DEFAULT}`: {at_oxigraph:,} at Oxigraph, {in_front:,} through "
        f"libassoc in front, {data.triples:,} distinct triples read from the sources: {verdict}",
        f"named graphs: {quads:,} quads at Oxigraph, {data.quads:,} read from the sources",
    ]


def first_dumps(life: Life, opts: Options) -> str:
    """Wait until the server's first N-Quads dump is written; what it held."""
    url = life.base + LIBASSOC_DUMP
    try:
        got = asyncio.run(download(url, NQUADS, opts.timeout, 1000, opts.startup_timeout))
    except (TimeoutError, OSError, RequestFailure) as error:
        return f"{life.name}: first dump not fetched ({error!r})"
    if got.status != 200:
        return f"{life.name}: first dump answered HTTP {got.status}"
    return f"{life.name}: first N-Quads dump waited for, {got.lines:,} quads"


def _ms(measurement: Measurement) -> str:
    phase = measurement.at(1)
    median = phase.median if phase is not None else None
    if median is None:
        return measurement.failure[:60] or "no timings"
    return f"{median * 1000:.2f} ms"


async def bench_queries(
    servers: Sequence[Server], selected: list[tuple[str, NamedQuery]], opts: Options
) -> list[ScaleQuery]:
    """Every query on every server, in turns; one ScaleQuery each.

    rdflib-endpoint, a reference only, gets concurrency 1 after the others: eight of its
    slowest queries at once take most of a minute on one event loop, for no figure reported.
    """
    steps = list(zip(LEVELS, (opts.c1, opts.c8), strict=True))
    compared = [s for s in servers if s.spec.name != BASELINE]
    reference = [s for s in servers if s.spec.name == BASELINE]
    found = []
    for group, query in selected:
        measurements = await measure(compared, query.text, query.kind, steps)
        if reference:
            measurements += await measure(reference, query.text, query.kind, steps[:1])
        note = query.headers.get("difference", "")
        found.append(ScaleQuery(query.name, query.kind, group, tuple(measurements), note))
        log(f"  {query.name}: " + ", ".join(f"{m.server} {_ms(m)}" for m in measurements))
    return found


def stop_all(lives: Sequence[Life]) -> None:
    for life in lives:
        life.server.stop()


def bench_size(
    label: str, factor: float, folder: Path, opts: Options, selected: list[tuple[str, NamedQuery]]
) -> SizeRun:
    log(f"{label}: preparing the data")
    data = dataset(label, factor, folder)
    run = SizeRun(label, data.quads, data.triples, data.graphs)
    log(f"{label}: {data.quads:,} quads, {data.triples:,} distinct triples")
    oxigraph = oxigraph_life(data, folder, opts)
    notes: list[str] = []
    with ExitStack() as stack:
        lives = [oxigraph]
        stack.callback(stop_all, lives)
        if not cold_start(oxigraph):
            return replace(run, failure=oxigraph.run.failure)
        if opts.fill == "load":
            load = dict(oxigraph.run.cold_parts).get("load", 0.0)
            fill = f"`oxigraph load --location DIR --file ALL.nq MERGED.nt` in {load:.1f} s"
        else:
            try:
                fill = push(data, oxigraph)
            except RuntimeError as error:
                return replace(run, failure=str(error))
        log(f"{label}: Oxigraph filled by {fill}")
        run = replace(run, fill=fill)
        front = libassoc_life(FRONT, (), front_arguments(oxigraph), folder / "front", opts)
        embedded = libassoc_life(EMBEDDED, data.sources, (), folder / "embedded", opts)
        lives += [front, embedded]
        if data.triples <= opts.baseline_max_triples:
            lives.append(baseline_life(data, folder, opts))
        else:
            notes.append(
                f"rdflib-endpoint not run: above {opts.baseline_max_triples:,} distinct triples "
                "(`--baseline-max-triples`); see the scale section for it at 100k"
            )
        for life in lives[1:]:  # one at a time: none competes with another for the cores
            log(f"{label}: starting {life.name}")
            if not cold_start(life):
                return replace(run, failure=life.run.failure, notes=tuple(notes))
        startup = {life.name: life.run.cold_start or 0.0 for life in lives}
        try:
            checks = counted(data, oxigraph, front, opts.timeout)
        except (httpx.HTTPError, LookupError, ValueError) as error:
            return replace(run, failure=f"counting the triples failed: {error!r}")
        checks += [first_dumps(life, opts) for life in (front, embedded)]
        for line in checks:
            log(f"{label}: {line}")
        run = replace(run, checks=tuple(checks), startup=startup)
        log(f"{label}: {len(selected)} queries on {', '.join(life.name for life in lives)}")
        servers = [life.server for life in lives]
        found = asyncio.run(bench_queries(servers, selected, opts))
        notes += [
            f"{life.name} restarted {life.server.restarts}x after a timeout"
            for life in lives
            if life.server.restarts
        ]
    return replace(run, queries=tuple(found), notes=tuple(notes))


# --- the whole run --------------------------------------------------------------------------


def settings(opts: Options, selected: int) -> dict[str, str]:
    def budget(b: Budget) -> str:
        return f"up to {b.max_requests} requests or {b.seconds:g} s, whichever comes first"

    limits = f"--query-timeout {opts.timeout:g} --max-rows {UNCAPPED_ROWS} --allow-updates"
    unshared = " ".join(LIBASSOC_UNSHARED)
    workers = ServerConfig().query_workers
    fill = (
        "`libassoc push --store-url OXIGRAPH/store --merge-default-graph --data ...`"
        if opts.fill == "push"
        else "`oxigraph load --location DIR --file ALL.nq MERGED.nt` before it starts"
    )
    return {
        "sizes": ", ".join(
            label if label == SHIPPED else f"{label} (synthetic scale {factor:g})"
            for label, factor in opts.sizes
        ),
        "queries": f"{selected}: the competency queries and `bench/queries/`, GET, JSON "
        "results or N-Triples (aiohttp, keep-alive); the servers take turns in 10 rounds",
        "queries, concurrency 1": budget(opts.c1),
        "queries, concurrency 8": budget(opts.c8),
        "client cap per request": f"{opts.timeout:g} s",
        "Oxigraph server": f"`oxigraph serve --location DIR` (no `--union-default-graph`), "
        f"filled by {fill}; queried at `/query`",
        "libassoc in front": "`libassoc serve --store DIR --remote-query OXIGRAPH/query "
        "--remote-update OXIGRAPH/update --remote-store OXIGRAPH/store --remote-default-graph "
        f"kept {limits} {unshared}`, token in `{TOKEN_VARIABLE}`; {workers} query workers "
        f"(the default here): at most {workers} of its requests at Oxigraph at once",
        "libassoc embedded": f"`libassoc serve --store DIR --data ontology --data data "
        f"[--data SYNTHETIC] {limits} {unshared}`",
        "rdflib-endpoint": f"`bench/baseline.py --data ALL.nq`, up to "
        f"{opts.baseline_max_triples:,} distinct triples; concurrency 1 only, after the others",
        "before timing": "each libassoc's first N-Quads dump is waited for (the writer reads "
        "the whole store; the front's reads Oxigraph)",
    }


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    selected = queries(opts.queries)
    stamp = Stamp.begin(Paths().root, with_oxigraph=True)
    REMOTE_LOGS.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        workdir = stamp_workdir(stack, opts.workdir, "libassoc-remote-")
        runs = [
            bench_size(label, factor, workdir / label, opts, selected)
            for label, factor in opts.sizes
        ]
    found = stamp.settings(settings(opts, len(selected)))
    info = RemoteInfo(stamp.date, stamp.facts, found, opts.timeout)
    write_section(opts.output, remote_report.render_section(runs, info), remote_report.splice)
    for run in runs:
        for line in remote_report.summary_lines(run, opts.timeout):
            log(line)
    log(f"wrote the remote section of {opts.output} in {stamp.seconds:.0f} s")
    return 0 if all(not run.failure for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
