"""The baseline: rdflib-endpoint 0.6.3 over an rdflib Dataset whose default graph is the union.

Run as ``python bench/baseline.py --data FILE.nq --port P``; it serves ``/sparql`` on 127.0.0.1
the way the ``rdflib-endpoint serve`` command does (rdflib's own in-memory store and engine),
only at the same path as libassoc. Logging is uvicorn's default, as in both servers' commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from rdflib import Dataset
from rdflib_endpoint import SparqlEndpoint


def build_app(data: Path) -> SparqlEndpoint:
    dataset = Dataset(default_union=True)
    dataset.parse(data, format="nquads")
    return SparqlEndpoint(graph=dataset, path="/sparql", public_url="http://127.0.0.1/sparql")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="an N-Quads file")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(build_app(args.data), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
