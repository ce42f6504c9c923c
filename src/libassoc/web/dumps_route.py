"""The dumps under ``/dumps/``: written in the background for each generation, served with
validators and ranges.

A generation's dumps are written by a process of their own (``libassoc.publication``) from its
checkpoint (or from one read of the remote store the service fronts), so neither a write nor any
request waits for them. They are written once writes
have paused for a moment, or at once when someone asks for the dumps or the VoID: a stream of
writes does not keep a process busy rewriting every dump after each one. Until the newest
generation's are complete, the previous generation's are served, with that generation's ETags;
only before the first are complete does a request wait for them (then 503 with Retry-After).

A complete generation never changes, so its listing (names, sizes, checksums), its VoID and its
list of pages are read once, and a dump small enough is kept in memory once downloaded: a
download costs the event loop what a kept page does, not a walk through the folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response

from libassoc import dumps
from libassoc.engine.problem import HttpProblem
from libassoc.publication import VOID_FILE, read_pages, read_void
from libassoc.void import read_checksums
from libassoc.web.protocol import etag_matches
from libassoc.web.representation import READ
from libassoc.web.state import DumpSource, Service
from libassoc.web.templating import render

log = logging.getLogger(__name__)

FIRST_DUMPS_WAIT_SECONDS = 30.0
# Dumps up to this size are served from memory once downloaded: a generation keeps at most
# 13 of them (the twelve dumps and their checksums).
KEPT_DUMP_BYTES = 1 << 20
# After a write, the dumps wait this long for the next one before they are written.
QUIET_SECONDS = 2.0


@dataclass(frozen=True)
class DumpFile:
    name: str
    sha256: str
    path: Path
    stat: os.stat_result

    @property
    def media_type(self) -> str:
        if self.name.endswith(".gz"):
            return "application/gzip"  # the bytes are the gzip file: no Content-Encoding
        if self.name == dumps.CHECKSUMS:
            return "text/plain; charset=utf-8"
        extension = self.name.rsplit(".", 1)[-1]
        found = (f for f in dumps.DUMP_FORMATS.values() if f.extension == extension)
        return next(found).media_type

    @property
    def size(self) -> int:
        return self.stat.st_size

    @property
    def last_modified(self) -> str:
        return formatdate(self.stat.st_mtime, usegmt=True)

    @cached_property
    def body(self) -> bytes:
        """The whole file, read on the first download and kept with its generation."""
        return self.path.read_bytes()


class Generation:
    """One generation's complete folder of dumps, listed once and read at most once: its files
    do not change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        sums = folder / dumps.CHECKSUMS
        listed = [*sorted(read_checksums(folder).items()), (sums.name, "")]
        self.files = {
            name: DumpFile(name, digest, folder / name, (folder / name).stat())
            for name, digest in listed
        }

    @cached_property
    def void(self) -> list[ox.Triple]:
        return read_void(self.folder)

    @cached_property
    def pages(self) -> list[str]:
        return read_pages(self.folder)


