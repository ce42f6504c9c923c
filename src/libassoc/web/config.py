"""What the server needs to know, decided once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from libassoc.settings import Paths


@dataclass(frozen=True)
class ServerConfig:
    """Options of ``libassoc serve``; tests build one per server they start."""

    paths: Paths = field(default_factory=Paths)
    data: tuple[Path, ...] = ()
    store: Path | None = None  # None: an in-memory store
    query_timeout: float = 30.0
    max_result_rows: int = 100_000
    max_request_bytes: int = 1_000_000
    allow_updates: bool = False
    write_token: str | None = None
    allowed_service_endpoints: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[Path, ...]:
        return self.data or self.paths.sources()
