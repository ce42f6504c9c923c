"""The site search at scale: its index, and ``/search`` beside the same matching in SPARQL.

``python bench/search.py`` (``make bench-search``) does, for 100k and 1M synthetic triples
beside the shipped data (``--sizes``, read as in the scale mode):

1. **The index, in-process**: in a fresh process, the N-Quads and their merge are bulk-loaded
   into an on-disk pyoxigraph store; ``queries/app/searchable.rq`` is run once alone (its
   rows, its time, and a warm store), then ``SearchIndex().fill(store, catalog)`` is timed,
   with the process's RSS before, after (the index held; both after a collection and glibc's
   ``malloc_trim``) and at its peak during the fill; then each query of the fixed set is
   searched in-process (every match, the candidates ranked, the median of ``search(text, 50)``).
2. **Oxigraph server** over the same data (``oxigraph load`` of the N-Quads and the merge, then
   ``oxigraph serve``), and **libassoc** (``libassoc serve`` as the scale mode starts it, per-
   client shares lifted), one after the other. A first ``/search`` is timed from the moment
   ``/sparql`` answers (it waits for the index, filled in the background), and libassoc's first
   N-Quads dump is waited for, so that no dump writer runs while the searches are timed.
3. **The fixed set of queries**: each as ``GET /search?q=...`` (``Accept: application/json``)
   and as a SPARQL query at Oxigraph's ``/query`` (each word ``CONTAINS`` one literal's
   ``LCASE``, over the same five properties, LIMIT 50), taking turns in rounds
   (``benchkit/measure.py``), at concurrency 1: the median and p95 latency, and the results.

The figures go into the ``search`` section of ``bench/RESULTS.md``; logs in
``var/bench/search/``. About seven minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import FunctionType, ModuleType
from urllib.parse import urlencode

import pyoxigraph as ox
from benchkit import search_report
from benchkit.answers import RESULT_ACCEPT
from benchkit.main import BENCH, LOGS, log
from benchkit.measure import Track, timed_rounds
from benchkit.rss import PeakSampler, rss
from benchkit.scale import (
    UNCAPPED_ROWS,
    Life,
    ScaleData,
    cold_start,
    libassoc_server,
    oxigraph_life,
    parse_sizes,
    prepare,
)
from benchkit.search_report import (
    OXIGRAPH,
    SEARCH,
    Found,
    IndexRun,
    Probe,
    SearchInfo,
    SizeRun,
    Timing,
    fmt_added,
    p50,
)
from benchkit.servers import LIBASSOC_UNSHARED
from benchkit.stamp import Stamp, write_section
from benchkit.stamp import workdir as stamp_workdir
from benchkit.workload import Budget, QueryRequest, RequestFailure, RequestTimeout, fetch_once
from remote import first_dumps

from libassoc.catalog import QueryCatalog, run
from libassoc.search_index import SearchIndex
from libassoc.settings import Paths

SEARCH_LOGS = LOGS / "search"
JSON = "application/json"
ALL = sys.maxsize
# The fixed set: what each stands for, and what its first result should be called.
PROBES = (
    Probe("acronym", "ALA", first="American Library Association"),
    Probe("common, two words", "library association"),
    Probe("rare word", "Wisconsin"),
    Probe("person's full name (synthetic)", "Hugo Irving 587", first="Hugo Irving 587"),
    Probe("no match", "zyxwvu", empty=True),
    Probe("one letter", "s"),
    Probe("accents and case", "ENCYCLOPÆDIA"),
)
# The matching in SPARQL: the properties queries/app/searchable.rq reads, each word inside one
# literal, ignoring case (LCASE) but not accents.
SPARQL = """PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?thing WHERE {
  VALUES ?property { schema:name skos:prefLabel rdfs:label schema:alternateName schema:description }
  ?thing ?property ?text .
  FILTER(isIRI(?thing) && WORDS)
}
LIMIT 50"""


def sparql_for(text: str) -> str:
    """The SPARQL query for ``text``: each word, lower-cased as LCASE does, inside the literal."""
    words = [json.dumps(word) for word in text.lower().split()] or ['""']
    return SPARQL.replace(
        "WORDS", " && ".join(f"CONTAINS(LCASE(STR(?text)), {word})" for word in words)
    )


@dataclass(frozen=True)
class Options:
    sizes: tuple[tuple[str, float], ...]
    budget: Budget  # per query and server, at concurrency 1
    startup_timeout: float
    output: Path
    workdir: Path | None
    oxigraph_default_graph: str = "merge"  # as benchkit.scale.oxigraph_life reads it

    @property
    def timeout(self) -> float:
        return self.budget.timeout


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--sizes", default="100k,1m", help="synthetic sizes beside the shipped data (100k, 1m)")
    add("--quick", action="store_true", help="a check of the harness: 10k, small budgets")
    add("--timeout", type=float, default=60.0, help="the client's cap per request (60 s)")
    add("--phase-requests", type=int, default=200, help="per query and server (200)")
    add("--phase-seconds", type=float, default=5.0, help="per query and server (5 s)")
    add("--startup-timeout", type=float, default=900.0, help="cap per server start (900 s)")
    add("--workdir", type=Path, help="where data and stores go (default: a temporary folder)")
    add("-o", "--output", type=Path, default=BENCH / "RESULTS.md", help="the report to write")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.phase_requests, args.phase_seconds = "10k", 40, 0.5
    try:
        sizes = tuple(parse_sizes(args.sizes))
    except ValueError as error:
        parser.error(f"--sizes: {error}")
    return Options(
        sizes=sizes,
        budget=Budget(args.phase_requests, args.phase_seconds, args.timeout),
        startup_timeout=args.startup_timeout,
        output=args.output,
        workdir=args.workdir,
    )


# --- the index, in a fresh process ----------------------------------------------------------


def settled_rss() -> int:
    """This process's RSS after a collection, with the C heap's free memory given back (glibc):
    what a finished query freed is then not counted, nor reused unseen by what comes next."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss(os.getpid())


