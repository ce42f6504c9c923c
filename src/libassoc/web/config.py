"""What the server needs to know, decided once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from libassoc.engine.fairness import Shares
from libassoc.engine.pool import DEFAULT_QUEUE
from libassoc.engine.result_cache import DEFAULT_CAPACITY, DEFAULT_PAGE_CAPACITY
from libassoc.remote.access import RemoteEndpoints
from libassoc.settings import Paths

LOOPBACK = ("127.0.0.0/8", "::1")


@dataclass(frozen=True)
class ServerConfig:
    """Options of ``libassoc serve``; tests build one per server they start."""

    paths: Paths = field(default_factory=Paths)
    data: tuple[Path, ...] = ()
    store: Path | None = None  # None: a store in a temporary folder, removed at the end
    # A remote SPARQL store to serve instead of the embedded one (``--remote-query``).
    remote: RemoteEndpoints | None = None
    query_timeout: float = 30.0
    max_result_rows: int = 100_000
    max_request_bytes: int = 1_000_000
    allow_updates: bool = False
    write_token: str | None = None
    allowed_service_endpoints: tuple[str, ...] = ()
    # Each client's share (see engine/fairness.py), and how many queries may wait for a worker.
    shares: Shares = field(default_factory=Shares)
    query_queue: int = DEFAULT_QUEUE
    # Bytes of answers kept until the next write (engine/result_cache.py); 0 keeps none.
    result_cache_bytes: int = DEFAULT_CAPACITY
    # Bytes of pages kept until the next write (web/kept_pages.py); 0 keeps none.
    page_cache_bytes: int = DEFAULT_PAGE_CAPACITY
    # Proxies whose X-Forwarded-For is believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    # Who may read /metrics (addresses or networks): this machine, unless the operator says more.
    metrics_from: tuple[str, ...] = LOOPBACK
    # Workers read checkpoints, so each costs only its process; two keep a cheap query free while
    # another runs long.
    query_workers: int = field(default_factory=lambda: max(2, min(4, os.cpu_count() or 2)))

    @property
    def assets(self) -> Path:
        """Where ``make assets`` (npm ci) put the query UI; a wheel has a copy at the same place."""
        return self.paths.root / "node_modules" / "@zazuko" / "yasgui" / "build"

    @property
    def sources(self) -> tuple[Path, ...]:
        return self.data or self.paths.sources()
