"""What a scale run found, in plain values: the scale report and plot are drawn from these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from benchkit.outcome import Measurement
from benchkit.writes import WriteSeries

LIBASSOC, OXIGRAPH, BASELINE = "libassoc", "oxigraph", "rdflib-endpoint"
SERVERS = (LIBASSOC, OXIGRAPH, BASELINE)
FLOOR = OXIGRAPH  # what every cost is divided by
# libassoc's queries again, each request with Cache-Control: no-cache: what evaluating a query
# costs, where the plain runs after the first are answered from the answers libassoc keeps.
EVALUATED = "libassoc-evaluated"
FRESH = (("Cache-Control", "no-cache"),)


@dataclass(frozen=True)
class ServerRun:
    """One server over one size of data: its life from cold start to restart."""

    name: str
    skipped: str = ""  # why it was not run at this size
    failure: str = ""  # why it stopped short (did not start, say)
    cold_start: float | None = None  # seconds, from the first command until a query answered
    cold_parts: tuple[tuple[str, float], ...] = ()  # e.g. (("load", 12.0), ("serve", 0.4))
    restart: float | None = None  # seconds, on the same store, until a query answered
    peak_rss: int | None = None  # bytes, summed over the process tree, the whole run's largest
    writes: Mapping[str, WriteSeries] = field(default_factory=dict)
    export: float | None = None  # seconds to download the whole dataset as N-Quads over HTTP
    export_lines: int | None = None  # quads in that download
    export_how: str = ""
    export_offline: float | None = None  # seconds for the store's own dump command
    restarts_after_timeout: int = 0
    notes: tuple[str, ...] = ()

    @property
    def ran(self) -> bool:
        return not self.skipped


@dataclass(frozen=True)
class ScaleQuery:
    """One query on every server that ran at this size."""

    name: str
    kind: str
    group: str
    measurements: tuple[Measurement, ...]
    note: str = ""  # a known difference between the answers (bench/queries headers)

    def of(self, server: str) -> Measurement | None:
        return next((m for m in self.measurements if m.server == server), None)


@dataclass(frozen=True)
class SizeRun:
    """Everything measured at one size."""

    label: str  # "100k", "1m"
    quads: int  # in named graphs, as loaded into each server
    triples: int  # distinct: the default graph, their merge
    graphs: int
    servers: tuple[ServerRun, ...] = ()
    queries: tuple[ScaleQuery, ...] = ()
    failure: str = ""

    def server(self, name: str) -> ServerRun | None:
        return next((s for s in self.servers if s.name == name), None)


@dataclass(frozen=True)
class ScaleInfo:
    """What the report says about the run as a whole."""

    date: str
    machine: Mapping[str, str]
    settings: Mapping[str, str]
    timeout: float  # the client's cap on one query, in seconds
