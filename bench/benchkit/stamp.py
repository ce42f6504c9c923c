"""What every bench run records around itself: the machine, the source it ran, when, how long.

A run reads ``src/`` at its start; processes it starts later read it again. ``Stamp.begin``
takes the commit and a digest of ``src/`` at the start, and ``Stamp.note`` says so in the
results when they differ at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchkit import machine
from benchkit.served_report import source_note


@dataclass(frozen=True)
class Stamp:
    root: Path
    facts: dict[str, str]
    source: tuple[str, str]
    date: str
    started: float

    @classmethod
    def begin(cls, root: Path, with_oxigraph: bool = False) -> Stamp:
        facts = machine.facts(root)
        if with_oxigraph:
            facts["oxigraph (server)"] = machine.version("oxigraph")
        return cls(
            root,
            facts,
            (machine.commit(root), machine.source_digest(root)),
            datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            time.monotonic(),
        )

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def note(self) -> str:
        """What to say if ``src/`` changed while the run went on ("" if it did not)."""
        return source_note(
            self.source, (machine.commit(self.root), machine.source_digest(self.root))
        )

    def settings(self, found: dict[str, str]) -> dict[str, str]:
        """``found`` with the length of the whole run and, if ``src/`` changed, a note."""
        found = {**found, "whole run": f"{self.seconds:.0f} s"}
        note = self.note()
        return {**found, "note": note} if note else found


def workdir(stack: ExitStack, given: Path | None, prefix: str) -> Path:
    """``given``, or a temporary folder that goes when ``stack`` closes."""
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        return given
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))


def write_section(output: Path, section: str, splice: Callable[[str, str], str]) -> None:
    """Put ``section`` into ``output`` with ``splice(existing, section)``."""
    existing = output.read_text(encoding="utf-8") if output.exists() else ""
    output.write_text(splice(existing, section), encoding="utf-8")
