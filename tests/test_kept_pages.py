"""Kept pages and the generations of the data (web/kept_pages.py), without a server: what a
write published while a page was being built does to it."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

from libassoc.web.kept_pages import KeptPages


@dataclass
class Served:
    generation: int = 0


def request(path: str, accept: str = "text/html", query: bytes = b"") -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("127.0.0.1", 8000),
            "path": path,
            "query_string": query,
            "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", accept.encode())],
        }
    )


def test_a_page_is_kept_for_its_generation_only() -> None:
    served = Served()
    pages = KeptPages(served)
    page = request("/org/ala")
    found, generation = pages.get(page)
    assert found is None
    pages.keep(page, generation, Response(b"<p>ALA</p>", media_type="text/html"))
    kept, _ = pages.get(page)
    assert kept is not None and kept.body == b"<p>ALA</p>"
    assert kept.headers["content-type"].startswith("text/html")
    assert pages.get(request("/org/ala", accept="text/turtle"))[0] is None

    served.generation += 1
    assert pages.get(page)[0] is None, "a write leaves nothing kept"
    assert len(pages.pages) == 0


def test_a_page_built_while_a_write_was_published_is_not_kept() -> None:
    served = Served()
    pages = KeptPages(served)
    page = request("/org/ala")
    _, generation = pages.get(page)
    served.generation += 1  # published while the page was built: it may show the older data
    pages.keep(page, generation, Response(b"<p>old</p>", media_type="text/html"))
    assert pages.get(page)[0] is None


def test_only_whole_answers_are_kept() -> None:
    pages = KeptPages(Served())
    page = request("/nowhere")
    _, generation = pages.get(page)
    pages.keep(page, generation, Response(b"gone", status_code=404))
    assert pages.get(page)[0] is None


def test_parameters_no_page_reads_find_the_page_kept_without_them() -> None:
    pages = KeptPages(Served())
    page = request("/org/ala")
    _, generation = pages.get(page)
    pages.keep(page, generation, Response(b"<p>ALA</p>", media_type="text/html"))
    for junk in (b"utm_source=feed", b"x=1&y=2", b"format"):
        kept, _ = pages.get(request("/org/ala", query=junk))
        assert kept is not None and kept.body == b"<p>ALA</p>", junk
    assert pages.get(request("/org/ala", query=b"format=ttl"))[0] is None
    turtle = request("/org/ala", query=b"format=ttl&utm_source=feed")
    _, generation = pages.get(turtle)
    pages.keep(turtle, generation, Response(b"<a> <b> <c> .", media_type="text/turtle"))
    assert len(pages.pages) == 2
    kept, _ = pages.get(request("/org/ala", query=b"format=ttl"))
    assert kept is not None and kept.body == b"<a> <b> <c> ."


def test_a_new_year_leaves_nothing_kept() -> None:
    # The pictures of history run to the present year: drawn again once it has changed.
    year = [2026]
    pages = KeptPages(Served(), this_year=lambda: year[0])
    page = request("/history")
    _, generation = pages.get(page)
    pages.keep(page, generation, Response(b"<svg>1876-2026</svg>", media_type="text/html"))
    assert pages.get(page)[0] is not None
    year[0] = 2027
    assert pages.get(page)[0] is None