def held_bytes(*roots: object) -> int:
    """``sys.getsizeof`` of everything reachable from ``roots``, each object once."""
    seen: set[int] = set()
    todo = list(roots)
    total = 0
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType | FunctionType):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        todo.extend(gc.get_referents(obj))
    return total


def searched(index: SearchIndex, text: str, budget: Budget) -> Found:
    """Every match of ``text`` and the candidates ranked; then ``search(text, 50)`` timed."""
    before = index.examined
    everything = index.search(text, ALL)
    examined = index.examined - before
    durations: list[float] = []
    started = time.perf_counter()
    while not durations or (
        len(durations) < budget.max_requests and time.perf_counter() - started < budget.seconds
    ):
        begun = time.perf_counter()
        index.search(text, 50)
        durations.append(time.perf_counter() - begun)
    first = everything[0].name if everything else ""
    return Found(len(everything), examined, first, statistics.median(durations), len(durations))


def index_run(data: ScaleData, location: Path, budget: Budget) -> IndexRun:
    """Run in a fresh process (``spawn``): its RSS holds nothing but the store and the index."""
    started = time.perf_counter()
    store = ox.Store(str(location))
    store.bulk_load(path=str(data.nquads), format=ox.RdfFormat.N_QUADS)
    store.bulk_load(
        path=str(data.merged), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph()
    )
    load = time.perf_counter() - started
    catalog = QueryCatalog.from_dir(Paths().queries)
    started = time.perf_counter()
    rows = sum(1 for _ in run(store, catalog.get("app/searchable").text))  # type: ignore[union-attr]
    query_seconds = time.perf_counter() - started
    before = settled_rss()
    index = SearchIndex()
    sampler = PeakSampler(0.05)
    sampler.watch("fill", os.getpid)
    with sampler:
        started = time.perf_counter()
        index.fill(store, catalog)
        fill_seconds = time.perf_counter() - started
    after = settled_rss()
    entries, words = index.size
    return IndexRun(
        load_seconds=load,
        rows=rows,
        query_seconds=query_seconds,
        fill_seconds=fill_seconds,
        entries=entries,
        words=words,
        rss_before=before,
        rss_after=after,
        rss_peak=max(sampler.peak("fill") or 0, after),
        held=held_bytes(*index.held()),
        found={probe.text: searched(index, probe.text, budget) for probe in PROBES},
    )


