"""``/metrics``: what an operator watches, in the Prometheus text format (OpenMetrics on request).

Requests are counted by method, route template and status (429 and 503 included), and timed by
route. Labels come from bounded sets only: a route's template, never the path asked for, so a
crawler walking every IRI or a scanner trying random paths adds no series. What the query
engine counts (timeouts, worker restarts) and the store's size are read when scraped; the size
comes from the VoID of the newest published dumps, read once per generation, so a scrape never
costs in proportion to the data.

Each app has a registry of its own, not prometheus-client's global one: apps built side by side
(tests, benchmarks) keep apart.

Only the addresses the operator names (``--metrics-from``; by default this machine's own) may
read it, as Fuseki keeps its admin area to localhost: the counters tell a stranger how busy the
server is and what fails. A client behind a trusted proxy is known by its forwarded address.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from libassoc.web.clients import Network, client_address, within
from libassoc.web.dumps_route import Generation
from libassoc.web.exchanges import Exchange
from libassoc.web.service_description import graph_sizes
from libassoc.web.state import Service

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
# From a cheap query answered inline (about a millisecond) to the default query time limit.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
NO_STORE = {"cache-control": "no-store"}


class PublishedTriples:
    """The merged default graph's size as the newest published VoID counts it.

    The VoID is read again only when a newer generation's dumps are complete.
    """

    def __init__(self) -> None:
        self._counted: Generation | None = None
        self._count = 0

    def count(self, service: Service, generation: Generation | None) -> int | None:
        if generation is None:
            return None
        if generation is not self._counted:
            try:
                self._count = graph_sizes(service.graphs, generation.void)[0]
            except OSError:
                # Replaced between two reads: the next scrape reads the newer one.
                return self._count if self._counted else None
            self._counted = generation
        return self._count


class ServiceCollector:
    """What the running service counts, read at scrape time."""

    def __init__(self, state: State, metrics: Metrics) -> None:
        self.state = state
        self.metrics = metrics
        self.triples = PublishedTriples()

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "libassoc_http_requests_in_flight",
            "Requests being answered now (this scrape included).",
            value=self.metrics.in_flight,
        )
        service: Service | None = getattr(self.state, "service", None)
        if service is None:
            return
        engine = service.queries
        yield CounterMetricFamily(
            "libassoc_query_timeouts",
            "Queries stopped at the time limit (each answered 503).",
            value=engine.timeouts,
        )
        yield CounterMetricFamily(
            "libassoc_query_worker_restarts",
            "Query workers replaced (after a timeout, or a worker that ended).",
            value=engine.restarts,
        )
        yield GaugeMetricFamily(
            "libassoc_query_queue",
            "Queries waiting for a free worker now.",
            value=engine.waiting,
        )
        if engine.fairness is not None:
            yield CounterMetricFamily(
                "libassoc_client_refusals",
                "Queries refused with 429: their client had spent its share, or queued too many.",
                value=engine.fairness.refused,
            )
        if engine.kept is not None:
            kept = engine.kept
            yield CounterMetricFamily(
                "libassoc_result_cache_hits",
                "Queries answered with an answer kept from the same query on the same data.",
                value=kept.hits,
            )
            yield CounterMetricFamily(
                "libassoc_result_cache_misses",
                "Queries that had to be evaluated: no answer to them was kept.",
                value=kept.misses,
            )
            yield GaugeMetricFamily(
                "libassoc_result_cache_bytes",
                "Bytes of answers kept now, at most --result-cache-bytes.",
                value=kept.size,
            )
        if service.pages is not None:
            pages = service.pages.pages
            yield CounterMetricFamily(
                "libassoc_page_cache_hits",
                "Pages handed out as kept from an earlier view on the same data.",
                value=pages.hits,
            )
            yield CounterMetricFamily(
                "libassoc_page_cache_misses",
                "Pages that had to be built: none was kept for them.",
                value=pages.misses,
            )
            yield GaugeMetricFamily(
                "libassoc_page_cache_bytes",
                "Bytes of pages kept now, at most --page-cache-bytes.",
                value=pages.size,
            )
        yield GaugeMetricFamily(
            "libassoc_store_generation",
            "Writes published since the server started: the generation queries read.",
            value=service.generation,
        )
        publications = getattr(self.state, "publications", None)
        triples = self.triples.count(service, getattr(publications, "latest", None))
        if triples is not None:
            yield GaugeMetricFamily(
                "libassoc_store_triples",
                "Triples in the merged default graph, as counted for the newest published dumps.",
                value=triples,
            )


class Metrics:
    """The app's registry; watches every exchange (see ``exchanges.WatchedApp``)."""

    def __init__(
        self, state: State, readers: Sequence[Network] = (), proxies: Sequence[Network] = ()
    ) -> None:
        self.readers = readers  # who may read /metrics
        self.proxies = proxies
        self.registry = CollectorRegistry()
        self.in_flight = 0
        self._requests = Counter(
            "libassoc_http_requests",
            "Requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "libassoc_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template.",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._counted: dict[tuple[str, str, int], Counter] = {}
        self._timed: dict[str, Histogram] = {}
        self.registry.register(ServiceCollector(state, self))

    def started(self) -> None:
        self.in_flight += 1

    def finished(self, exchange: Exchange) -> None:
        self.in_flight -= 1
        method = exchange.method if exchange.method in METHODS else "other"
        # The labelled children, kept: ``labels()`` checks and locks on every call.
        key = (method, exchange.route, exchange.status)
        counted = self._counted.get(key)
        if counted is None:
            counted = self._counted[key] = self._requests.labels(method, key[1], str(key[2]))
        counted.inc()
        timed = self._timed.get(exchange.route)
        if timed is None:
            timed = self._timed[exchange.route] = self._latency.labels(exchange.route)
        timed.observe(exchange.seconds)

    async def endpoint(self, request: Request) -> Response:
        address = client_address(request.scope, self.proxies)
        if not within(address, self.readers):
            return PlainTextResponse(
                f"/metrics is not open to {address}: the operator names who may read it "
                "(--metrics-from).\n",
                status_code=403,
                headers=NO_STORE,
            )
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(self.registry), media_type=media_type, headers=NO_STORE)
