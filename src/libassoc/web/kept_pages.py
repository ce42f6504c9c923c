"""Pages kept for as long as the data they show: a page viewed again is not built again.

Building a page (its lookups, the template or the RDF writer) costs milliseconds of Python in
the web process, where it competes with the event loop that reads and answers every other
request; handing out a kept one costs almost nothing. A kept page belongs to one generation of
the data, and the whole set is dropped as soon as a write publishes the next, or a new year
begins (the pictures of history run up to the present year); a page whose build saw a write
published is not kept. So no page handed out is older than a fresh build would be.

Pages are keyed by their address (scheme, host, path), the one query parameter pages read
(``format``) and the representation the ``Accept`` header picks, which together decide
everything a page says. Other parameters (a tracker's ``utm_source``, or junk meant to fill the
store) change nothing on the page, so they find the page kept without it and keep no other.
Each page carries a strong ``ETag`` from its bytes, so a harvester or browser that has it
already gets ``304 Not Modified``, across restarts too. A request with ``Cache-Control:
no-cache`` gets a page built now. Only a server whose data changes through itself alone keeps
pages (the embedded store: a remote store may be written by others, as ``engine/remote.py``
explains for query answers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from fastapi import Request
from fastapi.responses import Response

from libassoc.engine.evaluation import strong_etag
from libassoc.engine.result_cache import DEFAULT_PAGE_CAPACITY, KeptBodies
from libassoc.web.protocol import etag_matches, wants_fresh
from libassoc.web.representation import by_accept


@dataclass(frozen=True)
class KeptPage:
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # as sent: content type and length, ETag, Link

    def response(self) -> Response:
        response = Response(self.body)
        response.raw_headers = list(self.headers)
        return response


def tagged(response: Response) -> None:
    """``response`` with the strong ETag of its syntax and bytes."""
    content_type = response.headers.get("content-type", "")
    response.headers["etag"] = strong_etag(content_type, bytes(response.body))


def not_modified(request: Request, response: Response) -> Response:
    """``response``, or 304 when the client's copy (``If-None-Match``) has the same ETag."""
    etag = response.headers.get("etag")
    if etag is None or not etag_matches(request, etag):
        return response
    kept = {"etag", "vary", "link", "cache-control"}
    headers = {name: value for name, value in response.headers.items() if name in kept}
    return Response(status_code=304, headers=headers)


class Generations(Protocol):
    @property
    def generation(self) -> int:
        """The generation of the data served now."""


class KeptPages:
    """Pages by URL and representation, for the generation ``served`` serves."""

    def __init__(
        self,
        served: Generations,
        capacity: int = DEFAULT_PAGE_CAPACITY,
        this_year: Callable[[], int] = lambda: date.today().year,
    ) -> None:
        self.served = served
        self.pages: KeptBodies[KeptPage] = KeptBodies(capacity)
        self.generation = served.generation
        self.this_year = this_year
        self.year = this_year()

    @staticmethod
    def key(request: Request, published: str) -> bytes:
        url = request.url
        wanted = request.query_params.get("format", "")
        chosen = by_accept(request.headers.get("accept"))
        accepted = chosen.media_type if chosen else "-"
        return f"{url.scheme}://{url.netloc}{url.path}\n{wanted}\n{accepted}\n{published}".encode()

    def _follow(self) -> int:
        now, year = self.served.generation, self.this_year()
        if now != self.generation or year != self.year:
            self.pages.clear()
            self.generation, self.year = now, year
        return now

    def get(self, request: Request, published: str = "") -> tuple[Response | None, int]:
        """The kept page (None: build it) and the generation a page built now is kept for.

        ``published`` names the generation of the dumps a page shows (the VoID, the sitemap),
        which are written after the data's generation is published: the page is kept for both.
        """
        generation = self._follow()
        if wants_fresh(request):
            return None, generation
        found = self.pages.get(self.key(request, published))
        return (found.response() if found else None), generation

    def keep(
        self, request: Request, built_for: int, response: Response, published: str = ""
    ) -> None:
        """Keep ``response``, unless a write was published while it was built."""
        if response.status_code == 200 and self._follow() == built_for:
            kept = KeptPage(bytes(response.body), tuple(response.raw_headers))
            self.pages.keep(self.key(request, published), kept)
