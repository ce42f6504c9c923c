"""A SPARQL update carried out on a staged copy of the store, in a process of its own, in time.

pyoxigraph can no more interrupt an update than a query: one whose WHERE matches too much runs
for minutes while every other write waits for it. So it runs in a child process, killed at the
time limit, on the staged copy only; the store itself is changed afterwards, from the difference.

Run as ``python -m libassoc.engine.staging FOLDER`` with the update on stdin: exit 0 once done,
``REFUSED`` or ``UNREACHABLE`` with Oxigraph's reason on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from libassoc.engine.problem import HttpProblem
from libassoc.engine.worker import WORKER_NICENESS

REFUSED = 2  # Oxigraph would not carry it out (CLEAR GRAPH of a graph that is not there, ...)
UNREACHABLE = 3  # an allow-listed SERVICE it calls failed


def update_staged(folder: Path, text: str, limit: float | None) -> None:
    """Carry out ``text`` on the store at ``folder``; HttpProblem when it cannot be, in time."""
    try:
        done = subprocess.run(  # noqa: S603 (our own module; the text goes on stdin)
            [sys.executable, "-m", "libassoc.engine.staging", str(folder)],
            input=text.encode(),
            capture_output=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise HttpProblem(
            503,
            f"The update ran longer than the time limit of {limit:g} s and was stopped; nothing "
            "was changed. Narrow its WHERE, or split it.",
        ) from error
    reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    if done.returncode == REFUSED:
        raise HttpProblem(400, f"The update cannot be carried out: {reason[0]}")
    if done.returncode == UNREACHABLE:
        raise HttpProblem(502, f"The update could not be completed: {reason[0]}")
    if done.returncode != 0:
        raise HttpProblem(
            503, "The process carrying out the update ended unexpectedly; nothing was changed."
        )


def main() -> None:
    os.nice(WORKER_NICENESS)
    store = ox.Store(sys.argv[1])
    try:
        store.update(sys.stdin.read())
    except (RuntimeError, ValueError, SyntaxError) as error:
        print(error, file=sys.stderr)
        raise SystemExit(REFUSED) from error
    except OSError as error:
        print(error, file=sys.stderr)
        raise SystemExit(UNREACHABLE) from error
    store.flush()


if __name__ == "__main__":
    main()
