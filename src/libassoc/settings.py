"""Where the project's files live and which limits apply; built once and passed in."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# A built wheel carries a copy of the checkout's folders here (setup.py); a checkout has none.
SHIPPED = Path(__file__).resolve().parent / "shipped"


def project_root() -> Path:
    """The folder that holds ``data/``, ``shapes/``, ``queries/`` and the query UI.

    ``LIBASSOC_HOME`` overrides it, to serve other data laid out the same way.
    """
    override = os.environ.get("LIBASSOC_HOME")
    if override:
        return Path(override)
    return SHIPPED if SHIPPED.is_dir() else Path(__file__).resolve().parents[2]


def state_folder(root: Path) -> Path:
    """Where the store and the conformance stamps are written for the data of ``root``.

    Beside the data, except for the copy inside an installed package: that may be read-only,
    and is replaced by an upgrade, so its state goes to the user's state folder.
    """
    if root != SHIPPED:
        return root / "var"
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "libassoc"


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
    def update_template(self) -> Path:
        """The SPARQL Update a validated write is sent to a remote store as."""
        return self.queries / "remote" / "apply-change.ru"

    @property
    def update_solutions(self) -> Path:
        """The query a DELETE/INSERT ... WHERE update on any graph is found out with."""
        return self.queries / "staged" / "update-solutions.rq.in"

    @property
    def conformance_stamps(self) -> Path:
        """Keys of data, shapes and checks already validated as conforming."""
        return state_folder(self.root) / "conforms"

    @property
    def default_store(self) -> Path:
        return state_folder(self.root) / "store"

    def sources(self) -> tuple[Path, ...]:
        """The files and folders that together make the published dataset."""
        return (self.ontology, self.data)
