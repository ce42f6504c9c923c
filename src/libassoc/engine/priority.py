"""Where the processes doing a client's work stand: below the web process in priority.

A runaway query or update must not slow the process that parses requests and hands cheap
queries to the other workers. Kept apart so that a process that only needs the number does not
import what a query worker imports (rdflib among it: a third of a second for each staged update).
"""

WORKER_NICENESS = 5
