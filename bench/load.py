"""Load: cheap queries, page views, dump downloads and expensive queries together, on loopback.

``python bench/load.py`` (``make bench-load``) starts libassoc with its defaults (a store in a
temporary folder, ``--query-timeout 10``) on 127.0.0.1 over the shipped data (``--size 100k``
adds synthetic data), then:

1. **alone**: the cheap queries (lookups of ``queries/`` anchored on one IRI) one after another
   from one client, after each has proved cheap, for their median and p99;
2. **together**: ``--concurrency`` request loops (32) for ``--seconds`` (60), split among
   simulated clients, each with its own ``User-Agent``: half cheap queries, a quarter entity
   pages (HTML and Turtle; after its first view each is served from the server's kept pages),
   an eighth full gzip dumps, and an eighth a cross join that runs until the server's time
   limit, from at most three clients. Every loop but the expensive ones waits ``--think``
   seconds (0.1) on average after an answer, as a client reading it does (drawn from an
   exponential distribution, so that the loops do not arrive in step); the expensive ones
   send their next query at once, as a greedy script does. After a 429 or 503 with
   ``Retry-After``, a loop waits as long as it says. The cheap queries are sent from this
   process and the rest from another, so that reading pages and dumps does not delay the
   timing of the cheap ones.

Errors are every answer but 2xx, 304 and the intended 429 and 503, and every transport error or
client timeout. The target: no errors, and the cheap queries' p99 under load within 5x of their
median alone. The figures go into the ``load`` section of ``bench/RESULTS.md`` (``load-100k``
with ``--size 100k``; ``-o`` for another file), with the server's own time for the cheap
queries (from its access log) and the machine's CPU pressure during each phase (Linux PSI): on
a shared machine, what else ran.

Only loopback is ever targeted: ``--url`` (a libassoc already running) must be 127.0.0.1 or
[::1]. A run is bounded by ``--seconds`` and ``--max-requests``; requests under way then finish,
each within the client's cap (three time limits and 30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from benchkit import load_report, machine, sections, synthetic
from benchkit.loadgen import (
    BACKGROUND_NICENESS,
    PROBE_NICENESS,
    Bounds,
    Call,
    Kind,
    Watch,
    drive,
    drive_apart,
    loop,
    mix,
    raise_probe,
    ready,
)
from benchkit.main import LOGS, log
from benchkit.scale import PROBE, download, parse_sizes
from benchkit.servers import LOOPBACK, Server, ServerFailedError, ServerSpec, free_port
from benchkit.workload import client
from prometheus_client.parser import text_string_to_metric_families

from libassoc.catalog import QueryCatalog
from libassoc.engine.fairness import Shares
from libassoc.engine.pool import DEFAULT_QUEUE
from libassoc.settings import Paths
from libassoc.web.config import ServerConfig

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})
# Lookups anchored on one IRI: a few milliseconds at any size (see the served section).
CHEAP = r"^cq-(03|05|08|11)-"
# Every triple times every triple times every triple: no store answers it before the limit.
CROSS_JOIN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
JSON_RESULTS = "application/sparql-results+json"
FULL_DUMPS = ("/dumps/libassoc.nq.gz", "/dumps/libassoc.ttl.gz")
PAGE_FORMATS = ("text/html", "text/turtle")
PAGES = 60  # entity pages taken from the sitemap, spread over it
THINK = 0.1
SKIPPABLE = ("page", "dump", "expensive")
SERVER_COUNTERS = (
    "libassoc_query_timeouts_total",
    "libassoc_query_worker_restarts_total",
    "libassoc_page_cache_hits_total",
    "libassoc_page_cache_misses_total",
    "libassoc_store_triples",
)


@dataclass(frozen=True)
class Options:
    seconds: float
    concurrency: int
    max_requests: int
    alone_requests: int
    query_timeout: float
    think: float
    url: str | None
    size: str | None
    cheap: str
    skip: tuple[str, ...]
    output: Path

    @property
    def client_timeout(self) -> float:
        # A query may wait for its client's own slot, then for a worker, then run: each up to
        # the time limit.
        return 3 * self.query_timeout + 30


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--seconds", type=float, default=60.0, help="how long the load lasts (60)")
    add("--concurrency", type=int, default=32, help="request loops under load (32)")
    add("--max-requests", type=int, default=200_000, help="most requests under load")
    add("--alone-requests", type=int, default=400, help="cheap queries alone (400)")
    add("--query-timeout", type=float, default=10.0, help="the server's time limit (10)")
    add("--think", type=float, default=THINK, help=f"a client's pause after an answer ({THINK})")
    add("--url", help="a libassoc already running on loopback, e.g. http://127.0.0.1:8000")
    add("--size", help="synthetic triples beside the shipped data, e.g. 100k")
    add("--cheap", default=CHEAP, help=f"which competency queries are cheap ({CHEAP})")
    add("--skip", action="append", default=[], choices=SKIPPABLE, help="leave a kind out")
    add("-o", "--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.url is not None:
        host = urlsplit(args.url).hostname or ""
        if host not in LOOPBACK_HOSTS:
            parser.error(f"--url must be on 127.0.0.1 or [::1], not {host!r}")
        if args.size:
            parser.error("--size only applies to the server this script starts")
    try:
        mix(args.concurrency)
        if args.size:
            parse_sizes(args.size)
    except ValueError as error:
        parser.error(str(error))
    return Options(
        seconds=args.seconds,
        concurrency=args.concurrency,
        max_requests=args.max_requests,
        alone_requests=args.alone_requests,
        query_timeout=args.query_timeout,
        think=args.think,
        url=args.url.rstrip("/") if args.url else None,
        size=args.size,
        cheap=args.cheap,
        skip=tuple(args.skip),
        output=args.output,
    )


def start_server(opts: Options, folder: Path) -> tuple[Server, str]:
    """libassoc with its defaults but the store and the time limit, over the data."""
    sources = list(Paths().sources())
    if opts.size:
        ((_, factor),) = parse_sizes(opts.size)
        log(f"writing {opts.size} synthetic triples")
        synthetic.write(folder / "synthetic", synthetic.Sizes().scaled(factor))
        sources.append(folder / "synthetic")
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    argv = [sys.executable, "-m", "libassoc", "serve", "--host", LOOPBACK, "--port", str(port)]
    argv += ["--store", str(folder / "store"), "--query-timeout", f"{opts.query_timeout:g}"]
    for source in sources:
        argv += ["--data", str(source)]
    spec = ServerSpec("libassoc", tuple(argv), f"{base}/sparql{PROBE}", LOGS / "load.log")
    server = Server(spec)
    server.start()
    server.wait_ready()
    log(f"libassoc answers at {base} after {server.startup_seconds:.1f} s; its log: {spec.log}")
    return server, base


async def entity_pages(http: aiohttp.ClientSession, base: str) -> list[str]:
    """Entity pages from the sitemap, spread over it (the home page and /.well-known left out)."""
    async with http.get(base + "/sitemap.xml") as response:
        text = await response.text()
    paths = [urlsplit(loc).path for loc in re.findall(r"<loc>([^<]+)</loc>", text)]
    paths = [p for p in paths if p.count("/") >= 2 and not p.startswith("/.")]
    return paths[:: max(1, len(paths) // PAGES)][:PAGES]


def kinds_for(opts: Options, cheap: Sequence[Call], pages: Sequence[str]) -> list[Kind]:
    loops = mix(opts.concurrency)
    calls = (
        tuple(cheap),
        tuple(Call(p, f) for p in pages for f in PAGE_FORMATS),
        tuple(Call(p, "*/*") for p in FULL_DUMPS),
        (Call("/sparql", JSON_RESULTS, CROSS_JOIN),),
    )
    thinks = (opts.think, opts.think, opts.think, 0.0)
    kinds = [Kind(n, c, loops[n], t) for n, c, t in zip(loops, calls, thinks, strict=True)]
    return [k for k in kinds if k.name.split()[0] not in opts.skip]


async def counters(base: str) -> dict[str, float]:
    """The server's own counters from ``/metrics``: refusals, timeouts, restarts, triples."""
    async with client(1, 30) as http, http.get(base + "/metrics") as response:
        text = await response.text()
    found: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            status = sample.labels.get("status")
            if sample.name == "libassoc_http_requests_total" and status in {"429", "503"}:
                found[f"answers {status}"] += sample.value
            elif sample.name in SERVER_COUNTERS:
                found[sample.name] = sample.value
    return dict(found)


