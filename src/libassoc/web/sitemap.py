"""``sitemap.xml``: every page the server has, one URL each, for search engines."""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import escape

from libassoc.namespaces import SITEMAP_XMLNS


def sitemap(paths: Iterable[str], site: str) -> str:
    """The sitemap of ``paths``, with ``site`` (``http://host:port/``) before each."""
    urls = "".join(f"  <url><loc>{escape(site + path)}</loc></url>\n" for path in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="{SITEMAP_XMLNS}">\n'
        f"{urls}</urlset>\n"
    )
