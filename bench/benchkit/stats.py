"""Summaries of timed requests: latency percentiles, throughput and libassoc/baseline ratios."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MEDIAN_OF_ROUNDS_FROM = 3


class Timed:
    """The median and p99 of the ``durations`` a timed series holds (seconds)."""

    durations: tuple[float, ...]

    @property
    def median(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    @property
    def p99(self) -> float | None:
        return percentile(self.durations, 99.0) if self.durations else None


@dataclass(frozen=True)
class Phase(Timed):
    """What one run of a query at one concurrency gave: each completed request's seconds."""

    concurrency: int
    durations: tuple[float, ...]
    elapsed: float
    timeouts: int = 0
    errors: int = 0
    skipped: str = ""
    round_rates: tuple[float, ...] = ()  # each round's throughput, when merged from rounds

    @property
    def completed(self) -> int:
        return len(self.durations)

    @property
    def ok(self) -> bool:
        """Every request answered in time and nothing was skipped."""
        return self.completed > 0 and not (self.timeouts or self.errors or self.skipped)

    @property
    def throughput(self) -> float | None:
        """Completed requests per second of wall time, or None when nothing completed.

        Merged from enough rounds, the median round's: a stall of the machine during one round
        would otherwise weigh on the whole figure, and it falls on one server's round only.
        """
        if len(self.round_rates) >= MEDIAN_OF_ROUNDS_FROM:
            return statistics.median(self.round_rates)
        if not self.durations or self.elapsed <= 0:
            return None
        return self.completed / self.elapsed


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with ``pct`` % of values at or below it."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 < pct <= 100.0:
        raise ValueError(f"percentile must be in (0, 100], not {pct}")
    ordered = sorted(values)
    rank = math.ceil(pct / 100.0 * len(ordered))
    return ordered[max(rank, 1) - 1]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is unknown or the denominator is 0.

    Speedups are ``ratio(baseline latency, libassoc latency)`` and
    ``ratio(libassoc throughput, baseline throughput)``: above 1, libassoc is ahead.
    """
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def geometric_mean(values: Sequence[float]) -> float | None:
    positive = [v for v in values if v > 0]
    if not positive:
        return None
    return math.exp(sum(math.log(v) for v in positive) / len(positive))


def merge(phases: Sequence[Phase]) -> Phase:
    """One phase out of several rounds at the same concurrency: their requests and wall time."""
    if not phases:
        raise ValueError("nothing to merge")
    return Phase(
        concurrency=phases[0].concurrency,
        durations=tuple(d for p in phases for d in p.durations),
        elapsed=sum(p.elapsed for p in phases),
        timeouts=sum(p.timeouts for p in phases),
        errors=sum(p.errors for p in phases),
        skipped=next((p.skipped for p in phases if p.skipped), ""),
        round_rates=tuple(rate for p in phases if (rate := p.throughput) is not None),
    )