async def measure(opts: Options, base: str, server_log: Path | None) -> load_report.Run:
    catalog = QueryCatalog.from_dir(Paths().queries)
    selected = [q for q in catalog.competency() if re.search(opts.cheap, q.name)]
    if not selected:
        raise SystemExit(f"no competency query matches {opts.cheap!r}")
    cheap = [Call("/sparql", JSON_RESULTS, q.text) for q in selected]
    notes = []
    first = await download(base + FULL_DUMPS[0], "*/*", opts.client_timeout, patience=600)
    if first.waits:
        notes.append(f"the first dumps were waited for ({first.waits} answers 503)")
    async with client(1, opts.client_timeout) as http:
        pages = await entity_pages(http, base)
        # Each query is tried in a worker first and answered on the event loop once it proved
        # cheap there: the alone phase measures the path the cheap queries take from then on.
        await loop(http, base, cheap, "libassoc-load/warm-up", Bounds(time.monotonic() + 60, 40))
        log(f"alone: {opts.alone_requests} cheap queries ({', '.join(q.name for q in selected)})")
        watch = Watch(server_log)
        bounds = Bounds(time.monotonic() + 60, opts.alone_requests)
        alone = await loop(http, base, cheap, "libassoc-load/alone", bounds)
        seen_alone = watch.seen()
    kinds = kinds_for(opts, cheap, pages)
    log(f"together: {sum(sum(k.loops) for k in kinds)} request loops for {opts.seconds:g} s")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as apart:
        running = asyncio.get_running_loop()
        await running.run_in_executor(apart, ready)
        watch = Watch(server_log)
        deadline, most = time.monotonic() + opts.seconds, opts.max_requests // 2
        rest = running.run_in_executor(
            apart, drive_apart, base, kinds[1:], Bounds(deadline, most), opts.client_timeout
        )
        (load, issued), (more, also) = await asyncio.gather(
            drive(base, kinds[:1], Bounds(deadline, most), opts.client_timeout), rest
        )
        elapsed = time.monotonic() - watch.started
        seen_load = watch.seen()
    return load_report.Run(
        cheap_names=[q.name for q in selected],
        alone=alone,
        seen_alone=seen_alone,
        load=load | more,
        loops={k.name: k.loops for k in kinds},
        seen_load=seen_load,
        elapsed=elapsed,
        issued=issued + also,
        server=await counters(base),
        notes=notes,
    )


