"""Where the project's files live and which limits apply; built once and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def project_root() -> Path:
    """The checkout that holds ``data/``, ``shapes/`` and ``queries/``.

    ``LIBASSOC_HOME`` overrides it, for an installation outside the checkout.
    """
    override = os.environ.get("LIBASSOC_HOME")
    return Path(override) if override else Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """The folders the core reads from."""

    root: Path = field(default_factory=project_root)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def conformance_stamps(self) -> Path:
        """Keys of data, shapes and checks already validated as conforming."""
        return self.root / "var" / "conforms"

    @property
    def default_store(self) -> Path:
        return self.root / "var" / "store"

    def sources(self) -> tuple[Path, ...]:
        """The files and folders that together make the published dataset."""
        return (self.ontology, self.data)
