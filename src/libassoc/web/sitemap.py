"""``sitemap.xml``: every page the server has, one URL each, for search engines.

The sitemap protocol allows 50,000 URLs in one file. Up to that many, ``/sitemap.xml`` lists
them all; beyond, it is an index of parts, ``/sitemap-1.xml`` and on, each listing 50,000 pages
in the order of their paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from libassoc.namespaces import SITEMAP_XMLNS

URLS_PER_FILE = 50_000
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def part_count(pages: int, limit: int = URLS_PER_FILE) -> int:
    """How many parts ``pages`` pages take; 0 when they fit in ``/sitemap.xml`` itself."""
    return 0 if pages <= limit else -(-pages // limit)


def sitemap(paths: Sequence[str], site: str, limit: int = URLS_PER_FILE) -> str:
    """``/sitemap.xml`` for ``paths``, with ``site`` (``http://host:port/``) before each."""
    parts = part_count(len(paths), limit)
    if not parts:
        return _urlset(paths, site)
    entries = "".join(
        f"  <sitemap><loc>{escape(f'{site}sitemap-{n}.xml')}</loc></sitemap>\n"
        for n in range(1, parts + 1)
    )
    return f'{HEAD}<sitemapindex xmlns="{SITEMAP_XMLNS}">\n{entries}</sitemapindex>\n'


def sitemap_part(
    paths: Sequence[str], site: str, number: int, limit: int = URLS_PER_FILE
) -> str | None:
    """``/sitemap-<number>.xml``; None when there is no such part."""
    if not 1 <= number <= part_count(len(paths), limit):
        return None
    return _urlset(paths[(number - 1) * limit : number * limit], site)


def _urlset(paths: Sequence[str], site: str) -> str:
    urls = "".join(f"  <url><loc>{escape(site + path)}</loc></url>\n" for path in paths)
    return f'{HEAD}<urlset xmlns="{SITEMAP_XMLNS}">\n{urls}</urlset>\n'