def what_was_sent(opts: Options, probe_raised: bool) -> list[str]:
    ahead = (
        f"the process timing the cheap queries at niceness {PROBE_NICENESS}"
        if probe_raised
        else "the process timing the cheap queries at the server's priority (raising it was "
        "not allowed)"
    )
    return [
        "- cheap query: `GET /sparql?query=...`, JSON results;",
        f"- page view: {PAGES} entity pages from the sitemap, each as `text/html` and "
        "`text/turtle` (`Accept`); each is built on its first view and then kept until a write, "
        "as popular pages are (the page cache's counters are below);",
        f"- dump download: {' and '.join(f'`{p}`' for p in FULL_DUMPS)}, whole;",
        f"- expensive query: `{CROSS_JOIN}`, stopped by the server at its time limit (503);",
        f"- each loop but the expensive ones waits {opts.think:g} s on average after an answer "
        "(exponentially distributed, as independent clients' pauses are); any loop waits as "
        "long as `Retry-After` says;",
        f"- the clients share the server's machine, as clients on machines of their own would "
        f"not: the other loops run at niceness {BACKGROUND_NICENESS}, {ahead}, so that what "
        "is timed is the server's delay rather than the load generator's.",
    ]


def settings(opts: Options, run: load_report.Run, facts: dict[str, str]) -> dict[str, str]:
    found = dict(facts)
    found["load average at the end (1, 5, 15 min)"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    triples = run.server.get("libassoc_store_triples")
    data = "the shipped data" + (f" and {opts.size} synthetic triples" if opts.size else "")
    found["data"] = data + (f": {triples:,.0f} triples" if triples else "")
    counted = {k: v for k, v in run.server.items() if k != "libassoc_store_triples"}
    found["server's counters after the run (`/metrics`)"] = "; ".join(
        f"{k}: {v:,.0f}" for k, v in counted.items()
    )
    if opts.skip:
        found["left out of the load"] = ", ".join(opts.skip)
    if opts.url:
        found["server"] = f"already running at {opts.url}, with its own options"
        return found
    workers, shares = ServerConfig().query_workers, Shares()
    found["server"] = (
        f"`libassoc serve --store DIR --query-timeout {opts.query_timeout:g}`, every other "
        f"option its default: {workers} query workers, a queue of {DEFAULT_QUEUE} for them; "
        f"each client {shares.budget:g} s of query time per {shares.window:g} s, "
        f"{max(1, workers - 1)} worker(s) at once and {shares.waiting} queries waiting"
    )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    facts = machine.facts(Paths().root)
    when = datetime.now(UTC)
    with ExitStack() as stack:
        base, server_log = opts.url or "", None
        if not opts.url:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="libassoc-load-")))
            try:
                server, base = start_server(opts, folder)
            except ServerFailedError as error:
                log(str(error))
                return 1
            stack.callback(server.stop)
            server_log = server.spec.log
        probe_raised = raise_probe()  # after the server started: it keeps its own priority
        run = asyncio.run(measure(opts, base, server_log))
    details = (what_was_sent(opts, probe_raised), settings(opts, run, facts), opts.size)
    section = load_report.render(run, when, *details)
    existing = opts.output.read_text(encoding="utf-8") if opts.output.exists() else ""
    name = load_report.section_name(opts.size)
    opts.output.write_text(sections.splice(existing, name, section), "utf-8")
    ok, said = load_report.verdict(run)
    log(f"{'met' if ok else 'not met'}: {said}; written to {opts.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
