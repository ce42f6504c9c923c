"""One generation of what the server publishes about the whole dataset: the dumps, the VoID and
the list of pages its sitemap gives.

All of them read every quad, so the server has them written by a process of its own, from a
checkpoint (or a copy of the remote store), while it goes on answering: ``python -m
libassoc.publication --queries QUERIES (--checkpoint CHECKPOINT | --remote URL) FOLDER``.
The folder is complete once ``void.nt`` is in it; it is written last.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from libassoc import dumps
from libassoc.catalog import QueryCatalog, select
from libassoc.namespaces import BASE
from libassoc.remote.access import RemoteEndpoints
from libassoc.remote.dataset import RemoteDataset
from libassoc.store import DEFAULT_GRAPH
from libassoc.void import describe_dataset

# Reading a whole remote store: far longer than one query may take.
COPY_SECONDS = 3600.0
VOID_FILE = "void.nt"
PAGES_FILE = "pages.txt"
SERVICE_PAGES = ("", "ontology", "shapes", ".well-known/void", "dumps/")


def document_paths(store: ox.Store, catalog: QueryCatalog) -> list[str]:
    """The path of every IRI of ours the store mentions, its hash part dropped (one page each)."""
    paths: set[str] = set(SERVICE_PAGES)
    for (node,) in select(store, catalog, "nodes"):
        if isinstance(node, ox.NamedNode) and node.value.startswith(BASE):
            paths.add(node.value[len(BASE) :].partition("#")[0])
    return sorted(paths)


def write_generation(store: ox.Store, catalog: QueryCatalog, folder: Path) -> None:
    """Every dump, its checksums, the pages, and the VoID and DCAT describing them."""
    dumps.write_all(store, folder)
    pages = document_paths(store, catalog)
    (folder / PAGES_FILE).write_text("".join(f"{path}\n" for path in pages))
    triples = describe_dataset(store, catalog, folder)
    pending = folder / (VOID_FILE + ".part")
    pending.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    pending.rename(folder / VOID_FILE)


def read_pages(folder: Path) -> list[str]:
    return (folder / PAGES_FILE).read_text().splitlines()


def read_void(folder: Path) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(path=folder / VOID_FILE, format=ox.RdfFormat.N_TRIPLES)]


def copy_remote(query_url: str, catalog: QueryCatalog, folder: Path) -> ox.Store:
    """The remote store's named graphs, and their merge as default graph, in a store on disk in
    ``folder``: read once, so the dumps, pages list and VoID come out as they would from the
    embedded store holding the same data, byte for byte."""
    remote = RemoteDataset(RemoteEndpoints.from_environment(query_url), catalog, COPY_SECONDS)
    copy = ox.Store(str(folder))

    def with_merge() -> Iterator[ox.Quad]:
        for quad in remote.quads_for_pattern(None, None, None, None):
            yield quad
            # A triple that several graphs state is added to the default graph once: a store
            # holds each quad once.
            yield ox.Quad(quad.subject, quad.predicate, quad.object, DEFAULT_GRAPH)

    copy.bulk_extend(with_merge())
    remote.close()
    return copy


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m libassoc.publication")
    parser.add_argument("--queries", type=Path, required=True, help="the query catalog's folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", type=Path, help="a checkpoint of the embedded store")
    source.add_argument("--remote", metavar="QUERY_URL", help="the remote store's query URL")
    parser.add_argument("folder", type=Path)
    arguments = parser.parse_args(argv)
    catalog = QueryCatalog.from_dir(arguments.queries)
    os.nice(10)  # behind the web process and the query workers
    if arguments.remote is not None:
        with tempfile.TemporaryDirectory(prefix="libassoc-copy-") as scratch:
            copy = copy_remote(arguments.remote, catalog, Path(scratch) / "store")
            write_generation(copy, catalog, arguments.folder)
            del copy
        return 0
    write_generation(ox.Store.read_only(str(arguments.checkpoint)), catalog, arguments.folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
