"""The application factory: one store, validated at start-up, shared by every route."""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from libassoc.catalog import QueryCatalog
from libassoc.conformance import open_conforming
from libassoc.engine.checkpoint import Checkpoints
from libassoc.engine.dispatch import Dispatcher
from libassoc.engine.fairness import Fairness
from libassoc.engine.pool import QueryPool
from libassoc.engine.remote import RemoteQueries
from libassoc.engine.result_cache import ResultCache
from libassoc.remote.dataset import RemoteDataset
from libassoc.store import quiet
from libassoc.validation import Shapes, ontology_quads
from libassoc.web import graph_store, health, pages, search, sparql, ui, update
from libassoc.web.access_log import AccessLog
from libassoc.web.clients import trusted_networks
from libassoc.web.config import ServerConfig
from libassoc.web.embedded import EmbeddedService
from libassoc.web.errors import install_error_handlers
from libassoc.web.exchanges import WatchedApp
from libassoc.web.kept_pages import KeptPages
from libassoc.web.metrics import Metrics
from libassoc.web.remote import RemoteService
from libassoc.web.security_headers import SecurityHeaders
from libassoc.web.state import Service


@dataclass(frozen=True)
class OpenedStore:
    """The validated store, where it lies, and the shapes its writes are checked against."""

    store: ox.Store
    location: Path
    shapes: Shapes
    temporary: bool = False  # a store of the server's own, removed when it stops


def open_checked_store(config: ServerConfig, say: Callable[[str], None] = quiet) -> OpenedStore:
    """The loaded store; NonConformingError with the SHACL report when the data breaks a shape.

    ``say`` hears each step as it starts: a large dataset takes a while to load and validate,
    and a user should know why the server is not answering yet. The server needs a store on
    disk (its readers open checkpoints of it): without ``config.store``, one in a temporary
    folder.
    """
    temporary = config.store is None
    location = config.store or Path(tempfile.mkdtemp(prefix="libassoc-store-")) / "store"
    checks = QueryCatalog.from_dir(config.paths.queries).checks()
    store, shapes = open_conforming(
        config.sources,
        [config.paths.shapes],
        checks,
        location,
        config.paths.conformance_stamps,
        say,
    )
    return OpenedStore(store, location, shapes, temporary)


def _embedded_service(config: ServerConfig, ready: OpenedStore) -> EmbeddedService:
    location = ready.location
    checkpoints = Checkpoints(location.with_name(location.name + ".checkpoints"))
    service = EmbeddedService(
        config=config,
        store=ready.store,
        location=location,
        shapes=ready.shapes,
        queries=Dispatcher(
            QueryPool(config.query_workers, config.query_timeout, checkpoints, config.query_queue),
            fairness=Fairness(config.shares),
            kept=ResultCache(config.result_cache_bytes),
        ),
        checkpoints=checkpoints,
        ontology=ontology_quads(ready.store),
        catalog=QueryCatalog.from_dir(config.paths.queries),
        proxies=trusted_networks(config.trusted_proxies),
    )
    service.pages = KeptPages(service, config.page_cache_bytes)
    return service


def _remote_service(config: ServerConfig) -> RemoteService:
    assert config.remote is not None  # noqa: S101 (chosen by the caller)
    catalog = QueryCatalog.from_dir(config.paths.queries)
    dataset = RemoteDataset(config.remote, catalog, config.query_timeout)
    return RemoteService(
        config=config,
        dataset=dataset,
        shapes=Shapes([config.paths.shapes]),
        queries=RemoteQueries(
            dataset,
            config.query_workers,
            config.query_timeout,
            config.query_queue,
            Fairness(config.shares),
        ),
        catalog=catalog,
        proxies=trusted_networks(config.trusted_proxies),
        update_template=config.paths.update_template.read_text(encoding="utf-8"),
    )


def create_app(config: ServerConfig, opened: OpenedStore | None = None) -> FastAPI:
    """Serve ``opened`` (already validated), or load and validate the data at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The service is left the only holder of the store: after a write fails on the disk it
        # has to open the store again, which RocksDB allows only once nothing holds it.
        nonlocal opened
        temporary: Path | None = None
        service: Service
        if config.remote is not None:
            service = _remote_service(config)
        else:
            ready, opened = opened or open_checked_store(config), None
            temporary = ready.location.parent if ready.temporary else None
            service = _embedded_service(config, ready)
            del ready
        await service.start()
        app.state.config = config
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
            service.close()
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)

    app = FastAPI(
        title="libassoc",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # The server counts and logs for itself (/metrics, the access log); FastAPI's own
        # OpenTelemetry looks for a configured provider on every request otherwise.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    # Any site may query; no credentials, so a page elsewhere cannot act as a logged-in user.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        max_age=86400,
    )
    # Added last, so outermost: CORS answers get the headers too, and the time counted is all of
    # the app's.
    app.add_middleware(SecurityHeaders)
    proxies = trusted_networks(config.trusted_proxies)
    metrics = Metrics(app.state, trusted_networks(config.metrics_from), proxies)
    app.add_middleware(WatchedApp, watchers=(metrics, AccessLog()), proxies=proxies)
    install_error_handlers(app)
    app.include_router(health.router)
    app.add_route("/metrics", metrics.endpoint, methods=["GET"], include_in_schema=False)
    app.include_router(sparql.router)
    app.include_router(update.router)
    app.include_router(graph_store.router)
    app.include_router(search.router)
    ui.mount_assets(app, config.assets)

    # Last: the linked-data pages' catch-all route `/{rest:path}` must not shadow the routes above.
    app.include_router(pages.router)
    return app
