"""The application factory: one store, validated at start-up, shared by every route."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from libassoc.catalog import QueryCatalog
from libassoc.store import is_current, open_loaded_store
from libassoc.validation import conformance_key, format_report, validate_store
from libassoc.web import graph_store, pages, sparql, ui, update
from libassoc.web.config import ServerConfig
from libassoc.web.dispatch import Dispatcher
from libassoc.web.errors import install_error_handlers
from libassoc.web.pool import QueryPool
from libassoc.web.state import Service


class InvalidDataError(RuntimeError):
    """The data does not conform to the shapes; the server refuses to start."""


def _quiet(_: str) -> None:
    pass


def _conformance_stamp(where: Path) -> Path:
    return where.with_name(where.name + ".conforms")


def open_checked_store(config: ServerConfig, say: Callable[[str], None] = _quiet) -> ox.Store:
    """The loaded store, or InvalidDataError with the SHACL report when the data breaks a shape.

    ``say`` hears each step as it starts: validation takes seconds, and a user should know why
    the server is not answering yet. An on-disk store that was validated in full against the
    same data files, shapes and checks is not validated again: every write since was validated
    before it was committed, so a restart is fast.
    """
    where = config.store
    reused = where is not None and is_current(config.sources, where)
    if where is None:
        say("Loading the data into memory.")
    elif reused:
        say(f"Opening the store at {where}, built from the same data files.")
    else:
        say(f"Loading the data into the store at {where}.")
    store = open_loaded_store(config.sources, where)
    checks = QueryCatalog.from_dir(config.paths.queries).checks()
    key = conformance_key(config.sources, [config.paths.shapes], checks)
    stamp = _conformance_stamp(where) if where is not None else None
    if reused and stamp is not None and stamp.exists() and stamp.read_text() == key:
        say("The store was validated against these shapes and checks, and so was every write.")
        return store
    say("Validating the whole store against the shapes and checks; this takes a while.")
    started = time.monotonic()
    outcome = validate_store(store, [config.paths.shapes], checks)
    if not outcome.conforms:
        raise InvalidDataError(format_report(outcome))
    say(f"The data conforms (validated in {time.monotonic() - started:.1f} s).")
    if stamp is not None:
        stamp.write_text(key)
    return store


def create_app(config: ServerConfig, store: ox.Store | None = None) -> FastAPI:
    """Serve ``store`` (already validated), or load and validate the data at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(
            config=config,
            store=store if store is not None else open_checked_store(config),
            queries=Dispatcher(QueryPool(config.query_workers, config.query_timeout)),
            catalog=QueryCatalog.from_dir(config.paths.queries),
        )
        await service.start()
        app.state.config = config
        app.state.store = service.store
        app.state.catalog = service.catalog
        app.state.service = service
        # What is alive now (modules, start-up leftovers) lives as long as the server. Frozen, it
        # stays out of the collector's full passes, which over a heap this size stall the event
        # loop for tens of milliseconds each.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            service.queries.close()

    app = FastAPI(title="libassoc", lifespan=lifespan, docs_url=None, redoc_url=None)
    # Any site may query; no credentials, so a page elsewhere cannot act as a logged-in user.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        max_age=86400,
    )
    install_error_handlers(app)
    app.include_router(sparql.router)
    app.include_router(update.router)
    app.include_router(graph_store.router)
    ui.mount_assets(app, config.assets)

    # Last: the linked-data pages' catch-all route `/{rest:path}` must not shadow the routes above.
    app.include_router(pages.router)
    return app
