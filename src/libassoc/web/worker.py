"""A query worker: a process holding an in-memory copy of the dataset, answering one job at a time.

pyoxigraph cannot interrupt a running query, so a query that overruns its time limit is stopped
by killing the process that runs it (see ``pool.py``). Each worker keeps its own copy of the
data, sent as N-Quads, because a read-only view of an on-disk store that the web process keeps
writing to is undefined behaviour in RocksDB.

Run as ``python -m libassoc.web.worker``: jobs arrive pickled on stdin, outcomes leave on stdout,
both framed by ``multiprocessing.connection``; stderr is the log.
"""

from __future__ import annotations

import gc
import os
import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from libassoc.web.evaluation import answer
from libassoc.web.snapshot import Ready, Snapshot, load

WORKER_NICENESS = 5


def main() -> None:
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    # stdout carries the protocol now: anything a library prints goes to the log instead.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # Below the web process in priority: a runaway query must not slow the process that parses
    # requests and hands cheap queries to the other workers.
    os.nice(WORKER_NICENESS)
    # The imported modules live as long as the worker: out of the collector's full passes.
    gc.freeze()
    store = ox.Store()
    while True:
        try:
            message = inbox.recv()
        except EOFError:  # the web process has gone
            return
        if isinstance(message, Snapshot):
            store = load(message)
            outbox.send(Ready(message.generation))
        else:
            outbox.send(answer(store, message))


if __name__ == "__main__":
    main()
