"""The ``libassoc`` command: a thin layer over the core modules."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pyoxigraph as ox

from libassoc import dumps
from libassoc.catalog import QueryCatalog, run
from libassoc.conformance import NonConformingError, open_conforming
from libassoc.engine.fairness import Shares
from libassoc.engine.pool import DEFAULT_QUEUE
from libassoc.engine.result_cache import DEFAULT_CAPACITY, DEFAULT_PAGE_CAPACITY
from libassoc.loader import DataFileError
from libassoc.namespaces import BASE
from libassoc.push import DEFAULT, PART_TRIPLES, TOKEN_VARIABLE, PushedGraph, PushError, push
from libassoc.remote.access import (
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    BearerAuth,
    RemoteEndpoints,
    auth_from,
)
from libassoc.remote.dataset import RemoteDataset
from libassoc.remote.probe import RemoteStoreError, check_remote
from libassoc.results import RESULT_FORMATS, serialize_result
from libassoc.settings import Paths
from libassoc.store import StoreLocationError, quiet
from libassoc.validation import ShapesError, format_report

if TYPE_CHECKING:
    from fastapi import FastAPI

    from libassoc.web.config import ServerConfig

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_REFUSED = 0, 1, 2, 3


def _sources(args: argparse.Namespace) -> list[Path]:
    return list(args.paths or args.data or Paths().sources())


def _checked_store(args: argparse.Namespace, trust_stamp: bool = True) -> ox.Store:
    """Load and validate; print why and exit when the data is unreadable or invalid.

    Files already found to conform (same data, shapes, checks and validator) leave a stamp,
    and a later ``query`` or ``export`` trusts it.
    """
    paths = Paths()
    try:
        checks = QueryCatalog.from_dir(paths.queries).checks()
        store, _ = open_conforming(
            _sources(args),
            [paths.shapes],
            checks,
            None,
            paths.conformance_stamps,
            trust_stamp=trust_stamp,
        )
    except (DataFileError, ShapesError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_UNREADABLE) from error
    except NonConformingError as error:
        print(format_report(error.outcome), file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from error
    return store


def cmd_validate(args: argparse.Namespace) -> int:
    _checked_store(args, trust_stamp=False)
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


def _write_token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as error:
            print(f"error: {args.token_file}: {error.strerror}", file=sys.stderr)
            raise SystemExit(EXIT_UNREADABLE) from error
    return os.environ.get("LIBASSOC_WRITE_TOKEN") or None


def _progress(message: str) -> None:
    # On stderr with uvicorn's own lines, flushed: a user waits on each step as it happens.
    print(message, file=sys.stderr, flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    # The web layer loads only here, so the other commands start without it.
    from libassoc.web.app import create_app, open_checked_store
    from libassoc.web.clients import trusted_networks
    from libassoc.web.config import LOOPBACK, ServerConfig

    for option, networks in (
        ("--trusted-proxy", args.trusted_proxy or ()),
        ("--metrics-from", args.metrics_from or ()),
    ):
        try:
            trusted_networks(networks)
        except ValueError as error:
            print(f"error: {option}: {error}", file=sys.stderr)
            return EXIT_UNREADABLE
    workers = args.query_workers or ServerConfig().query_workers
    token = _write_token(args)
    if args.allow_updates and not token:
        print(
            "error: --allow-updates needs a write token: set LIBASSOC_WRITE_TOKEN or --token-file",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    config = ServerConfig(
        data=tuple(args.data or ()),
        store=args.store or Paths().default_store,
        query_timeout=args.query_timeout,
        allow_updates=args.allow_updates,
        write_token=token,
        allowed_service_endpoints=tuple(args.allow_service or ()),
        max_result_rows=args.max_rows,
        max_request_bytes=args.max_request_bytes,
        query_workers=workers,
        query_queue=args.query_queue,
        result_cache_bytes=args.result_cache_bytes,
        page_cache_bytes=args.page_cache_bytes,
        shares=Shares(
            budget=args.client_budget,
            window=args.client_window,
            concurrency=args.client_concurrency or max(1, workers - 1),
            waiting=args.client_queue,
        ),
        trusted_proxies=tuple(args.trusted_proxy or ()),
        metrics_from=tuple(args.metrics_from or LOOPBACK),
    )
    if args.remote_query and args.data:
        print(
            "error: --data is not read in front of a remote store: load it there with "
            "`libassoc push --data ...`",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    merge = args.remote_default_graph
    if merge not in ("union", "kept") and (":" not in merge or merge.startswith(BASE)):
        print(
            f"error: --remote-default-graph is union, kept, or the IRI of a graph outside "
            f"{BASE}, where the dataset's own graphs are; not {merge!r}",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    if args.remote_query:
        return _serve_remote(args, replace(config, remote=_remote_endpoints(args)))
    if args.remote_update or args.remote_store:
        print("error: --remote-update and --remote-store need --remote-query", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        opened = open_checked_store(config, _progress)
    except (DataFileError, ShapesError, StoreLocationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_UNREADABLE
    except NonConformingError as error:
        print(format_report(error.outcome), file=sys.stderr)
        return EXIT_INVALID
    app = create_app(config, opened)
    del opened  # the app's service must be the store's only holder (see create_app)
    return _serve(args, app)


def _remote_endpoints(args: argparse.Namespace) -> RemoteEndpoints:
    return RemoteEndpoints.from_environment(
        args.remote_query,
        args.remote_update,
        args.remote_store,
        default_graph=args.remote_default_graph,
    )


def _serve_remote(args: argparse.Namespace, config: ServerConfig) -> int:
    """Serve the remote store of ``config`` once it is found fit (``remote/probe.py``)."""
    from libassoc.web.app import create_app

    assert config.remote is not None  # noqa: S101 (the caller's choice)
    _progress(f"Checking the remote store at {config.remote.query}")
    catalog = QueryCatalog.from_dir(config.paths.queries)
    dataset = RemoteDataset(config.remote, catalog, config.query_timeout)
    try:
        warning = check_remote(dataset)
    except RemoteStoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        dataset.close()
    if warning:
        _progress(f"warning: {warning}")
    return _serve(args, create_app(config))


def _serve(args: argparse.Namespace, app: FastAPI) -> int:
    import uvicorn

    from libassoc.web.http_protocol import UpgradeDecliningProtocol
    from libassoc.web.logs import logging_config

    host = f"[{args.host}]" if ":" in args.host else args.host
    _progress(
        f"Starting the server: SPARQL endpoint and query UI at http://{host}:{args.port}/sparql"
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,  # the app writes its own, one line per request (web/access_log.py)
        http=UpgradeDecliningProtocol,
        ws="none",  # no route takes a WebSocket; an offer of one is declined like h2c
        log_config=logging_config(args.log_format),
        timeout_graceful_shutdown=args.shutdown_timeout,
        # X-Forwarded-For is believed from --trusted-proxy only, by the app (web/clients.py);
        # uvicorn's own handling would believe it from any local process.
        proxy_headers=False,
    )
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    # Credentials come only from the environment: a command line shows in `ps` and in shell
    # history. The push token, or those of the remote store (a user and password for Virtuoso).
    token = os.environ.get(TOKEN_VARIABLE)
    auth = BearerAuth(token) if token else auth_from(os.environ)
    store = _checked_store(args)

    def pushed(graph: PushedGraph) -> None:
        print(f"{graph.graph}\t{graph.triples} triples\tHTTP {graph.status}", flush=True)

    try:
        push(
            store,
            args.store_url,
            auth,
            merge_default_graph=args.merge_default_graph,
            part_triples=args.part_triples,
            progress=args.progress,
            pushed=pushed,
            say=_progress if args.progress else quiet,
        )
    except (PushError, httpx.HTTPError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
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

    serve = commands.add_parser("serve", help="validate the data, then serve it over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--store",
        type=Path,
        metavar="PATH",
        help="the on-disk store (default: var/store beside the data; for an installed package, "
        "~/.local/state/libassoc/store)",
    )
    serve.add_argument(
        "--query-timeout", type=float, default=30.0, metavar="S", help="per-query time limit"
    )
    serve.add_argument(
        "--max-rows", type=int, default=100_000, metavar="N", help="most rows or triples per answer"
    )
    serve.add_argument(
        "--result-cache-bytes",
        type=int,
        default=DEFAULT_CAPACITY,
        metavar="N",
        help="answers kept until the next write, so that a repeated query is not evaluated again "
        f"(bytes; 0 keeps none; default: {DEFAULT_CAPACITY // 2**20} MiB; a request with "
        "Cache-Control: no-cache is always evaluated)",
    )
    serve.add_argument(
        "--page-cache-bytes",
        type=int,
        default=DEFAULT_PAGE_CAPACITY,
        metavar="N",
        help="pages kept until the next write, so that a page viewed again is not built again "
        f"(bytes; 0 keeps none; default: {DEFAULT_PAGE_CAPACITY // 2**20} MiB)",
    )
    serve.add_argument(
        "--max-request-bytes",
        type=int,
        default=1_000_000,
        metavar="N",
        help="largest request body (and URL) accepted",
    )
    serve.add_argument(
        "--allow-updates",
        action="store_true",
        help="accept writes (SPARQL Update, Graph Store Protocol) from the token holder",
    )
    serve.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="the write token (default: $LIBASSOC_WRITE_TOKEN)",
    )
    serve.add_argument(
        "--allow-service",
        action="append",
        metavar="IRI",
        help="an endpoint that SERVICE may call (repeatable; default: none)",
    )
    remote = serve.add_argument_group(
        "remote store",
        "serve a SPARQL 1.1 store on another machine instead of the embedded one; credentials "
        "come from $LIBASSOC_REMOTE_TOKEN, or $LIBASSOC_REMOTE_USER and "
        "$LIBASSOC_REMOTE_PASSWORD",
    )
    remote.add_argument("--remote-query", metavar="URL", help="its SPARQL query endpoint")
    remote.add_argument(
        "--remote-update", metavar="URL", help="its SPARQL update endpoint (for --allow-updates)"
    )
    remote.add_argument("--remote-store", metavar="URL", help="its Graph Store Protocol endpoint")
    remote.add_argument(
        "--remote-default-graph",
        default="union",
        metavar="union|kept|IRI",
        help="where the merge of the named graphs is: union, the store derives its default graph "
        "from them (Fuseki's unionDefaultGraph); kept, in the store's own default graph, filled "
        "by push --merge-default-graph and kept so by every write (Oxigraph server); IRI, in "
        "that named graph, filled by push --merge-default-graph IRI (Virtuoso)",
    )
    fairness = serve.add_argument_group(
        "sharing the workers",
        "Each client (address and User-Agent) gets a budget of query time that refills over a "
        "window, and holds a few workers at most; beyond that it gets 429 with Retry-After.",
    )
    fairness.add_argument(
        "--query-workers",
        type=int,
        metavar="N",
        help="query worker processes (default: the CPU count, between 2 and 4)",
    )
    fairness.add_argument(
        "--query-queue",
        type=int,
        default=DEFAULT_QUEUE,
        metavar="N",
        help=f"queries that may wait for a worker; more get 503 (default: {DEFAULT_QUEUE})",
    )
    fairness.add_argument(
        "--client-budget",
        type=float,
        default=Shares.budget,
        metavar="S",
        help=f"seconds of query time per client per window (default: {Shares.budget:g})",
    )
    fairness.add_argument(
        "--client-window",
        type=float,
        default=Shares.window,
        metavar="S",
        help=f"the window over which the budget refills (default: {Shares.window:g})",
    )
    fairness.add_argument(
        "--client-concurrency",
        type=int,
        metavar="N",
        help="workers one client may hold at once (default: one less than the workers, at least 1)",
    )
    fairness.add_argument(
        "--client-queue",
        type=int,
        default=Shares.waiting,
        metavar="N",
        help=f"queries of one client that may wait for its own slots (default: {Shares.waiting})",
    )
    fairness.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="a reverse proxy (address or network) whose X-Forwarded-For names the client "
        "(repeatable; default: none, the connection's address counts)",
    )
    serve.add_argument(
        "--metrics-from",
        action="append",
        metavar="ADDRESS",
        help="who may read /metrics: an address or network (repeatable; default: this machine, "
        "127.0.0.0/8 and ::1; 0.0.0.0/0 and ::/0 for anyone)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="the logs as uvicorn's text lines, or as JSON lines (default: text)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        type=int,
        default=10,
        metavar="S",
        help="on SIGTERM, how long running requests may take to finish (default: 10)",
    )
    _data_option(serve)
    serve.set_defaults(handler=cmd_serve, paths=None)

    push_command = commands.add_parser(
        "push",
        help="send every named graph to a SPARQL 1.1 Graph Store Protocol endpoint "
        f"(bearer token from ${TOKEN_VARIABLE}; or ${USER_VARIABLE} and ${PASSWORD_VARIABLE})",
    )
    push_command.add_argument(
        "--store-url",
        required=True,
        metavar="URL",
        help="the Graph Store Protocol URL of the store (often ending in /store)",
    )
    push_command.add_argument(
        "--merge-default-graph",
        nargs="?",
        const=DEFAULT,
        metavar="IRI",
        help="also write the merge of the named graphs, each triple once, to the store's "
        "default graph (Oxigraph server, Fuseki), or to the named graph IRI (Virtuoso)",
    )
    push_command.add_argument(
        "--part-triples",
        type=int,
        default=PART_TRIPLES,
        metavar="N",
        help="triples per request: a larger graph goes in parts (PUT, then POST)",
    )
    push_command.add_argument(
        "--progress",
        type=Path,
        metavar="FILE",
        help="record each graph pushed whole in FILE, skip those it lists, and report each part "
        "on stderr: a push cut short resumes where it was when run again",
    )
    _data_option(push_command)
    push_command.set_defaults(handler=cmd_push, paths=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
