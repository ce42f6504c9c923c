"""A SPARQL update carried out on a staged copy of the store, in a process of its own, in time.

pyoxigraph can no more interrupt an update than a query: one whose WHERE matches too much runs
for minutes while every other write waits for it. So it runs in a child process, killed at the
time limit, on the staged copy only; the store itself is changed afterwards, from the difference.

Run as ``python -m libassoc.engine.staging FOLDER update`` with the update on stdin: exit 0 once
done, ``REFUSED`` or ``UNREACHABLE`` with Oxigraph's reason on stderr. With ``select`` instead,
a query's solutions go to stdout (``modify.py`` finds an update's change from them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from libassoc.engine.priority import WORKER_NICENESS
from libassoc.engine.problem import HttpProblem

UPDATE, SELECT = "update", "select"  # carry out an update, or answer a query (JSON results)
REFUSED = 2  # Oxigraph would not carry it out (CLEAR GRAPH of a graph that is not there, ...)
UNREACHABLE = 3  # an allow-listed SERVICE it calls failed


def update_staged(folder: Path, text: str, limit: float | None) -> None:
    """Carry out ``text`` on the store at ``folder``; HttpProblem when it cannot be, in time."""
    _staged(folder, UPDATE, text, limit)


def select_staged(folder: Path, query: str, limit: float | None) -> ox.QuerySolutions:
    """The solutions of the SELECT ``query`` on the store at ``folder``, in time."""
    answer = _staged(folder, SELECT, query, limit)
    solutions = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)  # noqa: S101 (a SELECT's answer)
    return solutions


def _staged(folder: Path, mode: str, text: str, limit: float | None) -> bytes:
    """What the child process writes once it has done ``mode`` with ``text`` on ``folder``."""
    try:
        done = subprocess.run(  # noqa: S603 (our own module; the text goes on stdin)
            [sys.executable, "-m", "libassoc.engine.staging", str(folder), mode],
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
    return done.stdout


def main() -> None:
    os.nice(WORKER_NICENESS)
    folder, mode = sys.argv[1:3]
    store = ox.Store(folder)
    try:
        if mode == SELECT:
            answer = store.query(sys.stdin.read())
            assert isinstance(answer, ox.QuerySolutions)  # noqa: S101 (what the caller sends)
            answer.serialize(sys.stdout.buffer, format=ox.QueryResultsFormat.JSON)
            return
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