def measure_index(data: ScaleData, location: Path, budget: Budget) -> IndexRun:
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(index_run, data, location, budget).result()


# --- the servers ----------------------------------------------------------------------------


def oxigraph(data: ScaleData, folder: Path, opts: Options) -> Life:
    """Oxigraph server as the scale mode starts it (the merge as its default graph), logged here."""
    life = oxigraph_life(data, folder, opts)  # type: ignore[arg-type]
    spec = replace(life.spec, log=SEARCH_LOGS / f"oxigraph-{data.label}.log")
    loader_log = SEARCH_LOGS / f"oxigraph-load-{data.label}.log"
    return Life(OXIGRAPH, spec, life.base, life.loader, loader_log)


def libassoc(data: ScaleData, folder: Path, opts: Options) -> Life:
    log_path = SEARCH_LOGS / f"libassoc-{data.label}.log"
    limits = (opts.timeout, (), opts.startup_timeout)
    return libassoc_server(data.sources, folder, log_path, limits, secrets.token_urlsafe(24))


def search_request(base: str, text: str) -> QueryRequest:
    """``GET /search?q=TEXT``, JSON. The workload's client adds an empty ``query=``, which
    /search does not read."""
    return QueryRequest(f"{base}/search?{urlencode({'q': text})}", "", JSON, "search")


async def first_search(life: Life, timeout: float) -> float:
    """Seconds until a first /search answers: it waits for the index to be filled."""
    started = time.perf_counter()
    answer = await fetch_once(search_request(life.base, "ALA"), timeout)
    if answer.status != 200:
        raise RuntimeError(f"/search answered HTTP {answer.status}: {answer.body[:200]!r}")
    return time.perf_counter() - started


async def answered(track: Track, timeout: float) -> tuple[int, str]:
    """One untimed request: how many results, and the first one's name (/search only)."""
    try:
        answer = await fetch_once(track.request, timeout)
    except (RequestTimeout, RequestFailure) as error:
        track.failure = f"{track.server.spec.name}: {error!r}"
        return -1, ""
    if answer.status != 200:
        track.failure = f"{track.server.spec.name}: HTTP {answer.status}: {answer.body[:160]!r}"
        return -1, ""
    body = json.loads(answer.body)
    if track.request.kind == "search":
        results = body["results"]
        return len(results), results[0]["name"] if results else ""
    return len(body["results"]["bindings"]), ""


async def time_probes(search: Life, store: Life, budget: Budget) -> list[Timing]:
    """Each query at /search and at Oxigraph, taking turns; one Timing each."""
    found = []
    for probe in PROBES:
        tracks = [
            Track(search.server.spec.name, search.server, search_request(search.base, probe.text)),
            Track(
                store.server.spec.name,
                store.server,
                QueryRequest(store.spec.endpoint, sparql_for(probe.text), RESULT_ACCEPT),
            ),
        ]
        (results, first), (rows, _) = [await answered(t, budget.timeout) for t in tracks]
        await timed_rounds(tracks, 1, budget)
        phases = [t.phases[0] if t.phases else None for t in tracks]
        timing = Timing(
            probe,
            results if results >= 0 else None,
            first,
            phases[0],
            rows if rows >= 0 else None,
            phases[1],
            "; ".join(t.failure for t in tracks if t.failure),
        )
        found.append(timing)
        log(
            f"  {probe.kind} {probe.text!r}: {SEARCH} {timing.results} results "
            f"{_ms(timing.search)}, {OXIGRAPH} {timing.rows} rows {_ms(timing.oxigraph)}"
        )
    return found


def _ms(phase: object) -> str:
    median = p50(phase)  # type: ignore[arg-type]
    return "(no timings)" if median is None else f"({median * 1000:.2f} ms)"


# --- one size -------------------------------------------------------------------------------


