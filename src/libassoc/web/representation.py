"""The representations of a linked-data page (HTML and the RDF syntaxes), and picking one.

The RDF syntaxes, their media types and short names are the endpoint's (``formats``); this
module adds the HTML page and the file extension that selects each one in a URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from libassoc.dumps import DUMP_FORMATS, DumpFormat
from libassoc.engine.conneg import negotiate
from libassoc.engine.formats import RDF_FORMATS, OutputFormat

# The methods of a page, a dump or any resource that is only read: FastAPI's `get` routes do not
# answer HEAD, which link checkers and harvesters send before they fetch.
READ = ["GET", "HEAD"]


@dataclass(frozen=True)
class Representation:
    """One syntax of a page: HTML for people (no ``dump_format``) or an RDF syntax."""

    name: str
    content_type: str
    extension: str
    media_types: tuple[str, ...]  # the first is the one answered with; all of them select it
    keys: tuple[str, ...]  # the values of ``?format=`` that select it
    dump_format: DumpFormat | None = None

    @property
    def media_type(self) -> str:
        return self.media_types[0]


def _rdf(output: OutputFormat) -> Representation:
    dump_format = DUMP_FORMATS[output.name]
    return Representation(
        name=output.name,
        content_type=output.content_type,
        extension=dump_format.extension,
        media_types=(output.media_type, *output.also_accepted),
        keys=output.short_names,
        dump_format=dump_format,
    )


HTML = Representation(
    "html", "text/html; charset=utf-8", "html", ("text/html", "application/xhtml+xml"), ("html",)
)
_RDF = [_rdf(output) for output in RDF_FORMATS]
# The server's order of preference breaks ties: a client that accepts anything (curl, a
# harvester) gets Turtle; a browser asks for text/html by name and gets the page.
REPRESENTATIONS: tuple[Representation, ...] = (_RDF[0], HTML, *_RDF[1:])
_BY_KEY = {key: r for r in REPRESENTATIONS for key in (*r.keys, r.extension)}


def by_key(key: str) -> Representation | None:
    """The representation a ``?format=`` value or a file extension names."""
    return _BY_KEY.get(key.strip().lower())


def by_accept(accept: str | None) -> Representation | None:
    """The representation the ``Accept`` header asks for, or None when it accepts none."""
    # Main media types first, so that ``*/*`` picks by the order above, not by an alias.
    offered = [r.media_type for r in REPRESENTATIONS]
    offered += [m for r in REPRESENTATIONS for m in r.media_types[1:]]
    chosen = negotiate(accept, offered)
    return next((r for r in REPRESENTATIONS if chosen in r.media_types), None)


def split_extension(path: str) -> tuple[str, Representation | None]:
    """``org/ala.ttl`` as (``org/ala``, Turtle); a path without a known extension as it is."""
    stem, dot, extension = path.rpartition(".")
    found = by_key(extension) if dot and stem and "/" not in extension else None
    return (stem, found) if found and extension == found.extension else (path, None)
