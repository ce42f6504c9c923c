"""Abuse refused without losing a worker, greedy clients told to wait, a full queue said so.

One real server of this module's own, with small limits so that each is reached in a second or
two: a 2 s time limit, 1 s of query time per client per 30 s, one query waiting at most.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import WRITE_TOKEN, LiveServer, make_home, start_server

# Four unrelated patterns over the whole graph: trillions of rows, stopped at the time limit.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
ASK = "ASK { ?s ?p ?o }"
MAX_BYTES = 100_000
QUEUE = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = make_home(tmp_path_factory.mktemp("hostile"))
    running = start_server(
        home,
        [
            *("--query-timeout", "2", "--query-workers", "2", "--query-queue", str(QUEUE)),
            *("--client-budget", "1", "--client-window", "30", "--client-concurrency", "1"),
            *("--max-request-bytes", str(MAX_BYTES), "--allow-updates"),
        ],
        env={"LIBASSOC_WRITE_TOKEN": WRITE_TOKEN},
    )
    yield running
    running.stop()


def as_client(name: str) -> dict[str, str]:
    """Fairness tells clients apart by address and User-Agent; every test is its own clients."""
    return {"User-Agent": f"hostile-tests/{name}"}


def worker_pids(server: LiveServer) -> set[int]:
    """The server's query workers (not the child that writes the dumps now and then)."""
    tasks = Path(f"/proc/{server.process.pid}/task")
    children = {
        int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()
    }
    return {pid for pid in children if b"libassoc.engine.worker" in command_line(pid)}


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # ended since it was listed
        return b""