def bench_size(label: str, factor: float, folder: Path, opts: Options) -> SizeRun:
    log(f"{label}: generating the data (synthetic scale {factor:g})")
    data = prepare(label, factor, folder)
    counts = data.counts
    result = SizeRun(label, counts.quads, counts.triples)
    log(f"{label}: {counts.quads:,} quads, {counts.triples:,} distinct triples")
    log(f"{label}: the index, in a fresh process")
    index = measure_index(data, folder / "index-store", opts.budget)
    result = replace(result, index=index)
    log(
        f"{label}: filled in {index.fill_seconds:.2f} s, {index.entries:,} entries, "
        f"{index.words:,} words, {fmt_added(index.rss_before, index.rss_after)} RSS"
    )
    store, search = oxigraph(data, folder, opts), libassoc(data, folder, opts)
    with ExitStack() as stack:
        for life in (store, search):  # one at a time: none competes with another for the cores
            stack.callback(life.server.stop)
            log(f"{label}: starting {life.name}")
            if not cold_start(life):
                return replace(result, failure=f"{life.name}: {life.run.failure}")
        startup = {life.name: life.run.cold_start or 0.0 for life in (store, search)}
        try:
            first = asyncio.run(first_search(search, opts.startup_timeout))
        except (RuntimeError, RequestTimeout, RequestFailure) as error:
            return replace(result, startup=startup, failure=f"a first /search failed: {error!r}")
        log(f"{label}: a first /search answered {first:.2f} s after /sparql did")
        checks = (first_dumps(search, opts),)  # type: ignore[arg-type]
        log(f"{label}: {checks[0]}")
        timings = asyncio.run(time_probes(search, store, opts.budget))
        notes = tuple(
            f"{life.name} restarted {life.server.restarts}x after a timeout"
            for life in (store, search)
            if life.server.restarts
        )
    return replace(
        result,
        startup=startup,
        first_search=first,
        checks=checks,
        timings=tuple(timings),
        notes=notes,
    )


# --- the whole run --------------------------------------------------------------------------


def settings(opts: Options) -> dict[str, str]:
    budget = opts.budget
    probes = "; ".join(f"{p.kind} `{p.text}`" for p in PROBES)
    return {
        "sizes": ", ".join(f"{label} (synthetic scale {f:g})" for label, f in opts.sizes),
        "queries": probes,
        "timing, per query and server": f"concurrency 1, up to {budget.max_requests} requests "
        f"or {budget.seconds:g} s, whichever first, in 10 rounds taking turns; after one "
        "untimed request (aiohttp, keep-alive)",
        "client cap per request": f"{opts.timeout:g} s",
        "libassoc": "`libassoc serve --store DIR --data ontology --data data --data SYNTHETIC "
        f"--query-timeout {opts.timeout:g} --max-rows {UNCAPPED_ROWS} --allow-updates "
        f"{' '.join(LIBASSOC_UNSHARED)}`; `GET /search?q=...`, `Accept: {JSON}`",
        "Oxigraph": "`oxigraph load --location DIR --file ALL.nq MERGED.nt`, then `oxigraph "
        "serve --location DIR`; `GET /query?query=...`",
        "the index, in-process": "a fresh process (`spawn`): `Store(DIR).bulk_load` of the "
        "N-Quads and the merge (as the default graph), `queries/app/searchable.rq` once, then "
        "`SearchIndex().fill(store, catalog)` timed; RSS from `/proc/self/statm`: before and "
        "after the fill, each after a collection and `malloc_trim(0)`; during it, every 0.05 s; "
        "`search(text, 50)` timed as /search calls it (up to "
        f"{budget.max_requests} calls or {budget.seconds:g} s)",
    }


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    stamp = Stamp.begin(Paths().root, with_oxigraph=True)
    SEARCH_LOGS.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        workdir = stamp_workdir(stack, opts.workdir, "libassoc-search-")
        runs = [bench_size(label, f, workdir / label, opts) for label, f in opts.sizes]
    info = SearchInfo(stamp.date, stamp.facts, stamp.settings(settings(opts)), SPARQL)
    write_section(opts.output, search_report.render_section(runs, info), search_report.splice)
    for size in runs:
        for line in search_report.summary_lines(size):
            log(line)
    log(f"wrote the search section of {opts.output} in {stamp.seconds:.0f} s")
    return 0 if all(not size.failure for size in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
