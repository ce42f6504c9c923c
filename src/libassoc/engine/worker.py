"""A query worker: a process reading one checkpoint of the store, answering one job at a time.

pyoxigraph cannot interrupt a running query, so a query that overruns its time limit is stopped
by killing the process that runs it (see ``pool.py``). A worker holds no copy of the data: it
opens the checkpoint it is sent read-only, in milliseconds whatever the store holds, so starting
or replacing one costs the same at any size.

Run as ``python -m libassoc.engine.worker``: jobs arrive pickled on stdin, outcomes leave on
stdout, both framed by ``multiprocessing.connection``; stderr is the log.
"""

from __future__ import annotations

import gc
import os
import sys
from multiprocessing.connection import Connection

import pyoxigraph as ox

from libassoc.engine.checkpoint import Checkpoint, Opened
from libassoc.engine.evaluation import answer
from libassoc.engine.priority import WORKER_NICENESS


def main() -> None:
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    # stdout carries the protocol now: anything a library prints goes to the log instead.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.nice(WORKER_NICENESS)
    # The imported modules live as long as the worker: out of the collector's full passes.
    gc.freeze()
    store = ox.Store()
    while True:
        try:
            message = inbox.recv()
        except EOFError:  # the web process has gone
            return
        if isinstance(message, Checkpoint):
            store = message.open()
            outbox.send(Opened(message.generation))
        else:
            outbox.send(answer(store, message))


if __name__ == "__main__":
    main()
