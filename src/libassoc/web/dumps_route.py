"""The dumps under ``/dumps/``: written at start-up and after each write, served with validators
and ranges."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response

from libassoc import dumps
from libassoc.void import read_checksums
from libassoc.web.problem import HttpProblem
from libassoc.web.representation import READ
from libassoc.web.state import Service
from libassoc.web.templating import render

log = logging.getLogger(__name__)


def _write(store: ox.Store, root: Path, generation: int) -> Path:
    folder = root / f"generation-{generation}"
    folder.mkdir()
    dumps.write_all(store, folder)
    return folder


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The store has been loaded and validated by the app's own lifespan, which runs first.
    service: Service = app.state.service
    with tempfile.TemporaryDirectory(prefix="libassoc-dumps-") as root:
        app.state.dumps = await asyncio.to_thread(
            _write, service.store, Path(root), service.generation
        )

        async def follow_the_store() -> None:
            previous = app.state.dumps
            try:
                app.state.dumps = await asyncio.to_thread(
                    _write, service.store, Path(root), service.generation
                )
            except OSError:
                # The write is committed whatever happens here: keep serving the last dumps.
                log.exception("could not rewrite the dumps; /dumps/ still serves the previous ones")
                return
            # The generation before the previous one goes: a download of the previous one may
            # have just started.
            for folder in Path(root).iterdir():
                if folder not in (previous, app.state.dumps):
                    shutil.rmtree(folder, ignore_errors=True)

        service.on_publish.append(follow_the_store)
        yield


router = APIRouter(lifespan=lifespan)


@dataclass(frozen=True)
class DumpFile:
    name: str
    size: int
    sha256: str
    path: Path

    @property
    def media_type(self) -> str:
        if self.name.endswith(".gz"):
            return "application/gzip"  # the bytes are the gzip file: no Content-Encoding
        if self.name == dumps.CHECKSUMS:
            return "text/plain; charset=utf-8"
        extension = self.name.rsplit(".", 1)[-1]
        found = (f for f in dumps.DUMP_FORMATS.values() if f.extension == extension)
        return next(found).media_type


def dump_files(folder: Path) -> list[DumpFile]:
    """The dumps and the checksum file, each with its size and SHA-256."""
    files = [
        DumpFile(name, (folder / name).stat().st_size, digest, folder / name)
        for name, digest in sorted(read_checksums(folder).items())
    ]
    sums = folder / dumps.CHECKSUMS
    return [*files, DumpFile(sums.name, sums.stat().st_size, "", sums)]


@router.api_route("/dumps/", methods=READ, include_in_schema=False)
def dumps_index(request: Request) -> Response:
    files = [f for f in dump_files(request.app.state.dumps) if f.sha256]
    return render(request, "dumps.html", files=files, alternates=[])


@router.api_route("/dumps/{name}", methods=READ, include_in_schema=False)
def dump(request: Request, name: str) -> Response:
    found = {f.name: f for f in dump_files(request.app.state.dumps)}.get(name)
    if found is None:
        raise HttpProblem(404, f"No dump named {name!r}; the list is at /dumps/.")
    # A strong validator from the content, so that it survives a restart that rewrites the
    # same bytes; Last-Modified comes from the file, which is rewritten at each start and write.
    etag = f'"{found.sha256}"' if found.sha256 else None
    headers = {"etag": etag} if etag else {}
    stat = found.path.stat()
    headers["last-modified"] = formatdate(stat.st_mtime, usegmt=True)
    if etag and etag in [
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    ]:
        return Response(status_code=304, headers=headers)
    return FileResponse(found.path, media_type=found.media_type, headers=headers, filename=None)
