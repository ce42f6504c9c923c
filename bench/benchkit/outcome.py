"""What a benchmark run found, in plain values: what the report is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchkit.stats import Phase


@dataclass(frozen=True)
class Measurement:
    """One query on one server: the size of its answer and each phase's timings."""

    server: str
    answer: str = ""  # "12 rows", "40 triples", "true"
    failure: str = ""  # why there are no timings: a timeout, an HTTP error
    phases: tuple[Phase, ...] = ()

    def at(self, concurrency: int) -> Phase | None:
        return next((p for p in self.phases if p.concurrency == concurrency), None)


@dataclass(frozen=True)
class QueryResult:
    """One query on both servers."""

    name: str
    kind: str
    group: str  # "competency" (queries/) or "heavy" (bench/queries/)
    candidate: Measurement
    baseline: Measurement
    note: str = ""  # a known, explained difference between the servers' answers

    @property
    def answers_agree(self) -> bool | None:
        """Whether both answers have the same size; None when one of them has no answer."""
        if not self.candidate.answer or not self.baseline.answer:
            return None
        return self.candidate.answer == self.baseline.answer


@dataclass(frozen=True)
class DatasetRun:
    """Every query over one dataset, with the dataset's size and the servers' start-up times."""

    name: str
    description: str
    quads: int
    triples: int
    graphs: int
    startup: dict[str, float] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    results: tuple[QueryResult, ...] = ()
    failure: str = ""
