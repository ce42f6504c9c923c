"""The ``libassoc`` command: a thin layer over the core modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pyoxigraph as ox

from libassoc import dumps
from libassoc.catalog import QueryCatalog, run
from libassoc.loader import DataFileError
from libassoc.results import RESULT_FORMATS, serialize_result
from libassoc.settings import Paths
from libassoc.store import open_loaded_store
from libassoc.validation import format_report, validate_store

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def _sources(args: argparse.Namespace) -> list[Path]:
    return list(args.paths or args.data or Paths().sources())


def _checked_store(args: argparse.Namespace) -> ox.Store:
    """Load and validate; print why and exit when the data is unreadable or invalid."""
    try:
        paths = Paths()
        store = open_loaded_store(_sources(args))
        checks = QueryCatalog.from_dir(paths.queries).checks()
        outcome = validate_store(store, [paths.shapes], checks)
    except DataFileError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_UNREADABLE) from error
    if not outcome.conforms:
        print(format_report(outcome), file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    return store


def cmd_validate(args: argparse.Namespace) -> int:
    _checked_store(args)
    print("The data conforms to the shapes.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    store = _checked_store(args)
    if args.all:
        for path in dumps.write_all(store, args.all):
            print(path)
        return EXIT_OK
    data = dumps.export(store, dumps.DUMP_FORMATS[args.format])
    if args.output:
        args.output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    target = Path(args.query)
    if target.suffix == ".rq":
        try:
            text = target.read_text(encoding="utf-8")
        except OSError as error:
            print(f"error: {target}: {error.strerror}", file=sys.stderr)
            return EXIT_UNREADABLE
    else:
        try:
            text = QueryCatalog.from_dir(Paths().queries).get(args.query).text
        except KeyError as error:
            print(f"error: {error.args[0]}", file=sys.stderr)
            return EXIT_UNREADABLE
    store = _checked_store(args)
    try:
        result = run(store, text)
        sys.stdout.buffer.write(serialize_result(result, args.format))
    except SyntaxError as error:
        print(f"error: {target}: {error.msg}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="PATH",
        help="a data file or folder (repeatable; default: the shipped ontology and data)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="libassoc", description="The knowledge graph of library associations."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check the data against the SHACL shapes")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.set_defaults(handler=cmd_validate, data=None)

    export = commands.add_parser("export", help="write the whole dataset in one or all syntaxes")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--format", choices=sorted(dumps.DUMP_FORMATS))
    target.add_argument(
        "--all", type=Path, metavar="DIR", help="every syntax, gzipped too, with checksums"
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE")
    _data_option(export)
    export.set_defaults(handler=cmd_export, paths=None)

    query = commands.add_parser("query", help="run a query file or a catalog query by name")
    query.add_argument("query", metavar="FILE.rq|NAME")
    query.add_argument("--format", choices=[*RESULT_FORMATS, "table"], default="table")
    _data_option(query)
    query.set_defaults(handler=cmd_query, paths=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
