"""What an operator relies on (issue #9, item 7), against real servers: ``/health`` and ``/ready``,
``/metrics``, the access log in text and JSON lines, the write token kept out of the logs
(item 6), and a SIGTERM that lets running requests finish within ``--shutdown-timeout``.

Most tests share a server of this module's own (writable, JSON logs, a 2 s query limit), so that
the counts they read change only by what they do themselves.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlencode

import httpx
import pytest
from conftest import LiveServer, make_home, start_server
from prometheus_client.parser import text_string_to_metric_families

from libassoc.web.app import create_app
from libassoc.web.config import ServerConfig

WRITE_TOKEN = f"operations-{uuid.uuid4().hex}"  # unique: found in a log only if leaked
AUTH = {"authorization": f"Bearer {WRITE_TOKEN}"}
TURTLE = {"content-type": "text/turtle"}
SCHEMA = "https://schema.org/"
TEST_GRAPH = "https://w3id.org/libassoc/graph/operations-test"
TEST_ORG = "https://w3id.org/libassoc/org/operations-test"
ORG_TURTLE = f'<{TEST_ORG}> a <{SCHEMA}Organization> ; <{SCHEMA}name> "Operations"@en .\n'
ALA_ASK = "ASK { <https://w3id.org/libassoc/org/ala> ?p ?o }"
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
START_LINE = "Starting the server:"
TEXT_ACCESS_LINE = re.compile(
    r'^INFO:\s+127\.0\.0\.1 - "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<status>\d{3}) '
    r"(?P<bytes>\d+) B (?P<ms>\d+\.\d) ms$"
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def operated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = make_home(tmp_path_factory.mktemp("operated"))
    running = start_server(
        home,
        ["--allow-updates", "--log-format", "json", "--query-timeout", "2"],
        env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN},
    )
    yield running
    running.stop()


@pytest.fixture
def operator(operated: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=operated.url, timeout=60) as session:
        yield session
        session.delete("/store", params={"graph": TEST_GRAPH}, headers=AUTH)


def scrape(client: httpx.Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return value(samples, "libassoc_http_requests_total", **labels)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.1)


def access_lines(server: LiveServer) -> list[dict[str, object]]:
    lines = []
    for line in server.output().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("logger") == "libassoc.access":
                lines.append(entry)
    return lines


# --- /health and /ready ---------------------------------------------------------------------------


def test_health_and_ready_on_a_running_server(operator: httpx.Client) -> None:
    health = operator.get("/health")
    assert (health.status_code, health.text) == (200, "ok\n")
    ready = operator.get("/ready")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    for response in (health, ready):
        assert response.headers["cache-control"] == "no-store"


def test_ready_is_503_until_the_service_has_started() -> None:
    # The app without its lifespan: the store is not open and no worker runs, as at start-up.
    async def probe() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(ServerConfig()))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get("/health"), await client.get("/ready")

    health, ready = asyncio.run(probe())
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["retry-after"].isdigit()


def test_apps_built_side_by_side_keep_their_metrics_apart() -> None:
    async def scrape_after_probing() -> tuple[str, str]:
        probed, other = create_app(ServerConfig()), create_app(ServerConfig())
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=probed), base_url="http://a") as a,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://b") as b,
        ):
            await a.get("/health")
            return (await a.get("/metrics")).text, (await b.get("/metrics")).text

    probed, other = asyncio.run(scrape_after_probing())
    assert 'route="/health"' in probed
    assert 'route="/health"' not in other


# --- /metrics -------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_and_status(operator: httpx.Client) -> None:
    before = scrape(operator)
    unknown = [f"/no-such-thing-{uuid.uuid4().hex}" for _ in range(3)]
    for path in unknown:
        assert operator.get(path).status_code == 404
    assert operator.post(unknown[0]).status_code == 405
    assert operator.get("/org/ala", headers={"accept": "text/turtle"}).status_code == 200
    assert operator.get("/sparql", params={"query": ALA_ASK}).status_code == 200
    assert operator.get("/sparql", params={"query": "ASK {"}).status_code == 400
    assert operator.get("/health").status_code == 200
    after = scrape(operator)

    def grown(method: str, route: str, status: int) -> float:
        return requests(after, method, route, status) - requests(before, method, route, status)

    # The linked-data catch-all is one label whatever the path: unknown paths included.
    assert grown("GET", "/{rest:path}", 404) == 3
    assert grown("POST", "/{rest:path}", 405) == 1
    assert grown("GET", "/{rest:path}", 200) == 1
    assert grown("GET", "/sparql", 200) == 1
    assert grown("GET", "/sparql", 400) == 1
    assert grown("GET", "/health", 200) == 1
    routes = {dict(labels).get("route") for _, labels in after}
    assert not [route for route in routes if route and "no-such-thing" in route], routes


def test_latency_is_a_histogram_by_route(operator: httpx.Client) -> None:
    name = "libassoc_http_request_duration_seconds"
    before = scrape(operator)
    for _ in range(3):
        assert operator.get("/sparql", params={"query": ALA_ASK}).status_code == 200
    after = scrape(operator)
    for suffix, labels in (("_count", {}), ("_bucket", {"le": "+Inf"})):
        grown = value(after, name + suffix, route="/sparql", **labels) - value(
            before, name + suffix, route="/sparql", **labels
        )
        assert grown == 3
    assert value(after, name + "_bucket", route="/sparql", le="60.0") == value(
        after, name + "_count", route="/sparql"
    )
    assert value(after, name + "_sum", route="/sparql") > value(
        before, name + "_sum", route="/sparql"
    )


def test_query_timeouts_and_worker_restarts_are_counted(operator: httpx.Client) -> None:
    before = scrape(operator)
    response = operator.get("/sparql", params={"query": RUNAWAY})
    assert response.status_code == 503
    after = scrape(operator)
    for counter in ("libassoc_query_timeouts_total", "libassoc_query_worker_restarts_total"):
        assert value(after, counter) - value(before, counter) == 1, counter
    # The 503 is in the request counts too, by its status.
    assert requests(after, "GET", "/sparql", 503) - requests(before, "GET", "/sparql", 503) == 1


def triples_by_query(client: httpx.Client) -> int:
    response = client.get("/sparql", params={"query": COUNT_TRIPLES})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_triples_in_the_store_follow_each_write(operator: httpx.Client) -> None:
    # The count comes from the published VoID; the first dumps are written just after start-up.
    wait_for(
        lambda: value(scrape(operator), "libassoc_store_triples") == triples_by_query(operator),
        60,
        "the triples gauge matches a count by query",
    )
    generation = value(scrape(operator), "libassoc_store_generation")
    put = operator.put(
        "/store", params={"graph": TEST_GRAPH}, content=ORG_TURTLE, headers={**TURTLE, **AUTH}
    )
    assert put.status_code == 201, put.text
    assert value(scrape(operator), "libassoc_store_generation") == generation + 1
    now = triples_by_query(operator)
    wait_for(
        lambda: value(scrape(operator), "libassoc_store_triples") == now,
        60,
        f"the triples gauge follows the write to {now}",
    )


def test_metrics_are_for_the_addresses_the_operator_names() -> None:
    def status(config: ServerConfig, peer: str, forwarded: str | None = None) -> httpx.Response:
        async def scrape_once() -> httpx.Response:
            transport = httpx.ASGITransport(app=create_app(config), client=(peer, 40000))
            headers = {"x-forwarded-for": forwarded} if forwarded else {}
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                return await client.get("/metrics", headers=headers)

        return asyncio.run(scrape_once())

    default = ServerConfig()
    assert status(default, "127.0.0.1").status_code == 200
    assert status(default, "::1").status_code == 200
    stranger = status(default, "203.0.113.9")
    assert stranger.status_code == 403
    assert "203.0.113.9" in stranger.text and "--metrics-from" in stranger.text
    # Forged forwarding counts for nothing; a trusted proxy's does.
    assert status(default, "127.0.0.1", "203.0.113.9").status_code == 200
    proxied = ServerConfig(trusted_proxies=("127.0.0.1",))
    assert status(proxied, "127.0.0.1", "203.0.113.9").status_code == 403
    assert status(proxied, "127.0.0.1").status_code == 200
    # The operator's list replaces this machine.
    named = ServerConfig(metrics_from=("198.51.100.0/24",))
    assert status(named, "198.51.100.7").status_code == 200
    assert status(named, "127.0.0.1").status_code == 403


def test_a_metrics_reader_that_is_no_address_stops_the_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "libassoc", "serve", "--metrics-from", "everyone"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--metrics-from" in done.stderr and "everyone" in done.stderr
    assert "Traceback" not in done.stderr


def test_openmetrics_when_asked(operator: httpx.Client) -> None:
    response = operator.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    plain = operator.get("/metrics")
    assert plain.headers["content-type"].startswith("text/plain")
    assert "# TYPE libassoc_http_requests_total counter" in plain.text


# --- the access log -------------------------------------------------------------------------------


def test_one_json_line_per_request(operated: LiveServer, operator: httpx.Client) -> None:
    secret = uuid.uuid4().hex
    path = f"/json-log-{uuid.uuid4().hex}"
    response = operator.get(path, params={"key": secret})
    assert response.status_code == 404
    assert operator.get("/sparql", params={"query": ALA_ASK, "key": secret}).status_code == 200

    wait_for(
        lambda: any(entry["path"] == path for entry in access_lines(operated)),
        5,
        "the access line is written",
    )
    found = [entry for entry in access_lines(operated) if entry["path"] == path]
    assert len(found) == 1, found
    entry = found[0]
    assert entry["method"] == "GET"
    assert entry["status"] == 404
    assert entry["route"] == "/{rest:path}"
    assert entry["client"] == "127.0.0.1"
    assert entry["bytes"] == len(response.content)
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] > 0
    output = operated.output()
    assert secret not in output  # query strings are not logged
    # Every line after start-up is a JSON object: uvicorn's own lines and warnings too.
    after_start = output.split(START_LINE, 1)[1].splitlines()[1:]
    assert after_start
    for line in after_start:
        assert isinstance(json.loads(line), dict), line


def test_one_text_line_per_request(server: LiveServer) -> None:
    secret = uuid.uuid4().hex
    path = f"/text-log-{uuid.uuid4().hex}"
    response = httpx.get(server.url + path, params={"key": secret})
    assert response.status_code == 404

    def lines() -> list[str]:
        return [line for line in server.output().splitlines() if path in line]

    wait_for(lambda: bool(lines()), 5, "the access line is written")
    assert len(lines()) == 1, lines()  # uvicorn's own access log is off
    line = TEXT_ACCESS_LINE.match(lines()[0])
    assert line, lines()
    assert (line["method"], line["path"], line["status"]) == ("GET", path, "404")
    assert int(line["bytes"]) == len(response.content)
    assert secret not in server.output()


def test_the_write_token_is_never_logged(operated: LiveServer, operator: httpx.Client) -> None:
    target = {"graph": TEST_GRAPH}
    accepted = operator.put("/store", params=target, content=ORG_TURTLE, headers={**TURTLE, **AUTH})
    assert accepted.status_code in (201, 204), accepted.text
    refused = operator.put(
        "/store",
        params=target,
        content=ORG_TURTLE,
        headers={**TURTLE, "authorization": f"Bearer {WRITE_TOKEN}x"},
    )
    assert refused.status_code == 401
    # A client that puts the token where it does not belong.
    misplaced = operator.put(
        "/store", params={**target, "token": WRITE_TOKEN}, content=ORG_TURTLE, headers=TURTLE
    )
    assert misplaced.status_code == 401
    broken = operator.post(
        "/update",
        content="INSERT DATA {",
        headers={**AUTH, "content-type": "application/sparql-update"},
    )
    assert broken.status_code == 400

    wait_for(
        lambda: sum(entry["path"] == "/update" for entry in access_lines(operated)) >= 1,
        5,
        "the access lines are written",
    )
    statuses = {
        (entry["method"], entry["status"])
        for entry in access_lines(operated)
        if entry["path"] in ("/store", "/update")
    }
    assert {("PUT", accepted.status_code), ("PUT", 401), ("POST", 400)} <= statuses
    assert WRITE_TOKEN not in operated.output()


# --- graceful shutdown ----------------------------------------------------------------------------


def slow_body(text: str, seconds: float) -> Iterator[bytes]:
    """``text`` sent a part every quarter second over ``seconds``: a request running that long."""
    body = text.encode()
    parts = max(1, int(seconds * 4))
    size = -(-len(body) // parts)
    for start in range(0, len(body), size):
        yield body[start : start + size]
        time.sleep(seconds / parts)


def send_slowly(server: LiveServer, seconds: float) -> Future[httpx.Response]:
    form = urlencode({"query": ALA_ASK})
    pool = ThreadPoolExecutor(max_workers=1)
    running = pool.submit(
        httpx.post,
        server.sparql,
        content=slow_body(form, seconds),
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "accept": "application/sparql-results+json",
        },
        timeout=60,
    )
    pool.shutdown(wait=False)
    return running


def in_flight(server: LiveServer) -> float:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return value(scrape(client), "libassoc_http_requests_in_flight")


def test_sigterm_lets_a_running_request_finish(tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_server(
        make_home(tmp_path_factory.mktemp("graceful")), ["--shutdown-timeout", "20"]
    )
    try:
        running = send_slowly(server, seconds=5)
        # Itself and the slow request.
        wait_for(lambda: in_flight(server) >= 2, 10, "the slow request is running")
        server.process.send_signal(signal.SIGTERM)
        response = running.result(timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()["boolean"] is True
        # Once shut down, uvicorn raises the signal again: a supervisor sees why it ended.
        assert server.process.wait(timeout=30) == -signal.SIGTERM
        output = server.output()
        # The request was still running when the server began to shut down.
        assert output.index("Shutting down") < output.index('"POST /sparql HTTP/1.1" 200')
        assert "Application shutdown complete" in output
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url + "/health", timeout=5)
    finally:
        server.stop()


def test_sigterm_stops_a_request_that_outlasts_the_bound(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    server = start_server(
        make_home(tmp_path_factory.mktemp("bounded")), ["--shutdown-timeout", "1"]
    )
    try:
        running = send_slowly(server, seconds=20)
        wait_for(lambda: in_flight(server) >= 2, 10, "the slow request is running")
        server.process.send_signal(signal.SIGTERM)
        try:
            exit_code = server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server outlived its shutdown timeout:\n{server.output()}")
        assert exit_code == -signal.SIGTERM
        assert "timeout graceful shutdown exceeded" in server.output()
        try:
            cut_off = running.result(timeout=30).status_code
        except httpx.TransportError:
            cut_off = None
        assert cut_off != 200
    finally:
        server.stop()


def test_a_repeated_query_is_answered_from_the_kept_answers_until_a_write(
    operator: httpx.Client,
) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # kept"

    def counted() -> tuple[int, float, float]:
        response = operator.get("/sparql", params={"query": query})
        assert response.status_code == 200, response.text
        samples = scrape(operator)
        n = int(response.json()["results"]["bindings"][0]["n"]["value"])
        hits = value(samples, "libassoc_result_cache_hits_total")
        return n, hits, value(samples, "libassoc_result_cache_misses_total")

    n, hits, misses = counted()
    assert counted() == (n, hits + 1, misses)
    fresh = operator.get("/sparql", params={"query": query}, headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200
    assert value(scrape(operator), "libassoc_result_cache_hits_total") == hits + 1
    put = operator.put(
        "/store",
        params={"graph": TEST_GRAPH + "-kept"},
        content=ORG_TURTLE,
        headers={**TURTLE, **AUTH},
    )
    assert put.status_code == 201, put.text
    after_write, *_ = counted()
    assert after_write > n, "a write empties the kept answers: the count is of the new data"


def test_a_page_viewed_again_is_kept_until_a_write_and_can_be_revalidated(
    operator: httpx.Client,
) -> None:
    graph, organization = TEST_GRAPH + "-page", TEST_ORG + "-page"
    path = organization.removeprefix("https://w3id.org/libassoc")

    def put(name: str) -> None:
        turtle = f'<{organization}> a <{SCHEMA}Organization> ; <{SCHEMA}name> "{name}"@en .\n'
        answer = operator.put(
            "/store", params={"graph": graph}, content=turtle, headers=TURTLE | AUTH
        )
        assert answer.status_code in (201, 204), answer.text

    def viewed(**headers: str) -> tuple[httpx.Response, float, float]:
        response = operator.get(path, headers={"accept": "text/html", **headers})
        samples = scrape(operator)
        hits = value(samples, "libassoc_page_cache_hits_total")
        return response, hits, value(samples, "libassoc_page_cache_misses_total")

    try:
        put("Kept Pages Test")
        first, hits, misses = viewed()
        assert first.status_code == 200 and "Kept Pages Test" in first.text
        assert first.headers["content-type"].startswith("text/html")
        etag = first.headers["etag"]
        again, *counts = viewed()
        assert (again.content, again.headers["etag"], counts) == (
            first.content,
            etag,
            [hits + 1, misses],
        )
        assert again.headers["content-security-policy"], (
            "a kept page gets every header a built one does"
        )
        turtle, *counts = viewed(accept="text/turtle")
        assert turtle.headers["content-type"].startswith("text/turtle"), "kept per representation"
        assert counts == [hits + 1, misses + 1]
        unchanged, *counts = viewed(**{"if-none-match": etag})
        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged.headers["etag"] == etag and "Accept" in unchanged.headers["vary"]
        rebuilt, *counts = viewed(**{"cache-control": "no-cache"})
        # Built again (not a hit), to the same bytes.
        assert (rebuilt.headers["etag"], counts) == (etag, [hits + 2, misses + 1])

        put("Renamed Kept Pages Test")
        renamed, *_ = viewed(**{"if-none-match": etag})
        assert renamed.status_code == 200, "the page changed with the data: the old copy is stale"
        assert "Renamed Kept Pages Test" in renamed.text
        assert renamed.headers["etag"] != etag
    finally:
        operator.delete("/store", params={"graph": graph}, headers=AUTH)