def wait_for_workers(server: LiveServer, count: int = 2) -> set[int]:
    deadline = time.monotonic() + 30
    while len(pids := worker_pids(server)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(pids) >= count, pids
    time.sleep(0.5)  # a worker that has just started opens its checkpoint before it joins
    return pids


def metric(server: LiveServer, name: str) -> float:
    text = httpx.get(server.url + "/metrics").text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not in the metrics"
    return float(found.group(1))


def in_background(
    server: LiveServer, client: str, query: str
) -> tuple[threading.Thread, list[object]]:
    """A query sent on a thread of its own; its answer lands in the list."""
    answers: list[object] = []

    def run() -> None:
        answers.append(
            httpx.get(server.sparql, params={"query": query}, headers=as_client(client), timeout=30)
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answers


def assert_problem(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert "Traceback" not in response.text
    for word in words:
        assert word in response.text, response.text


# --- hostile texts ---------------------------------------------------------------------------

# Each of these ended a worker (a stack overflow in Oxigraph's parser or evaluator) before the
# scanner refused them; none is over the body limit.
TOO_DEEP = {
    "3,000 nested groups": "SELECT * WHERE " + "{" * 3000 + "?s ?p ?o" + "}" * 3000,
    "5,000 nested parentheses": "ASK { FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }",
    "1,000 nested calls": "ASK { FILTER(" + "STR(" * 1000 + "1" + ")" * 1000 + " != '') }",
    "8,000 chained ||": "ASK { FILTER(" + "||".join(["true"] * 8000) + ") }",
    "3,000 BINDs": "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?b{i})" for i in range(3000)) + " }",
}


@pytest.mark.parametrize("text", TOO_DEEP.values(), ids=TOO_DEEP.keys())
def test_a_text_nested_too_deeply_is_refused_before_any_worker_reads_it(
    server: LiveServer, text: str
) -> None:
    pids = wait_for_workers(server)
    restarts = metric(server, "libassoc_query_worker_restarts_total")
    response = httpx.post(server.sparql, data={"query": text}, headers=as_client("deep"))
    assert_problem(response, 400, "nests too deeply", "the limit is 1000")
    update = httpx.post(
        server.url + "/update",
        data={"update": "INSERT { ?s ?p ?o } WHERE " + text.removeprefix("SELECT * WHERE ")},
        headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
    )
    assert_problem(update, 400, "nests too deeply")
    assert worker_pids(server) == pids
    assert metric(server, "libassoc_query_worker_restarts_total") == restarts


def test_a_worker_that_dies_is_replaced_and_its_client_hears_503(server: LiveServer) -> None:
    wait_for_workers(server)
    restarts = metric(server, "libassoc_query_worker_restarts_total")
    thread, answers = in_background(server, "dies", RUNAWAY)
    busy = busiest(server)
    os.kill(busy, signal.SIGKILL)
    thread.join()
    [response] = answers
    assert isinstance(response, httpx.Response)
    assert_problem(response, 503, "worker ended", "Retry")
    assert int(response.headers["retry-after"]) >= 1
    # The log names the query by its hash, never by its text.
    digest = re.search(r"logged as (query:[0-9a-f]+)", response.text)
    assert digest, response.text
    assert digest.group(1) in server.output()
    assert RUNAWAY not in server.output()
    wait_for_workers(server)
    assert busy not in worker_pids(server)
    assert metric(server, "libassoc_query_worker_restarts_total") == restarts + 1
    answered = httpx.get(server.sparql, params={"query": ASK}, headers=as_client("after"))
    assert answered.status_code == 200


def busiest(server: LiveServer) -> int:
    """The worker burning CPU: the one evaluating the runaway query."""

    def cpu(pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # replaced since (an earlier test's query ran out of time)
            return -1
        return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        before = {pid: cpu(pid) for pid in worker_pids(server)}
        time.sleep(0.3)
        grown = {pid: cpu(pid) - ticks for pid, ticks in before.items() if ticks >= 0}
        pid, ticks = max(grown.items(), key=lambda item: item[1], default=(0, 0))
        if ticks >= 10:  # a tenth of a second or more
            return pid
    raise AssertionError("no worker is busy")


def test_a_body_over_the_limit_gets_a_413_the_client_can_read(server: LiveServer) -> None:
    # http.client sends the whole body before it reads the answer, as most clients do: had the
    # server closed the connection early, this would fail with a reset, not see the 413.
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    body = b"query=" + b"x" * 20_000_000
    connection.request(
        "POST", "/sparql", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    response = connection.getresponse()
    assert response.status == 413
    assert f"exceeds {MAX_BYTES} bytes" in response.read().decode()
    connection.close()


def test_a_413_reaches_a_client_that_sends_slowly(server: LiveServer) -> None:
    # The body arrives over a second and a half, long after the server has decided.
    host, port = server.url.removeprefix("http://").split(":")
    chunk, chunks = b"x" * 100_000, 30
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: libassoc\r\n"
            b"Content-Type: application/sparql-query\r\n"
            + f"Content-Length: {len(chunk) * chunks}\r\n\r\n".encode()
        )
        for _ in range(chunks):
            connection.sendall(chunk)
            time.sleep(0.05)
        answer = connection.recv(200)
    assert answer.startswith(b"HTTP/1.1 413 "), answer


# --- fairness ------------------------------------------------------------------------------


def test_a_client_over_its_share_of_query_time_waits_while_others_are_served(
    server: LiveServer,
) -> None:
    greedy = as_client("greedy")
    refusals = metric(server, "libassoc_client_refusals_total")
    spent = httpx.get(server.sparql, params={"query": RUNAWAY}, headers=greedy, timeout=30)
    assert spent.status_code == 503  # 2 s of query time, twice its budget
    refused = httpx.get(server.sparql, params={"query": ASK}, headers=greedy)
    assert_problem(refused, 429, "share of query time", "1 s every 30 s")
    # Its budget refills at 1 s per 30 s: about 30 s until it is positive again.
    assert 15 <= int(refused.headers["retry-after"]) <= 60
    # Another address would not help: X-Forwarded-For counts only from a trusted proxy.
    forged = httpx.get(
        server.sparql, params={"query": ASK}, headers={**greedy, "X-Forwarded-For": "192.0.2.7"}
    )
    assert forged.status_code == 429
    assert metric(server, "libassoc_client_refusals_total") == refusals + 2
    # Everybody else is served as usual, by a worker (a text no one has sent yet).
    polite = httpx.get(
        server.sparql, params={"query": ASK + " # polite"}, headers=as_client("polite")
    )
    assert polite.status_code == 200


def test_pages_are_charged_to_their_client_s_share_too(server: LiveServer) -> None:
    """Rendering a page costs the server as a query does: a client that keeps asking for pages
    built anew is refused as one that keeps querying is, and everybody else is served as usual.
    (A kept page costs nothing and is not charged: hence ``no-cache``.)"""
    reader = {**as_client("page-reader"), "accept": "text/html", "cache-control": "no-cache"}
    with httpx.Client(base_url=server.url, headers=reader) as client:
        for _ in range(2000):
            page = client.get("/org/ala")
            if page.status_code != 200:
                break
    assert_problem(page, 429, "share of query time")
    assert int(page.headers["retry-after"]) >= 1
    other = httpx.get(server.url + "/org/ala", headers={**as_client("other-reader")})
    assert other.status_code == 200


def test_searches_are_charged_to_their_client_s_share_too(tmp_path: Path) -> None:
    # A search of the shipped data takes about a tenth of a millisecond: a small budget.
    budget = ("--client-budget", "0.02", "--client-window", "600")
    server = start_server(make_home(tmp_path), budget)
    try:
        searcher = {**as_client("searcher"), "accept": "application/json"}
        with httpx.Client(base_url=server.url, headers=searcher) as client:
            for _ in range(3000):
                found = client.get("/search", params={"q": "library"})
                if found.status_code != 200:
                    break
        assert_problem(found, 429, "share of query time")
        other = httpx.get(server.url + "/search", params={"q": "a"}, headers=as_client("other"))
        assert other.status_code == 200
    finally:
        server.stop()


def test_a_client_holds_one_worker_and_its_next_query_waits_for_its_own(
    server: LiveServer,
) -> None:
    wait_for_workers(server)
    first, first_answers = in_background(server, "eager", RUNAWAY)
    time.sleep(0.3)
    second, second_answers = in_background(server, "eager", ASK + " # eager")
    time.sleep(0.3)
    # The second worker stays free for others while the first query runs...
    other = httpx.get(server.sparql, params={"query": ASK + " # other"}, headers=as_client("other"))
    assert other.status_code == 200
    # ...and the eager client's second query waits for its first.
    assert first.is_alive() and second.is_alive()
    first.join()
    second.join()
    assert second_answers[0].status_code == 429  # type: ignore[attr-defined]
    [response] = first_answers
    assert isinstance(response, httpx.Response)
    assert response.status_code == 503


def test_a_full_queue_answers_503_with_retry_after(server: LiveServer) -> None:
    wait_for_workers(server)
    busy = []
    for name in ("queue-a", "queue-b", "queue-c"):  # two running, one waiting
        # Each its own text: identical queries running together would share one evaluation.
        busy.append(in_background(server, name, f"{RUNAWAY} # {name}"))
        time.sleep(0.4)
    turned_away = httpx.get(
        server.sparql, params={"query": ASK + " # queued"}, headers=as_client("queue-d")
    )
    assert_problem(turned_away, 503, "queries are waiting")
    assert metric(server, "libassoc_query_queue") == QUEUE
    assert int(turned_away.headers["retry-after"]) >= 1
    for thread, _ in busy:
        thread.join()


def test_identical_runaway_queries_together_cost_one_worker_and_share_its_timeout(
    server: LiveServer,
) -> None:
    wait_for_workers(server)
    timeouts = metric(server, "libassoc_query_timeouts_total")
    text = f"{RUNAWAY} # sent three times at once"
    busy = [in_background(server, name, text) for name in ("same-a", "same-b", "same-c")]
    for thread, _ in busy:
        thread.join()
    for _, (response,) in busy:
        assert isinstance(response, httpx.Response)
        assert_problem(response, 503, "time limit of 2 s")
    assert metric(server, "libassoc_query_timeouts_total") == timeouts + 1


# --- updates ----------------------------------------------------------------------------------


HOSTILE_GRAPH = "https://w3id.org/libassoc/graph/hostile-update"


@pytest.mark.parametrize(
    "slow",
    [
        # Into a graph it names: carried out on a copy. Four hundred UNIONs of the whole graph
        # take minutes.
        f"INSERT {{ GRAPH <{HOSTILE_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ "
        + " UNION ".join(["{ ?s ?p ?o }"] * 400)
        + " }",
        # Into ?g: its WHERE is evaluated on a copy, and the data joined with itself three times
        # over has too many solutions to go through in time.
        f"INSERT {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ BIND(<{HOSTILE_GRAPH}> AS ?g) "
        "?s ?p ?o . ?a ?b ?c . ?x ?y ?z }",
    ],
    ids=["named graph", "any graph"],
)
def test_an_update_that_runs_too_long_is_stopped_and_changes_nothing(
    server: LiveServer, slow: str
) -> None:
    # Carried out to be known (its WHERE must be evaluated): it runs in a process of its own,
    # stopped at the time limit.
    graph = HOSTILE_GRAPH
    auth = {"Authorization": f"Bearer {WRITE_TOKEN}"}
    response = httpx.post(server.url + "/update", data={"update": slow}, headers=auth, timeout=60)
    assert_problem(response, 503, "time limit of 2 s", "nothing was changed")
    asked = httpx.get(server.sparql, params={"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    assert asked.json()["boolean"] is False
    # The writer is free again: the next update is carried out.
    cleared = httpx.post(
        server.url + "/update", data={"update": f"DROP SILENT GRAPH <{graph}>"}, headers=auth
    )
    assert cleared.status_code == 204, cleared.text
