"""The application factory: one store, validated at start-up, shared by every route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from libassoc.catalog import QueryCatalog
from libassoc.store import open_loaded_store
from libassoc.validation import format_report, validate_store
from libassoc.web.config import ServerConfig


class InvalidDataError(RuntimeError):
    """The data does not conform to the shapes; the server refuses to start."""


def create_app(config: ServerConfig) -> FastAPI:
    """Load and validate the data, then serve it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_loaded_store(config.sources, config.store)
        catalog = QueryCatalog.from_dir(config.paths.queries)
        outcome = validate_store(store, [config.paths.shapes], catalog.checks())
        if not outcome.conforms:
            raise InvalidDataError(format_report(outcome))
        app.state.config = config
        app.state.store = store
        app.state.catalog = catalog
        yield

    app = FastAPI(title="libassoc", lifespan=lifespan, docs_url=None, redoc_url=None)
    return app