class Publications:
    """The folders of dumps, one per generation, and the one being written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.latest: Generation | None = None
        self._wanted: DumpSource | None = None
        self._writing: asyncio.Task[None] | None = None
        self._first = asyncio.Event()
        self._stirred = asyncio.Event()  # a write came, or someone asked for the dumps
        self._asked = False

    def follow(self, source: DumpSource, at_once: bool = False) -> None:
        """Have the dumps of ``source``'s generation written in the background; returns at once."""
        self._wanted = source
        self._stirred.set()
        if at_once:
            self.ask()
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_wanted(at_once))

    def ask(self) -> None:
        """Someone wants the dumps: write the wanted generation without waiting for quiet."""
        self._asked = True
        self._stirred.set()

    async def _quiet(self) -> None:
        """Return once no write came for QUIET_SECONDS, or at once when someone asks."""
        while not self._asked:
            self._stirred.clear()
            try:
                await asyncio.wait_for(self._stirred.wait(), QUIET_SECONDS)
            except TimeoutError:
                return

    async def _write_wanted(self, at_once: bool) -> None:
        # Writes that come faster than dumps are written skip the generations in between.
        while self._wanted is not None:
            if not at_once:
                await self._quiet()
            at_once, self._asked = False, False
            source, self._wanted = self._wanted, None
            folder = self.root / f"generation-{source.generation}"
            if not source.hold():
                continue  # a newer generation replaced it meanwhile
            try:
                written = await _write(source, folder)
            finally:
                source.release()
            if not written:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            previous = self.latest.folder if self.latest is not None else None
            self.latest = Generation(folder)
            self._first.set()
            # The generation before the previous one goes: a download of the previous one may
            # have just started.
            for other in self.root.iterdir():
                if other not in (previous, folder):
                    shutil.rmtree(other, ignore_errors=True)

    async def current(self) -> Generation:
        """The newest complete dumps; the first ones are waited for, for a while."""
        if self._wanted is not None:
            self.ask()
        if self.latest is None:
            try:
                await asyncio.wait_for(self._first.wait(), FIRST_DUMPS_WAIT_SECONDS)
            except TimeoutError:
                raise HttpProblem(
                    503,
                    "The dumps are still being written after the server started; try again "
                    "in a minute.",
                    {"Retry-After": "60"},
                ) from None
        assert self.latest is not None  # noqa: S101 (set with the event)
        return self.latest

    async def close(self) -> None:
        """Stop writing; the writer process is ended before its folder goes."""
        if self._writing is not None:
            self._writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writing


async def _write(source: DumpSource, folder: Path) -> bool:
    """Run the writer process; whether it wrote the whole generation."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "libassoc.publication",
        *source.arguments,
        str(folder),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0 or not (folder / VOID_FILE).exists():
        # The write is committed whatever happens here: keep serving the last dumps.
        log.error(
            "could not write the dumps of generation %d; /dumps/ still serves the previous "
            "ones: %s",
            source.generation,
            errors.decode(errors="replace")[-2000:],
        )
        return False
    return True


@contextmanager
def _dumps_root(folder: Path | None) -> Iterator[Path]:
    if folder is None:
        with tempfile.TemporaryDirectory(prefix="libassoc-dumps-") as root:
            yield Path(root)
        return
    # What a killed server left there belongs to generations that are gone.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The service has been started by the app's own lifespan, which runs first.
    service: Service = app.state.service
    with _dumps_root(service.dumps_folder) as root:
        publications = Publications(root)
        app.state.publications = publications
        publications.follow(service.dump_source(), at_once=True)
        service.on_publish.append(publications.follow)
        try:
            yield
        finally:
            await publications.close()


router = APIRouter(lifespan=lifespan)


def published_generation(request: Request) -> Generation | None:
    """The newest complete dumps, if any are yet, without waiting for them."""
    publications: Publications = request.app.state.publications
    return publications.latest


async def current_generation(request: Request) -> Generation:
    publications: Publications = request.app.state.publications
    return await publications.current()


@router.api_route("/dumps/", methods=READ, include_in_schema=False)
async def dumps_index(request: Request) -> Response:
    files = [f for f in (await current_generation(request)).files.values() if f.sha256]
    return render(request, "dumps.html", files=files, alternates=[])


async def dump(request: Request) -> Response:
    name = request.path_params["name"]
    found = (await current_generation(request)).files.get(name)
    if found is None:
        raise HttpProblem(404, f"No dump named {name!r}; the list is at /dumps/.")
    # A strong validator from the content, so that it survives a restart that rewrites the
    # same bytes; Last-Modified comes from the file, which is written for each generation.
    etag = f'"{found.sha256}"' if found.sha256 else None
    headers = {"etag": etag} if etag else {}
    headers["last-modified"] = found.last_modified
    if etag and etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    headers["accept-ranges"] = "bytes"
    if found.size <= KEPT_DUMP_BYTES and "range" not in request.headers:
        # Most downloads of a small dump: its bytes from memory, at the cost of a page view.
        return Response(found.body, media_type=found.media_type, headers=headers)
    # Ranges, and the dumps too large to keep: streamed by a thread, which reads the file in
    # pieces while the event loop goes on.
    return FileResponse(
        found.path, media_type=found.media_type, headers=headers, stat_result=found.stat
    )


# A plain Starlette route, as /sparql is: FastAPI's parameter parsing and dependency solving
# would be work done for nothing on every download.
router.add_route("/dumps/{name}", dump, methods=READ, name="dump")
