"""Writes: a new person, by Graph Store POST or by SPARQL ``INSERT DATA``; a name for the ALA; and
that name changed by a ``DELETE``/``INSERT ... WHERE`` on ``GRAPH ?g``.

Each person write describes a different person in ten triples, shaped like the people of the
shipped data and of ``synthetic.py`` (``shapes/person.ttl``: an IRI under ``person/``, a name,
typed life dates, affiliations to organizations that exist), so that libassoc, which validates
every write against the shapes, accepts it. The ALA is the node most of the data points at: a
write describing it is where a validator that reads what points at a node pays most. The
``GRAPH ?g`` update changes one of the names the previous kind wrote, wherever it is: an update
that does not name its graph. Oxigraph takes the same bytes without validation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from rdflib.namespace import RDF, SDO, XSD

from benchkit.stats import Timed
from benchkit.workload import RequestFailure, RequestTimeout, client
from libassoc.namespaces import ENTITY, GRAPH

# Organizations of the shipped data: the affiliations point at them.
AFFILIATIONS = ("org/ala", "org/boston-public-library")
GSP, UPDATE = "Graph Store POST", "SPARQL INSERT DATA"
HUB, ANY_GRAPH = "a name for the ALA, INSERT DATA", "that name changed, WHERE on GRAPH ?g"
KINDS = (GSP, UPDATE, HUB, ANY_GRAPH)  # ANY_GRAPH changes what HUB wrote: after it


def _iri(value: object) -> ox.NamedNode:
    return ox.NamedNode(str(value))


def en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def person(kind: str, n: int) -> tuple[ox.NamedNode, list[ox.Triple]]:
    """The ``n``-th person written by ``kind`` (``gsp`` or ``update``): its IRI and triples."""
    subject = _iri(ENTITY[f"person/bench-{kind}-writer-{n}"])
    year = 1850 + n % 100

    def say(predicate: str, value: ox.NamedNode | ox.Literal) -> ox.Triple:
        return ox.Triple(subject, _iri(SDO[predicate]), value)

    triples = [
        ox.Triple(subject, _iri(RDF.type), _iri(SDO.Person)),
        say("name", ox.Literal(f"Bench Writer {kind} {n}")),
        say("alternateName", ox.Literal(f"B. W. {kind} {n}")),
        say("description", en(f"A person written by the scale benchmark ({kind} {n}).")),
        say("jobTitle", en("librarian")),
        say("birthDate", ox.Literal(str(year), datatype=_iri(XSD.gYear))),
        say("deathDate", ox.Literal(f"{year + 70}-05-17", datatype=_iri(XSD.date))),
        say("url", ox.Literal(f"https://example.org/bench/{kind}/{n}", datatype=_iri(XSD.anyURI))),
        *(say("affiliation", _iri(ENTITY[org])) for org in AFFILIATIONS),
    ]
    return subject, triples


def ntriples(triples: list[ox.Triple]) -> str:
    return "".join(f"{triple} .\n" for triple in triples)


def graph_for(kind: str) -> str:
    """The named graph one kind of write goes to: created by the first write, added to after."""
    return str(GRAPH[f"bench-writes-{kind}"])


def insert_data(graph: str, triples: list[ox.Triple]) -> str:
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{ntriples(triples)}}} }}"


@dataclass(frozen=True)
class WriteRequest:
    """One write as it goes over the wire."""

    url: str
    body: bytes
    content_type: str


def hub_name(n: int) -> ox.Literal:
    return en(f"Bench name {n}")


def renamed(n: int) -> str:
    """The update changing the ``n``-th name the HUB writes gave the ALA, in whichever graph."""
    ala, name = _iri(ENTITY["org/ala"]), _iri(SDO.alternateName)
    old, new = hub_name(n), en(f"Bench name {n}, changed")
    return (
        f"DELETE {{ GRAPH ?g {{ {ala} {name} {old} }} }} "
        f"INSERT {{ GRAPH ?g {{ {ala} {name} {new} }} }} "
        f"WHERE {{ GRAPH ?g {{ {ala} {name} {old} }} }}"
    )


def requests(kind: str, store_url: str, update_url: str, count: int) -> Iterator[WriteRequest]:
    """``count`` writes of one kind, each a different person (GSP, UPDATE) or name (HUB,
    ANY_GRAPH)."""
    short = {GSP: "gsp", UPDATE: "update", HUB: "hub", ANY_GRAPH: "hub"}[kind]
    graph = graph_for(short)
    ala = _iri(ENTITY["org/ala"])
    for n in range(count):
        if kind in (HUB, ANY_GRAPH):
            triple = ox.Triple(ala, _iri(SDO.alternateName), hub_name(n))
            text = insert_data(graph, [triple]) if kind == HUB else renamed(n)
            yield WriteRequest(update_url, text.encode(), "application/sparql-update")
            continue
        _, triples = person(short, n)
        if kind == GSP:
            # N-Triples is Turtle too; text/turtle is what both servers are sent.
            url = f"{store_url}?{urlencode({'graph': graph})}"
            yield WriteRequest(url, ntriples(triples).encode(), "text/turtle")
        else:
            text = insert_data(graph, triples)
            yield WriteRequest(update_url, text.encode(), "application/sparql-update")


@dataclass(frozen=True)
class WriteSeries(Timed):
    """Repeated writes of one kind: each accepted write's seconds, and each failure's reason."""

    durations: tuple[float, ...] = ()
    failures: tuple[str, ...] = ()
    skipped: str = ""  # why no write was sent

    @property
    def attempted(self) -> int:
        return len(self.durations) + len(self.failures)


async def run_writes(
    writes: Iterator[WriteRequest],
    headers: Mapping[str, str],
    budget_seconds: float,
    timeout: float,
) -> WriteSeries:
    """Send the writes one after another until they run out or ``budget_seconds`` is spent.

    A write counts as accepted on a 2xx status; anything else is a failure with its status and
    the start of the answer (libassoc's 422 carries the SHACL report).
    """
    durations: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    async with client(1, timeout) as http:
        for write in writes:
            if (durations or failures) and time.perf_counter() - started >= budget_seconds:
                break
            sent = time.perf_counter()
            try:
                async with http.post(
                    write.url,
                    data=write.body,
                    headers={
                        **headers,
                        "Content-Type": write.content_type,
                        "Accept": "application/json",
                    },
                ) as response:
                    body = await response.read()
                seconds = time.perf_counter() - sent
            except RequestTimeout:
                failures.append(f"timeout (> {timeout:g} s)")
                continue
            except RequestFailure as error:
                failures.append(f"request failed: {error!r}")
                continue
            if 200 <= response.status < 300:
                durations.append(seconds)
            else:
                failures.append(describe_failure(response.status, body))
    return WriteSeries(tuple(durations), tuple(failures))


def describe_failure(status: int, body: bytes, shown: int = 4) -> str:
    """A refused write in one line: the status, and for a SHACL report each shape and focus."""
    try:
        report = json.loads(body)
    except ValueError:
        report = None
    results = report.get("results") if isinstance(report, dict) else None
    if not isinstance(report, dict) or not isinstance(results, list):
        excerpt = body[:200].decode("utf-8", "replace").replace("\n", " ").strip()
        return f"HTTP {status}: {excerpt}"
    found = sorted(
        {
            f"{result.get('shape', '?')} at {result.get('focus', '?')}"
            for result in results
            if isinstance(result, dict)
        }
    )
    listed = "; ".join(found[:shown])
    if len(found) > shown:
        listed += f"; and {len(found) - shown} more"
    message = str(report.get("message", "")).strip()
    return f"HTTP {status}: {message} Violations: {listed or 'none listed'}"
